namespace MLNetDistill.Experiments;

/// <summary>What <see cref="DistillationResultWriter.Save"/> wrote for one trained model.</summary>
/// <param name="ModelFile">The ML.NET model zip.</param>
/// <param name="OnnxFile">The ONNX file beside it (same name, <c>.onnx</c>), or <see langword="null"/> when the model does not convert.</param>
/// <param name="OnnxNote">Why no ONNX file was written (<c>does not convert: ...</c>), or <see langword="null"/> when one was.</param>
/// <param name="ModelBytes">The size of the deployable file as the report counts it: the ONNX graph for MLP students, the zip otherwise.</param>
/// <param name="OnnxBytes">The ONNX file's size, 0 when there is none.</param>
public sealed record DistillationSavedModel(string ModelFile, string? OnnxFile, string? OnnxNote, long ModelBytes, long OnnxBytes);
