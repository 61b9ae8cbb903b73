namespace MLNetDistill.Students;

/// <summary>
/// A trained student whose model is an ONNX graph it carries (the MLP student): what it costs is read from that graph (its
/// parameters are the graph's initializers), so evaluation measures it without knowing the student's family.
/// </summary>
internal interface IOnnxGraphStudent
{
    /// <summary>Gets the student's ONNX model bytes.</summary>
    ReadOnlyMemory<byte> OnnxModel { get; }
}
