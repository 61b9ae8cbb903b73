using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Onnx;
using MLNetDistill.Data;
using MLNetDistill.MlNet;

namespace MLNetDistill.Teachers;

/// <summary>
/// Scores an <see cref="IDataView"/> with an ONNX teacher in batches and adds the teacher's logits, soft labels,
/// predicted class and any exposed intermediate tensors as columns. Made by <see cref="TeacherScoringEstimator"/>.
/// </summary>
/// <remarks>
/// <para>Scoring is lazy: each cursor reads a batch of rows, runs ONNX Runtime once on it, and serves the rows.</para>
/// <para>The predicted-class key carries the classes' values as key values (ML.NET's <c>KeyValues</c>), so
/// <c>MapKeyToValue</c> works: a key label's values (which must be in ascending order, as
/// <c>MapValueToKey(..., keyOrdinality: ByValue)</c> makes them), else 0..K-1 in the label's type.</para>
/// <para>Saving: ML.NET keeps the APIs for saving external transformers internal, so <c>mlContext.Model.Save</c>
/// stores this transformer as ML.NET's own ONNX transformer (<c>ApplyOnnxModel</c>) over the very same rewritten
/// graph, each output flattened by ML.NET's <c>Expression</c> transform. After <c>mlContext.Model.Load</c> the model computes
/// the same logits, soft labels and intermediate columns (vectors of the same sizes), one row per ONNX Runtime call;
/// the predicted-class key column is not stored.</para>
/// <para>Dispose the transformer to release the ONNX Runtime session.</para>
/// <para>Thread safety: one transformer serves any number of threads at once. Each <see cref="Transform"/> view and
/// each cursor has its own buffers, and ONNX Runtime runs batches of several threads on the one session concurrently,
/// with the same numbers, bit for bit, as on one thread. <see cref="Dispose"/> waits for the batches already running;
/// cursors that go on afterwards throw <see cref="ObjectDisposedException"/>. The saveable form
/// (<see cref="ToApplyOnnxModel"/>) serves from several threads through one <c>PredictionEngine</c> per thread, as
/// any ML.NET model does; create those with <c>new PredictionEngineOptions { OwnsTransformer = false }</c> when they
/// share the model, or disposing one engine disposes the model under the others.</para>
/// </remarks>
/// <example>
/// <code language="csharp">
/// using var teacher = mlContext.Transforms.ScoreWithTeacher("samples/teachers/fashion_cnn.onnx").Fit(data);
/// // Several threads may score through the same transformer at once.
/// Parallel.For(0, 4, _ => teacher.Transform(data).GetColumn&lt;float[]&gt;("SoftLabels").Count());
/// </code>
/// </example>
public sealed class TeacherScoringTransformer : ITransformer, IDisposable
{
    private readonly TransformsCatalog _catalog;
    private readonly DataViewSchema _fitSchema;
    private long _skippedRows;
    private long _rowsScored;
    private long _emptyTexts;
    private long _truncatedTexts;

    internal TeacherScoringTransformer(TransformsCatalog catalog, TeacherScoringOptions options, TeacherGraph graph, TeacherSession session, DataViewSchema fitSchema)
        : this(catalog, options, graph, session, fitSchema, null)
    {
    }

    internal TeacherScoringTransformer(TransformsCatalog catalog, TeacherScoringOptions options, TeacherGraph graph, TeacherSession session, DataViewSchema fitSchema, TextTeacher? text)
    {
        Text = text;
        _catalog = catalog;
        Options = options;
        Graph = graph;
        Session = session;
        _fitSchema = fitSchema;
        if (graph.Task != TeacherTask.Regression)
        {
            Classes = ClassValues.Resolve(fitSchema, options.LabelColumnName, null, graph.Classes);
        }
    }

    /// <summary>Gets where the teacher runs: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device => Session.Device;

    /// <summary>Gets the teacher's class count K (2 for a binary teacher, 1 for a regression teacher).</summary>
    public int ClassCount => Graph.Classes;

    /// <summary>Gets what the teacher predicts, as decided when the estimator was fitted.</summary>
    public TeacherTask Task => Graph.Task;

    /// <summary>Gets whether the teacher's output was read as probabilities (and its logarithm used as logits).</summary>
    public bool OutputWasProbabilities => Graph.OutputWasProbabilities;

    /// <summary>Gets the teacher model's output the logits are read from: <see cref="TeacherScoringOptions.TeacherOutputName"/>, else the one chosen (never a copy of an input; a <c>[N, K]</c> output named like logits, scores or probabilities first).</summary>
    public string TeacherOutputName => Graph.SourceOutput;

    /// <summary>Gets the number of rows skipped so far for NaN or infinite features (with <see cref="TeacherScoringOptions.SkipInvalidRows"/>).</summary>
    public long SkippedRows => Interlocked.Read(ref _skippedRows);

    /// <summary>
    /// Gets the number of rows the teacher has run on so far, over every cursor of every view it made (padding rows of a
    /// fixed-batch teacher are not counted): one pass over N rows adds N, so a caller can check that data was scored once.
    /// </summary>
    public long RowsScored => Interlocked.Read(ref _rowsScored);

    /// <summary>Gets the number of empty or whitespace-only texts a text teacher has scored so far (as the tokenizer's special tokens alone, <c>[CLS] [SEP]</c> for BERT); 0 for a numeric teacher.</summary>
    public long EmptyTexts => Interlocked.Read(ref _emptyTexts);

    /// <summary>Gets the number of texts a text teacher has truncated so far at <see cref="MaxTokens"/>; 0 for a numeric teacher.</summary>
    public long TruncatedTexts => Interlocked.Read(ref _truncatedTexts);

    /// <summary>Gets the most tokens per text of a text teacher (as resolved when fitted), or <see langword="null"/> for a numeric teacher.</summary>
    public int? MaxTokens => Text?.MaxTokens;

    /// <summary>Gets the tokenizer file of a text teacher, or <see langword="null"/> for a numeric teacher.</summary>
    public string? TokenizerFile => Text?.Tokenizer.File;

    /// <summary>Gets <see langword="false"/>: the teacher scores batches of rows, not one row at a time.</summary>
    public bool IsRowToRowMapper => false;

    internal TeacherScoringOptions Options { get; }

    internal TeacherGraph Graph { get; }

    /// <summary>The tokenizer side of a text teacher; null for a numeric one.</summary>
    internal TextTeacher? Text { get; }

    internal TeacherSession Session { get; }

    /// <summary>Gets or sets how cursors over block-reading sources feed the teacher (the tests and the benchmark compare the ways).</summary>
    internal TeacherPipelineMode Pipeline { get; set; } = TeacherPipelineMode.Threads;

    /// <summary>Stopwatch ticks the pipelines of this transformer spent reading blocks (decode, convert, checks), summed over threads.</summary>
    internal long ReadTicks;

    /// <summary>Stopwatch ticks the pipelines of this transformer spent in ONNX Runtime, summed over threads.</summary>
    internal long ScoreTicks;

    internal DataViewSchema FitSchema => _fitSchema;

    /// <summary>Gets the classes' values (the key values of the predicted-class key); <see langword="null"/> for a regression teacher.</summary>
    internal ClassValues? Classes { get; }

    /// <summary>
    /// Warns in the MLContext log when the teacher's accuracy on labeled rows is clearly below chance (see
    /// <see cref="TeacherAccuracyCheck"/>), naming the likely causes.
    /// </summary>
    /// <param name="accuracy">The teacher's accuracy.</param>
    /// <param name="labeledRows">The labeled rows it was measured on.</param>
    /// <returns>Whether it warned.</returns>
    internal bool WarnIfBelowChance(double accuracy, long labeledRows)
    {
        if (TeacherAccuracyCheck.Message(accuracy, labeledRows, ClassCount, Graph.SourceOutput, Graph.ModelOutputs) is not { } message)
        {
            return false;
        }

        CatalogEnvironment.Warn(_catalog, message);
        return true;
    }

    /// <summary>Gets a copy of the rewritten teacher graph that computes the added columns (its outputs are named after them).</summary>
    /// <returns>The ONNX model bytes.</returns>
    public byte[] GetScoringGraph() => (byte[])Graph.Bytes.Clone();

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (Text is not null)
        {
            TextTeacher.CheckColumn(Text.TextColumn, inputSchema);
        }
        else
        {
            foreach (var input in Graph.Inputs)
            {
                TeacherInputBuffer.CheckColumn(input, inputSchema);
            }
        }

        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        if (Graph.Task == TeacherTask.Regression)
        {
            builder.AddColumn(Options.ScoreColumnName, NumberDataViewType.Single);
        }
        else
        {
            builder.AddColumn(Options.LogitsColumnName, new VectorDataViewType(NumberDataViewType.Single, Graph.Classes));
            builder.AddColumn(Options.SoftLabelsColumnName, new VectorDataViewType(NumberDataViewType.Single, Graph.Classes));
            builder.AddColumn(Options.PredictedLabelColumnName, new KeyDataViewType(typeof(uint), Graph.Classes), Classes!.KeyValueAnnotations());
        }

        foreach (var output in Graph.Outputs)
        {
            if (Options.Hints.Any(h => h.ColumnName == output.Name))
            {
                builder.AddColumn(output.Name, new VectorDataViewType(NumberDataViewType.Single, output.Size));
            }
        }

        return builder.ToSchema();
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException("The teacher scorer works on batches of rows and is not a row-to-row mapper. Save and load the model (it becomes ML.NET's ApplyOnnxModel), or score an IDataView with Transform.");

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new TeacherScoredDataView(this, input);
    }

    /// <summary>
    /// Builds ML.NET's own ONNX transformer over the same rewritten graph: the saveable equivalent of this transformer
    /// (without the predicted-class key column).
    /// </summary>
    /// <returns>
    /// A fitted chain that <c>mlContext.Model.Save</c> can store: <c>ApplyOnnxModel</c>, whose outputs are shaped
    /// [1, K], then one <c>Expression</c> (the identity, <c>x => x</c>) per output that flattens it in place to a vector
    /// of K, as this transformer makes it.
    /// </returns>
    /// <exception cref="NotSupportedException">A text teacher: ML.NET's ApplyOnnxModel cannot tokenize (see the message for what to do).</exception>
    public ITransformer ToApplyOnnxModel()
    {
        if (Text is not null)
        {
            throw TextNotSaveable();
        }

        string[] outputs = Graph.Outputs.Select(o => o.Name).ToArray();
        string[] inputs = Graph.Inputs.Select(i => i.Name).ToArray();
        var estimator = _catalog.ApplyOnnxModel(outputs, inputs, new MemoryStream(Graph.Bytes, writable: false));
        var parts = new List<ITransformer> { estimator.Fit(new EmptyDataView(_fitSchema)) };
        var schema = parts[0].GetOutputSchema(_fitSchema);
        foreach (string output in outputs)
        {
            // The identity expression, element by element, is ML.NET's saveable way to make a [1, K] tensor a vector of K.
            var flatten = _catalog.Expression(output, "x => x", output).Fit(new EmptyDataView(schema));
            parts.Add(flatten);
            schema = flatten.GetOutputSchema(schema);
        }

        return new TransformerChain<ITransformer>(parts.ToArray());
    }

    /// <summary>Saves the transformer as ML.NET's <c>ApplyOnnxModel</c> over the same graph (see remarks).</summary>
    /// <param name="ctx">ML.NET's save context.</param>
    void ICanSaveModel.Save(ModelSaveContext ctx) => ToApplyOnnxModel().Save(ctx);

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose() => Session.Dispose();

    internal void CountSkippedRow() => Interlocked.Increment(ref _skippedRows);

    internal void CountEmptyText() => Interlocked.Increment(ref _emptyTexts);

    internal void CountTruncatedText() => Interlocked.Increment(ref _truncatedTexts);

    private NotSupportedException TextNotSaveable() => new(
        $"Text teacher '{Options.ModelFile}' cannot be saved with mlContext.Model.Save: ML.NET's ApplyOnnxModel, which stores teachers, has no tokenizer, so the saved model could not turn text '{Text!.TextColumn}' into input_ids. " +
        $"Keep the teacher as its files (the .onnx and '{Text.Tokenizer.File}') and build it again with ScoreTextWithTeacher; save the scored soft labels (TeacherCache.Write) or the student, which needs no tokenizer.");

    internal void CountScoredRows(int rows) => Interlocked.Add(ref _rowsScored, rows);

    internal DataViewSchema.Column? LabelColumn(DataViewSchema schema)
    {
        if (Graph.Task == TeacherTask.Regression || Options.LabelColumnName is not { } name)
        {
            return null;
        }

        var column = schema.GetColumnOrNull(name);
        if (column is not { } c || !LabelReader.CanRead(c.Type))
        {
            return null;
        }

        // A key label must number the classes as the teacher does (the values it was fitted with, or ascending ones).
        ClassValues.Resolve(schema, name, null, Graph.Classes, Classes);
        return c;
    }
}
