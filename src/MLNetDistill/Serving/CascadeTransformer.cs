using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Students;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Teachers;

namespace MLNetDistill.Serving;

/// <summary>
/// A cascade: the student answers every row, and the rows it is least sure of (confidence below <see cref="Threshold"/>)
/// go to the teacher, whose answer replaces the student's. Adds <c>Score</c> (the answering model's class probabilities,
/// a vector of K), <c>PredictedLabel</c> (a key of K, with the teacher's class values) and <c>Deferred</c> (bool), in
/// place of the student's columns of those names. Made by <see cref="CascadeEstimator"/>.
/// </summary>
/// <remarks>
/// <para><see cref="Transform"/> reads <see cref="CascadeOptions.BatchSize"/> rows ahead, runs the student on them, and
/// sends the deferred rows of the batch to the teacher together, in one teacher pass: the teacher never sees the other rows.
/// A <c>PredictionEngine</c> (through <see cref="GetRowToRowMapper"/>) runs the student on its row, and the teacher only
/// when that row is deferred.</para>
/// <para>The cascade does not own the student and the teacher: dispose them yourself, after the cascade's last use.</para>
/// <para>Saving: <c>mlContext.Model.Save</c> stores a cascade of an MLP student and a numeric teacher as ML.NET's own
/// <c>ApplyOnnxModel</c> over one ONNX graph whose <c>If</c> runs the teacher only on deferred rows (see
/// <see cref="ToSaveableModel"/>); load it after <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(CascadeCatalog).Assembly)</c>.
/// Other cascades (ML.NET students, text teachers) cannot be saved: save the student, keep the teacher's <c>.onnx</c>, and
/// rebuild with <see cref="CascadeCatalog.CascadeAt"/> from <see cref="Rule"/> and <see cref="Threshold"/>.</para>
/// <para>Thread safety: <see cref="Transform"/> views and their cursors may be used from several threads at once (each
/// cursor has its own batch); a <c>PredictionEngine</c> is one thread's, as in ML.NET.</para>
/// </remarks>
public sealed class CascadeTransformer : ITransformer
{
    /// <summary>The name of the output column that says whether the teacher answered the row.</summary>
    public const string DeferredColumnName = "Deferred";

    private long _rowsServed;
    private long _rowsDeferred;

    private readonly TransformsCatalog _catalog;

    internal CascadeTransformer(TransformsCatalog catalog, ITransformer student, TeacherScoringTransformer teacher, CascadeOptions options, float threshold, CascadeChoice? choice, CascadeCurve? heldOutCurve, LearnedDeferral? learned)
    {
        _catalog = catalog;
        Student = student;
        Teacher = teacher;
        Options = options;
        Threshold = threshold;
        Choice = choice;
        HeldOutCurve = heldOutCurve;
        Learned = learned;
        if (teacher.Task == TeacherTask.Regression)
        {
            throw new ArgumentException("A cascade needs a classification teacher (class logits) to compare confidences and answers; this teacher does regression.", nameof(teacher));
        }

        if (options.Rule == DeferralRule.Learned && learned is null)
        {
            throw new ArgumentException("The Learned deferral rule needs a fitted model: fit the cascade estimator on held-out rows to train it.", nameof(options));
        }
    }

    /// <summary>Gets the student, which answers every row.</summary>
    public ITransformer Student { get; }

    /// <summary>Gets the teacher, which answers the deferred rows.</summary>
    public TeacherScoringTransformer Teacher { get; }

    /// <summary>Gets the deferral rule.</summary>
    public DeferralRule Rule => Options.Rule;

    /// <summary>Gets the confidence threshold: rows whose confidence is below it are deferred to the teacher.</summary>
    public float Threshold { get; }

    /// <summary>Gets the threshold chosen on the held-out rows the estimator was fitted on; <see langword="null"/> when the threshold was given.</summary>
    public CascadeChoice? Choice { get; }

    /// <summary>Gets the cascade curve on those held-out rows (21 points); <see langword="null"/> when the threshold was given.</summary>
    public CascadeCurve? HeldOutCurve { get; }

    /// <summary>Gets the number of classes K.</summary>
    public int ClassCount => Teacher.ClassCount;

    /// <summary>Gets the number of rows the cascade has answered so far (every view, cursor and engine).</summary>
    public long RowsServed => Interlocked.Read(ref _rowsServed);

    /// <summary>Gets the number of those rows that went to the teacher.</summary>
    public long RowsDeferred => Interlocked.Read(ref _rowsDeferred);

    /// <summary>Gets whether the cascade works row by row for a <c>PredictionEngine</c>: when the student does.</summary>
    public bool IsRowToRowMapper => Student.IsRowToRowMapper;

    internal CascadeOptions Options { get; }

    internal LearnedDeferral? Learned { get; }

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var studentSchema = Student.GetOutputSchema(inputSchema);
        CheckScore(studentSchema);
        var builder = new DataViewSchema.Builder();
        foreach (var column in inputSchema)
        {
            if (!column.IsHidden && !IsOutput(column.Name))
            {
                builder.AddColumn(column.Name, column.Type, column.Annotations);
            }
        }

        var predicted = Teacher.GetOutputSchema(inputSchema)[Teacher.Options.PredictedLabelColumnName];
        builder.AddColumn(Options.ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, ClassCount));
        builder.AddColumn(DataColumnNames.PredictedLabel, predicted.Type, predicted.Annotations);
        builder.AddColumn(DeferredColumnName, BooleanDataViewType.Instance);
        return builder.ToSchema();
    }

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new CascadeDataView(this, input);
    }

    /// <summary>
    /// Measures the cascade's curve on <paramref name="data"/> offline: the student and the teacher both score every row,
    /// and the rows are deferred by this cascade's rule (its fitted model for <see cref="DeferralRule.Learned"/>). To report a
    /// cascade on test rows, <c>MeasureCurve(test).At(Threshold)</c> gives the figures at the threshold chosen on held-out rows.
    /// </summary>
    /// <param name="data">The rows, with labels for accuracy (agreement with the teacher only, without).</param>
    /// <param name="points">The number of curve points; at least 2 (21 = every 5 %).</param>
    /// <returns>The curve.</returns>
    public CascadeCurve MeasureCurve(IDataView data, int points = 21)
    {
        ArgumentNullException.ThrowIfNull(data);
        var rows = HeldOutRows.Read(Student, Teacher, Options.ScoreColumnName, Options.LabelColumnName, data);
        float[] confidence = new float[rows.Rows];
        Confidence(rows.Probabilities, confidence);
        return CascadeCurve.Measure(confidence, rows.StudentPredicted, rows.TeacherPredicted, rows.Labels, points);
    }

    /// <summary>Gets the row-to-row mapper a <c>PredictionEngine</c> runs: the student on the row, then the teacher if the row is deferred.</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The mapper.</returns>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new CascadeRowMapper(this, inputSchema);
    }

    /// <summary>
    /// Builds the saveable form of the cascade from ML.NET's own components: one ONNX graph (the student, its confidence,
    /// and an <c>If</c> whose then-branch is the teacher, so the teacher runs only on a deferred row) run by
    /// <c>ApplyOnnxModel</c>, then the steps that make <c>Score</c> a vector of K, <c>Deferred</c> a bool and
    /// <c>PredictedLabel</c> a key over the teacher's classes.
    /// </summary>
    /// <returns>A chain that <c>mlContext.Model.Save</c> can store (load it after <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(CascadeCatalog).Assembly)</c>).</returns>
    /// <exception cref="NotSupportedException">The student is not an ONNX-graph student (the MLP), or the teacher reads text or several inputs.</exception>
    public ITransformer ToSaveableModel()
    {
        if (Student is not IOnnxGraphStudent onnxStudent || Teacher.Text is not null || Teacher.Graph.Inputs.Count != 1 || Options.ScoreColumnName != DataColumnNames.Score)
        {
            throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                $"This cascade cannot be saved with mlContext.Model.Save: only a cascade of an MLP student (an ONNX graph) and a teacher with one numeric input can be written as one ONNX graph that ML.NET stores. Save the student with mlContext.Model.Save, keep the teacher's '{Teacher.Options.ModelFile}', and build the cascade again with mlContext.Transforms.CascadeAt(student, teacher, {Threshold.ToString("R", CultureInfo.InvariantCulture)}f, DeferralRule.{Rule})."));
        }

        string input = Teacher.Graph.Inputs[0].Name;
        byte[] graph = CascadeOnnx.Build(onnxStudent.OnnxModel.Span, Teacher.Graph.Bytes, input, Teacher.Options.LogitsColumnName, ClassCount, Rule, Threshold, Learned);
        var schema = Teacher.FitSchema;
        var apply = _catalog.ApplyOnnxModel([CascadeOnnx.ScoreOutput, CascadeOnnx.DeferredOutput], [input], new MemoryStream(graph, writable: false)).Fit(new EmptyDataView(schema));
        var parts = new List<ITransformer>(StudentOutputMapping.Flatten(apply));
        schema = apply.GetOutputSchema(schema);
        var flatten = _catalog.Expression(CascadeOnnx.ScoreOutput, "x => x", CascadeOnnx.ScoreOutput).Fit(new EmptyDataView(schema));
        parts.Add(flatten);
        schema = flatten.GetOutputSchema(schema);
        var deferred = _catalog.CustomMapping(new CascadeDeferredFactory().GetMapping(), CascadeDeferredFactory.Contract).Fit(new EmptyDataView(schema));
        parts.Add(deferred);
        schema = deferred.GetOutputSchema(schema);
        parts.AddRange(StudentOutputMapping.Multiclass(_catalog, schema, Teacher.Classes!));
        return new TransformerChain<ITransformer>(parts.ToArray());
    }

    /// <summary>Saves the cascade as the chain <see cref="ToSaveableModel"/> builds.</summary>
    /// <param name="ctx">ML.NET's save context.</param>
    void ICanSaveModel.Save(ModelSaveContext ctx) => ToSaveableModel().Save(ctx);

    /// <summary>Whether <paramref name="name"/> is one of the columns the cascade writes.</summary>
    internal bool IsOutput(string name) => name == Options.ScoreColumnName || name == DataColumnNames.PredictedLabel || name == DeferredColumnName;

    /// <summary>The teacher's input columns: the columns a deferred row must carry to the teacher.</summary>
    internal IEnumerable<string> TeacherInputColumns() =>
        Teacher.Text is { } text ? [text.TextColumn] : Teacher.Graph.Inputs.Select(i => i.ColumnName).Distinct();

    /// <summary>Writes the confidence of each row of student probabilities under the cascade's rule.</summary>
    internal void Confidence(ReadOnlySpan<float> probabilities, Span<float> destination)
    {
        if (Learned is not null)
        {
            Learned.Confidence(probabilities, ClassCount, destination);
        }
        else
        {
            DeferralScores.Confidence(Rule, probabilities, ClassCount, destination);
        }
    }

    internal void CountRows(int rows, int deferred)
    {
        Interlocked.Add(ref _rowsServed, rows);
        Interlocked.Add(ref _rowsDeferred, deferred);
    }

    /// <summary>The student's score column in <paramref name="studentSchema"/>, checked to be a vector of K floats.</summary>
    internal DataViewSchema.Column CheckScore(DataViewSchema studentSchema)
    {
        var score = studentSchema.GetColumnOrNull(Options.ScoreColumnName) ?? throw new ArgumentException(
            $"The student's output has no '{Options.ScoreColumnName}' column (its columns are: {ColumnNameList.Format(studentSchema)}). Give a student that adds class probabilities, or name its column in {nameof(CascadeOptions.ScoreColumnName)}.");
        if (score.Type is not VectorDataViewType { ItemType: NumberDataViewType } vector || vector.ItemType != NumberDataViewType.Single || vector.Size != ClassCount)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The student's '{score.Name}' column is {score.Type}; a cascade needs a vector of {ClassCount} Single probabilities, one per teacher class (a multiclass student: binary ML.NET trainers give one score)."));
        }

        return score;
    }
}
