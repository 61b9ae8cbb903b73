using Parquet;
using Parquet.Schema;

namespace MLNetDistill.Tests.Llm;

/// <summary>
/// Reads an LLM labeling run's chunk folder as Cache/CacheFormat.md documents it (CACHE.chunks/chunk-NNNNNN.parquet, each
/// with a <c>row</c> column of row ids), with Parquet.Net directly rather than through the labeler's own reader.
/// </summary>
internal static class ChunkFiles
{
    public static string Folder(string cache) => Path.GetFullPath(cache) + ".chunks";

    /// <summary>The complete chunk files (not the hidden temporary ones), in name order.</summary>
    public static string[] Complete(string cache) =>
        Directory.Exists(Folder(cache)) ? [.. Directory.GetFiles(Folder(cache), "chunk-*.parquet").Order(StringComparer.Ordinal)] : [];

    /// <summary>The row ids a chunk file holds, in file order.</summary>
    public static long[] RowIds(string chunk)
    {
        using var stream = File.OpenRead(chunk);
        var reader = ParquetReader.CreateAsync(stream).GetAwaiter().GetResult();
        try
        {
            DataField field = reader.Schema.DataFields.Single(f => f.Name == "row");
            var ids = new List<long>();
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var buffer = new long[group.RowCount];
                group.ReadAsync<long>(field, buffer.AsMemory()).AsTask().GetAwaiter().GetResult();
                ids.AddRange(buffer);
            }

            return [.. ids];
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The row ids all complete chunks of <paramref name="cache"/> hold.</summary>
    public static HashSet<long> SavedRows(string cache) => [.. Complete(cache).SelectMany(RowIds)];
}
