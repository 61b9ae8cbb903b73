using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// A trained MLP student, running its ONNX graph in batches through ONNX Runtime. A multiclass student adds
/// <c>StudentLogits</c>, <c>Score</c> (class probabilities, a vector of K) and <c>PredictedLabel</c> (a key, 1-based,
/// whose key values are the classes' values, so <c>MapKeyToValue</c> gives labels back); a binary student adds
/// <c>Score</c> (the log-odds z1 - z0), <c>Probability</c> and <c>PredictedLabel</c> (bool) besides its two logits; a
/// regression student adds <c>Score</c>. The columns are what ML.NET's evaluators read.
/// </summary>
/// <remarks>
/// <para>The ONNX file (<see cref="SaveOnnx"/>) is the deployable artifact. Inside ML.NET the student serves as a chain of
/// ML.NET's own transforms over the same graph: <c>ApplyOnnxModel</c>, an identity <c>Expression</c> per output (vectors
/// of K, not [1, K]), then a <c>CustomMapping</c> that makes the scalar columns (multiclass: the arg-max, which ML.NET's
/// <c>MapValue</c> and <c>MapValueToKey</c> turn into the <c>PredictedLabel</c> key). <c>mlContext.Model.Save</c> stores
/// that chain and <see cref="GetRowToRowMapper"/> (what a <c>PredictionEngine</c> uses) runs it, one row at a time;
/// <see cref="Transform"/> runs the batched scorer then the same mapping steps, so the columns and values agree.
/// Load a saved student with <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly)</c>
/// called first, as any model with a custom mapping needs.</para>
/// <para>Dispose the transformer to release its ONNX Runtime sessions.</para>
/// <para>Thread safety: <see cref="Transform"/> may be called and its cursors read from any number of threads at once,
/// and one <c>PredictionEngine</c> per thread (or per request, from a pool) serves concurrently; both give exactly the
/// single-threaded answers. A <c>PredictionEngine</c> is not itself thread-safe, and by ML.NET's default it disposes the
/// model when it is disposed: create engines that share the student with
/// <c>new PredictionEngineOptions { OwnsTransformer = false }</c> (a pool that drops engines would otherwise dispose
/// the student under the engines still serving), and dispose the student once, when no engine uses it.</para>
/// </remarks>
/// <example>
/// <code language="csharp">
/// using var student = mlContext.MulticlassClassification.Trainers.DistillMlp([64], epochs: 5).Fit(scored);
/// var options = new PredictionEngineOptions { OwnsTransformer = false }; // the engines share the student
/// Parallel.For(0, 4, t =>
/// {
///     using var engine = mlContext.Model.CreatePredictionEngine&lt;ImageRow, Prediction&gt;(student, options); // one per thread
///     Prediction answer = engine.Predict(new ImageRow { Features = images[t] });
/// });
/// </code>
/// </example>
public sealed class MlpStudentTransformer : ITransformer, IDisposable, IOnnxGraphStudent
{
    private readonly TransformsCatalog _transforms;
    private readonly TeacherScoringTransformer _scorer;
    private readonly ITransformer[] _post;
    private readonly Lock _servingLock = new();
    private TransformerChain<ITransformer>? _serving;

    internal MlpStudentTransformer(TransformsCatalog transforms, TeacherTask task, TeacherScoringTransformer scorer, ITransformer[] post, byte[] onnx, IReadOnlyList<MlpEpochProgress> history)
    {
        _transforms = transforms;
        Task = task;
        _scorer = scorer;
        _post = post;
        OnnxModel = onnx;
        History = history;
    }

    /// <summary>Gets the student's ONNX model bytes (input <c>features</c>, outputs <c>logits</c> and <c>probabilities</c>).</summary>
    public ReadOnlyMemory<byte> OnnxModel { get; }

    /// <summary>Gets the per-epoch training history.</summary>
    public IReadOnlyList<MlpEpochProgress> History { get; }

    /// <summary>
    /// Gets the teacher's share of the training time: seconds the teacher spent scoring mixed batches on the fly over all
    /// epochs, divided by the epochs' seconds (0 without augmentation).
    /// </summary>
    public double TeacherShare
    {
        get
        {
            double total = History.Sum(e => e.Seconds);
            return total > 0 ? History.Sum(e => e.TeacherSeconds) / total : 0;
        }
    }

    /// <summary>Gets the number of classes (2 for a binary student, 1 for a regression student).</summary>
    public int ClassCount => _scorer.ClassCount;

    /// <summary>Gets what the student predicts: <see cref="TeacherTask.Multiclass"/>, <see cref="TeacherTask.Binary"/> or <see cref="TeacherTask.Regression"/>.</summary>
    public TeacherTask Task { get; }

    /// <summary>Gets <see langword="true"/>: one row at a time the student runs as ML.NET's <c>ApplyOnnxModel</c> chain (see remarks).</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>Writes the student's ONNX file (atomically).</summary>
    /// <param name="path">The <c>.onnx</c> path.</param>
    public void SaveOnnx(string path) => Data.AtomicFile.Write(path, stream => stream.Write(OnnxModel.Span));

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        var schema = _scorer.GetOutputSchema(inputSchema);
        foreach (var step in _post)
        {
            schema = step.GetOutputSchema(schema);
        }

        return schema;
    }

    /// <summary>Gets the row-to-row mapper of the saveable chain (see remarks): what <c>PredictionEngine</c> runs.</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The mapper.</returns>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => ((ITransformer)Serving()).GetRowToRowMapper(inputSchema);

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        var data = _scorer.Transform(input);
        foreach (var step in _post)
        {
            data = step.Transform(data);
        }

        return data;
    }

    /// <summary>Saves the student as the chain of ML.NET transforms described in the remarks.</summary>
    /// <param name="ctx">ML.NET's save context.</param>
    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)Serving()).Save(ctx);

    /// <summary>Releases the ONNX Runtime sessions.</summary>
    public void Dispose()
    {
        _scorer.Dispose();
        lock (_servingLock)
        {
            _serving?.Dispose();
            _serving = null;
        }
    }

    /// <summary>The saveable, row-to-row chain: ApplyOnnxModel (outputs flattened), then the task's mapping steps.</summary>
    private TransformerChain<ITransformer> Serving()
    {
        lock (_servingLock)
        {
            if (_serving is null)
            {
                var onnx = _scorer.ToApplyOnnxModel();
                var parts = StudentOutputMapping.Flatten(onnx).ToList();
                if (Task == TeacherTask.Regression)
                {
                    // ApplyOnnxModel gives the prediction as a one-value vector; the batched scorer gives a scalar.
                    parts.Add(StudentOutputMapping.Regression(_transforms, new Data.EmptyDataView(onnx.GetOutputSchema(_scorer.FitSchema))));
                }

                parts.AddRange(_post);
                _serving = new TransformerChain<ITransformer>(parts.ToArray());
            }

            return _serving;
        }
    }
}
