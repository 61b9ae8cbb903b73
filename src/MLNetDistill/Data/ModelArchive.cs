using System.IO.Compression;
using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>
/// Saves ML.NET models as byte-reproducible zip files. <c>mlContext.Model.Save</c> stamps every entry with the time of the
/// save, and ML.NET's binary data files (<c>.idv</c>, e.g. a <c>MapValue</c> transform's <c>DefaultMap.idv</c>) have their
/// column blocks written in the order parallel compression threads finish them. Both differ between two saves of one
/// model. So the archive ML.NET writes is re-packed: the same entries, their content unchanged except for the block order
/// of <c>.idv</c> files (see <see cref="IdvBlockOrder"/>), in ordinal name order, each stamped <see cref="EntryTime"/> and
/// compressed at <see cref="CompressionLevel.Optimal"/>. <c>mlContext.Model.Load</c> reads the result as it read the original.
/// </summary>
internal static class ModelArchive
{
    /// <summary>The time stamped on every entry: 1980-01-01 00:00, the first time a zip file can hold (stored as written, whatever the machine's time zone).</summary>
    public static readonly DateTimeOffset EntryTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Saves <paramref name="model"/> with its input schema to <paramref name="destination"/>, reproducibly.</summary>
    /// <param name="catalog">The ML.NET context's model catalog.</param>
    /// <param name="model">The model.</param>
    /// <param name="inputSchema">The schema to store with it.</param>
    /// <param name="destination">A writable stream; it is left open.</param>
    public static void Save(ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(destination);
        using var raw = new MemoryStream();
        catalog.Save(model, inputSchema, raw);
        raw.Position = 0;
        Repack(raw, destination);
    }

    /// <summary>The bytes <see cref="Save"/> writes.</summary>
    public static byte[] ToBytes(ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema)
    {
        using var buffer = new MemoryStream();
        Save(catalog, model, inputSchema, buffer);
        return buffer.ToArray();
    }

    /// <summary>Re-packs a zip archive: entries in ordinal name order, each stamped <see cref="EntryTime"/>, <c>.idv</c> blocks in canonical order.</summary>
    /// <param name="source">The archive to read (from its current position).</param>
    /// <param name="destination">Receives the new archive; it is left open.</param>
    public static void Repack(Stream source, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var entries = new List<(string Name, byte[] Content)>();
        using (var input = new ZipArchive(source, ZipArchiveMode.Read, leaveOpen: true))
        {
            foreach (var entry in input.Entries)
            {
                using var content = new MemoryStream();
                using (var stream = entry.Open())
                {
                    stream.CopyTo(content);
                }

                byte[] bytes = content.ToArray();
                entries.Add((entry.FullName, entry.FullName.EndsWith(".idv", StringComparison.OrdinalIgnoreCase) ? IdvBlockOrder.Canonical(bytes) : bytes));
            }
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        using var output = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, content) in entries)
        {
            var entry = output.CreateEntry(name, CompressionLevel.Optimal);
            entry.LastWriteTime = EntryTime;
            entry.ExternalAttributes = 0;
            using var stream = entry.Open();
            stream.Write(content);
        }
    }
}
