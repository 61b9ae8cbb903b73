using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Teachers;
using MLNetDistill.Data;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// A trained MLP student, running its ONNX graph in batches through ONNX Runtime. A multiclass student adds
/// <c>Score</c> (class probabilities), <c>PredictedLabel</c> (a key, 1-based) and <c>StudentLogits</c>; a binary
/// student adds <c>Score</c> (the log-odds z1 - z0), <c>Probability</c> and <c>PredictedLabel</c> (bool) besides its
/// two logits; a regression student adds <c>Score</c>. The columns are what ML.NET's evaluators read.
/// </summary>
/// <remarks>
/// The ONNX file (<see cref="SaveOnnx"/>) is the deployable artifact. <c>mlContext.Model.Save</c> stores the student as
/// ML.NET's <c>ApplyOnnxModel</c> over the same graph (its vector columns shaped [1, K]; a multiclass student's
/// predicted-class key is not stored: it is the arg-max of <c>Score</c>), followed for binary and regression students
/// by ML.NET's <c>CustomMapping</c> that makes the scalar columns; load those with
/// <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly)</c> called first.
/// </remarks>
public sealed class MlpStudentTransformer : ITransformer, IDisposable
{
    private readonly TransformsCatalog _transforms;
    private readonly TeacherScoringTransformer _scorer;
    private readonly ITransformer? _post;

    internal MlpStudentTransformer(TransformsCatalog transforms, TeacherTask task, TeacherScoringTransformer scorer, ITransformer? post, byte[] onnx, IReadOnlyList<MlpEpochProgress> history)
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

    /// <summary>Gets the number of classes (2 for a binary student, 1 for a regression student).</summary>
    public int ClassCount => _scorer.ClassCount;

    /// <summary>Gets what the student predicts: <see cref="TeacherTask.Multiclass"/>, <see cref="TeacherTask.Binary"/> or <see cref="TeacherTask.Regression"/>.</summary>
    public TeacherTask Task { get; }

    /// <inheritdoc/>
    public bool IsRowToRowMapper => false;

    /// <summary>Writes the student's ONNX file (atomically).</summary>
    /// <param name="path">The <c>.onnx</c> path.</param>
    public void SaveOnnx(string path) => Data.AtomicFile.Write(path, stream => stream.Write(OnnxModel.Span));

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        var scored = _scorer.GetOutputSchema(inputSchema);
        return _post?.GetOutputSchema(scored) ?? scored;
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _scorer.GetRowToRowMapper(inputSchema);

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        var scored = _scorer.Transform(input);
        return _post?.Transform(scored) ?? scored;
    }

    /// <summary>Saves the student as ML.NET's <c>ApplyOnnxModel</c> over its ONNX graph (then a <c>CustomMapping</c> for binary and regression students).</summary>
    /// <param name="ctx">ML.NET's save context.</param>
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        if (Task == TeacherTask.Multiclass)
        {
            ((ICanSaveModel)_scorer).Save(ctx);
            return;
        }

        var onnx = _scorer.ToApplyOnnxModel();
        var post = _post ?? StudentOutputMapping.Regression(_transforms, new EmptyDataView(onnx.GetOutputSchema(_scorer.FitSchema)));
        ((ICanSaveModel)new TransformerChain<ITransformer>(onnx, post)).Save(ctx);
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose() => _scorer.Dispose();
}
