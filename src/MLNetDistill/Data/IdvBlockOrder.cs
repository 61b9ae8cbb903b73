using System.Buffers.Binary;
using System.Text;

namespace MLNetDistill.Data;

/// <summary>
/// Puts the column blocks of an ML.NET binary data file (<c>.idv</c>, the format of <c>SaveAsBinary</c> and of data stored in
/// saved models) in one canonical order. ML.NET's <c>BinarySaver</c> compresses each column's blocks on threads of their own
/// and writes each block as it is ready, recording its offset in the column's lookup table; the same data can therefore
/// come out with its blocks in another order (the lookup tables differ, the data do not). Here the blocks are laid out
/// again in row-block then column order, in the same region of the file, and the lookup tables updated: every byte outside
/// the block region and the lookup tables is kept as it was, and a reader sees the same values.
/// </summary>
/// <remarks>
/// The layout read (ML.NET's IDV format): a 256-byte header (signature <c>CML\0DVB\0</c>, versions, table-of-contents offset
/// at byte 24, tail offset at 32, row count at 40, column count at 48); per column in the table of contents its name, codec
/// name, LEB128 codec-parameter length and parameters, compression kind (one byte), LEB128 rows per block, lookup-table
/// offset and metadata offset (eight bytes each); each lookup table holds one entry per block (eight-byte offset,
/// four-byte compressed and four-byte uncompressed lengths). Anything else (another version, blocks that do not tile one
/// region, offsets out of range) leaves the file unchanged.
/// </remarks>
internal static class IdvBlockOrder
{
    private const ulong Signature = 0x00425644004C4D43; // "CML\0DVB\0" read little-endian
    private const int HeaderSize = 256;
    private const int LookupEntrySize = 16;

    /// <summary>The file with its blocks in canonical order, or <paramref name="idv"/> itself when it is not a file this can read.</summary>
    public static byte[] Canonical(byte[] idv)
    {
        ArgumentNullException.ThrowIfNull(idv);
        try
        {
            return Arrange(idv, reversed: false) ?? idv;
        }
        catch (Exception e) when (e is ArgumentException or EndOfStreamException or OverflowException or IndexOutOfRangeException or DecoderFallbackException)
        {
            return idv;
        }
    }

    /// <summary>
    /// The file with its blocks laid out in row-block then column order, or in the exact reverse of it (another order the
    /// saver's threads could have written, for tests); <see langword="null"/> when the file is not one this can read.
    /// </summary>
    internal static byte[]? Arrange(byte[] idv, bool reversed)
    {
        if (idv.Length < HeaderSize || BinaryPrimitives.ReadUInt64LittleEndian(idv) != Signature)
        {
            return null;
        }

        long tocOffset = BinaryPrimitives.ReadInt64LittleEndian(idv.AsSpan(24));
        long rowCount = BinaryPrimitives.ReadInt64LittleEndian(idv.AsSpan(40));
        int columnCount = BinaryPrimitives.ReadInt32LittleEndian(idv.AsSpan(48));
        if (tocOffset < HeaderSize || tocOffset >= idv.Length || rowCount < 0 || columnCount <= 0)
        {
            return null;
        }

        // Each column's lookup table: where it is and how many blocks it lists.
        var lookups = new (long Offset, long Blocks)[columnCount];
        using (var reader = new BinaryReader(new MemoryStream(idv, (int)tocOffset, idv.Length - (int)tocOffset), Encoding.UTF8))
        {
            for (int c = 0; c < columnCount; c++)
            {
                reader.ReadString(); // column name
                reader.ReadString(); // codec name
                long parameters = (long)ReadLeb128(reader);
                reader.BaseStream.Seek(parameters, SeekOrigin.Current);
                reader.ReadByte(); // compression kind
                long rowsPerBlock = (long)ReadLeb128(reader);
                long lookup = reader.ReadInt64();
                reader.ReadInt64(); // metadata table of contents
                if (rowsPerBlock <= 0 || lookup < HeaderSize)
                {
                    return null;
                }

                lookups[c] = (lookup, (rowCount + rowsPerBlock - 1) / rowsPerBlock);
            }
        }

        var blocks = new List<(int Column, long Index, long Offset, int Length)>();
        foreach (var (column, (lookup, count)) in lookups.Index())
        {
            if (lookup + (count * LookupEntrySize) > idv.Length)
            {
                return null;
            }

            for (long b = 0; b < count; b++)
            {
                var entry = idv.AsSpan((int)(lookup + (b * LookupEntrySize)), LookupEntrySize);
                long offset = BinaryPrimitives.ReadInt64LittleEndian(entry);
                int length = BinaryPrimitives.ReadInt32LittleEndian(entry[8..]);
                if (offset < HeaderSize || length < 0 || offset + length > idv.Length)
                {
                    return null;
                }

                blocks.Add((column, b, offset, length));
            }
        }

        if (blocks.Count < 2)
        {
            return null; // one block (or none) has only one order
        }

        // The blocks must tile one region exactly, with no lookup table inside it, for a reordering to keep the rest in place.
        var byOffset = blocks.OrderBy(b => b.Offset).ToList();
        long start = byOffset[0].Offset, end = start;
        foreach (var block in byOffset)
        {
            if (block.Offset != end)
            {
                return null;
            }

            end += block.Length;
        }

        if (lookups.Any(l => l.Offset < end && l.Offset + (l.Blocks * LookupEntrySize) > start) || (tocOffset < end && tocOffset >= start))
        {
            return null;
        }

        byte[] result = (byte[])idv.Clone();
        long position = start;
        var order = blocks.OrderBy(b => b.Index).ThenBy(b => b.Column).ToList();
        if (reversed)
        {
            order.Reverse();
        }

        foreach (var block in order)
        {
            idv.AsSpan((int)block.Offset, block.Length).CopyTo(result.AsSpan((int)position));
            BinaryPrimitives.WriteInt64LittleEndian(result.AsSpan((int)(lookups[block.Column].Offset + (block.Index * LookupEntrySize))), position);
            position += block.Length;
        }

        return result;
    }

    private static ulong ReadLeb128(BinaryReader reader)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = reader.ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new OverflowException("A LEB128 number in the .idv table of contents is longer than 64 bits.");
    }
}
