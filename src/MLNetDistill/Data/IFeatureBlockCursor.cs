namespace MLNetDistill.Data;

/// <summary>
/// A cursor of this folder's readers that can hand out many rows at once, decoded straight into the caller's buffers:
/// what the teacher's scorer uses to fill its ONNX Runtime input tensor without a per-row <c>VBuffer</c> copy.
/// </summary>
/// <remarks>
/// A caller uses either <see cref="ReadBlock"/> or <c>MoveNext</c> and the getters on one cursor, not both: after a block
/// the getters do not describe any row. The values are the ones the getters would give, bit for bit.
/// </remarks>
internal interface IFeatureBlockCursor
{
    /// <summary>Gets whether the cursor can read blocks (the <c>Features</c> column is active, and the label too when asked).</summary>
    bool CanReadBlocks { get; }

    /// <summary>Gets the floats per row of <c>Features</c>.</summary>
    int FeatureCount { get; }

    /// <summary>Gets whether the rows have a label (and <see cref="ReadBlock"/> fills it).</summary>
    bool HasLabel { get; }

    /// <summary>Reads the next rows, at most <paramref name="maxRows"/>.</summary>
    /// <param name="features">Receives rows x <see cref="FeatureCount"/> floats, row-major.</param>
    /// <param name="labels">Receives one label per row when <see cref="HasLabel"/>; may be empty otherwise.</param>
    /// <param name="maxRows">The most rows to read.</param>
    /// <returns>The rows read; 0 at the end of the data.</returns>
    int ReadBlock(Span<float> features, Span<float> labels, int maxRows);
}
