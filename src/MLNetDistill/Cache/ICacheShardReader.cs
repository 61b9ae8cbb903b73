using MLNetDistill.Data;

namespace MLNetDistill.Cache;

/// <summary>Reads the rows of one cache file in order; the values of the current row stay valid until the next <see cref="MoveNext"/>.</summary>
internal interface ICacheShardReader : IDisposable
{
    /// <summary>The current row's label (NaN when not read).</summary>
    float Label { get; }

    /// <summary>The current row's logits (empty when not read).</summary>
    ReadOnlySpan<float> Logits { get; }

    /// <summary>The current row's stored soft labels (empty when not read).</summary>
    ReadOnlySpan<float> Soft { get; }

    /// <summary>The current row's predicted class, 0-based.</summary>
    int Predicted { get; }

    /// <summary>Moves to the next row; false after the last one.</summary>
    /// <exception cref="InvalidDataException">The file is damaged or has more or fewer rows than its metadata says.</exception>
    bool MoveNext();
}

/// <summary>Which parts of a row a cache reader must decode.</summary>
/// <param name="Label">Decode the label.</param>
/// <param name="Logits">Decode the logits.</param>
/// <param name="Soft">Decode the stored soft labels.</param>
/// <param name="Predicted">Decode the predicted class.</param>
internal readonly record struct CacheReadParts(bool Label, bool Logits, bool Soft, bool Predicted)
{
    /// <summary>Opens the reader for <paramref name="shard"/>'s format.</summary>
    public ICacheShardReader Open(CacheShard shard) =>
        CacheColumns.IsParquet(shard.Path) ? new ParquetCacheShardReader(shard, this) : new CsvCacheShardReader(shard, this);
}
