using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// A trained MLP student: adds <c>Score</c> (class probabilities), <c>PredictedLabel</c> (a key, 1-based) and
/// <c>StudentLogits</c>, running the student's ONNX graph in batches through ONNX Runtime.
/// </summary>
/// <remarks>
/// The ONNX file (<see cref="SaveOnnx"/>) is the deployable artifact. <c>mlContext.Model.Save</c> stores the student as
/// ML.NET's <c>ApplyOnnxModel</c> over the same graph (the columns <c>Score</c> and <c>StudentLogits</c>, shaped [1, K];
/// the predicted-class key is not stored: it is the arg-max of <c>Score</c>).
/// </remarks>
public sealed class MlpStudentTransformer : ITransformer, IDisposable
{
    private readonly TeacherScoringTransformer _scorer;

    internal MlpStudentTransformer(TeacherScoringTransformer scorer, byte[] onnx, IReadOnlyList<MlpEpochProgress> history)
    {
        _scorer = scorer;
        OnnxModel = onnx;
        History = history;
    }

    /// <summary>Gets the student's ONNX model bytes (input <c>features</c>, outputs <c>logits</c> and <c>probabilities</c>).</summary>
    public ReadOnlyMemory<byte> OnnxModel { get; }

    /// <summary>Gets the per-epoch training history.</summary>
    public IReadOnlyList<MlpEpochProgress> History { get; }

    /// <summary>Gets the number of classes.</summary>
    public int ClassCount => _scorer.ClassCount;

    /// <inheritdoc/>
    public bool IsRowToRowMapper => false;

    /// <summary>Writes the student's ONNX file (atomically).</summary>
    /// <param name="path">The <c>.onnx</c> path.</param>
    public void SaveOnnx(string path) => Data.AtomicFile.Write(path, stream => stream.Write(OnnxModel.Span));

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _scorer.GetOutputSchema(inputSchema);

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _scorer.GetRowToRowMapper(inputSchema);

    /// <inheritdoc/>
    public IDataView Transform(IDataView input) => _scorer.Transform(input);

    /// <summary>Saves the student as ML.NET's <c>ApplyOnnxModel</c> over its ONNX graph.</summary>
    /// <param name="ctx">ML.NET's save context.</param>
    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)_scorer).Save(ctx);

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose() => _scorer.Dispose();
}
