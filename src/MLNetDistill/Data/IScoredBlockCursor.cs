using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>
/// A cursor over scored rows that hands out a whole batch of a column at once: what the teacher's cursor offers the cache
/// writers, so the rows reach the Parquet column buffers without a getter call and a copy per row.
/// </summary>
/// <remarks>A caller uses either <see cref="MoveNextBlock"/> or <c>MoveNext</c> on one cursor, not both.</remarks>
internal interface IScoredBlockCursor
{
    /// <summary>Gets the rows of the current block.</summary>
    int BlockRows { get; }

    /// <summary>Whether <see cref="BlockColumn"/> can give <paramref name="column"/> (a teacher output, or a label the cursor holds in blocks).</summary>
    bool CanReadBlock(DataViewSchema.Column column);

    /// <summary>Moves to the next block of rows; false at the end.</summary>
    bool MoveNextBlock();

    /// <summary>The current block's values of a Single or vector-of-Single column: <see cref="BlockRows"/> x its size, row-major.</summary>
    ReadOnlySpan<float> BlockColumn(DataViewSchema.Column column);
}
