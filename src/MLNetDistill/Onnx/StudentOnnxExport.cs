namespace MLNetDistill.Onnx;

/// <summary>What the student exporter (<c>Students.Export.StudentOnnxExporter.Export</c>) made of a student: its ONNX graph, or why it has none.</summary>
/// <param name="Model">The ONNX model's bytes, or <see langword="null"/> when the student does not convert.</param>
/// <param name="Note">Why the student does not convert (<c>does not convert: ...</c>), or <see langword="null"/> when it does.</param>
/// <param name="InputName">The graph's single input, [N, D] floats (<c>Features</c> for ML.NET models, <c>features</c> for MLP students).</param>
/// <param name="ScoreOutputName">The graph output that holds the model's <c>Score</c> column (<c>Score.output</c>; for MLP students <c>probabilities</c> (multiclass), <c>logits</c> (regression), or <see langword="null"/> for a binary one, whose <c>Score</c> is logits[1] − logits[0]). Graphs from ML.NET's converter also pass columns through (<c>Features.output</c>): ask ONNX Runtime for the outputs named here only.</param>
/// <param name="PredictedLabelOutputName">The graph output that holds <c>PredictedLabel</c>, or <see langword="null"/> when the graph has none (MLP students: take the arg-max of the scores).</param>
public sealed record StudentOnnxExport(byte[]? Model, string? Note, string? InputName = null, string? ScoreOutputName = null, string? PredictedLabelOutputName = null)
{
    /// <summary>Gets whether the student converted (<see cref="Model"/> is set).</summary>
    public bool Converted => Model is not null;
}
