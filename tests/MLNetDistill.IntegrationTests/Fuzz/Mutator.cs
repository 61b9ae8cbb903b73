using System.Buffers.Binary;
using System.Text;

namespace MLNetDistill.Tests.Fuzz;

/// <summary>
/// Seeded, deterministic mutations of files and strings: the same seed and case number give the same mutant, so a failing
/// case is reproduced by its (seed, case) pair alone.
/// </summary>
/// <remarks>
/// Byte level: bit flips, bytes set to 0x00/0xFF/0x7F/0x80, truncation, chunk deletion/duplication, random insertion, and
/// declared sizes made huge: a big-endian int32 at a format-chosen offset (IDX dimensions, Parquet's footer length) or a
/// protobuf varint length prefix replaced by a huge one. Text level (CSV/TSV, spec strings, CLI arguments): ragged rows,
/// extra/missing/duplicated columns and headers, NaN/Inf/1e400/empty cells, wrong delimiters, invalid UTF-8, BOMs,
/// very long lines and stray quotes.
/// </remarks>
internal sealed class Mutator
{
    private static readonly int[] HugeInts = [int.MaxValue, int.MinValue, -1, 0, 0x7FFFFFF0, 1 << 30, 65_536, 1_000_000_007, 0x01000001];
    private static readonly ulong[] HugeVarints = [ulong.MaxValue, (ulong)int.MaxValue, (ulong)int.MaxValue + 1, 1UL << 40, 0x7FFF_FFF0, 1UL << 62];
    private static readonly string[] OddCells =
    [
        "NaN", "Infinity", "-Infinity", "inf", "1e400", "-1e400", "1e-400", "", " ", "\"", "\"\"", "\"1,2\"", "abc", "0x10", "1,5",
        "--1", "1e", "∞", "١٢", "\0", "null", "true", "79228162514264337593543950336", "-0", "+", "1.2.3", "\u00A0",
    ];

    private readonly Random _random;

    /// <summary>A mutator for case <paramref name="caseNumber"/> of the run seeded with <paramref name="seed"/>.</summary>
    public Mutator(int seed, int caseNumber)
    {
        _random = new Random(unchecked((seed * 1_000_003) ^ (caseNumber * 7_919) ^ 0x5EED));
    }

    /// <summary>Draws an integer in [0, max).</summary>
    public int Next(int max) => _random.Next(max);

    /// <summary>Picks one of <paramref name="items"/>.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    /// <summary>One to three byte-level mutations of <paramref name="seed"/>; <paramref name="sizeOffsets"/> are where the format declares sizes.</summary>
    public byte[] MutateBytes(byte[] seed, IReadOnlyList<int>? sizeOffsets = null, bool protobuf = false)
    {
        byte[] data = seed;
        int rounds = 1 + _random.Next(3);
        for (int r = 0; r < rounds; r++)
        {
            data = MutateOnce(data, sizeOffsets, protobuf, out _);
        }

        return data;
    }

    /// <summary>One byte-level mutation; <paramref name="kind"/> names it (for the report of a bad case).</summary>
    public byte[] MutateOnce(byte[] seed, IReadOnlyList<int>? sizeOffsets, bool protobuf, out string kind)
    {
        byte[] data = (byte[])seed.Clone();
        if (data.Length == 0)
        {
            kind = "insert into empty";
            return [(byte)_random.Next(256)];
        }

        int choice = _random.Next(sizeOffsets is { Count: > 0 } || protobuf ? 11 : 9);
        switch (choice)
        {
            case 0:
            case 1:
            {
                int flips = 1 + _random.Next(8);
                for (int i = 0; i < flips; i++)
                {
                    int at = _random.Next(data.Length);
                    data[at] ^= (byte)(1 << _random.Next(8));
                }

                kind = $"{flips} bit flips";
                return data;
            }

            case 2:
            {
                byte value = Pick<byte>([0x00, 0xFF, 0x7F, 0x80]);
                int count = 1 + _random.Next(16);
                int at = _random.Next(data.Length);
                for (int i = at; i < Math.Min(data.Length, at + count); i++)
                {
                    data[i] = value;
                }

                kind = $"{count} bytes set to 0x{value:X2} at {at}";
                return data;
            }

            case 3:
            {
                int length = _random.Next(4) == 0 ? _random.Next(Math.Min(data.Length, 32)) : _random.Next(data.Length);
                kind = $"truncated to {length} bytes";
                return data[..length];
            }

            case 4:
            {
                int at = _random.Next(data.Length);
                int length = 1 + _random.Next(Math.Min(data.Length - at, 256));
                kind = $"deleted {length} bytes at {at}";
                return [.. data[..at], .. data[(at + length)..]];
            }

            case 5:
            {
                int at = _random.Next(data.Length);
                int length = 1 + _random.Next(Math.Min(data.Length - at, 256));
                kind = $"duplicated {length} bytes at {at}";
                return [.. data[..(at + length)], .. data[at..]];
            }

            case 6:
            {
                byte[] junk = new byte[1 + _random.Next(64)];
                _random.NextBytes(junk);
                int at = _random.Next(data.Length + 1);
                kind = $"inserted {junk.Length} random bytes at {at}";
                return [.. data[..at], .. junk, .. data[at..]];
            }

            case 7:
            {
                // Wrong magic: the first bytes replaced.
                int count = Math.Min(data.Length, 1 + _random.Next(8));
                for (int i = 0; i < count; i++)
                {
                    data[i] = (byte)_random.Next(256);
                }

                kind = $"first {count} bytes randomized";
                return data;
            }

            case 8:
            {
                int at = _random.Next(data.Length);
                data[at] = (byte)_random.Next(256);
                kind = $"byte {at} randomized";
                return data;
            }

            default:
                if (sizeOffsets is { Count: > 0 } && (!protobuf || _random.Next(2) == 0))
                {
                    int offset = Pick(sizeOffsets);
                    int value = Pick(HugeInts);
                    if (offset < 0)
                    {
                        offset += data.Length; // from the end (Parquet's footer length)
                    }

                    if (offset >= 0 && offset + 4 <= data.Length)
                    {
                        if (_random.Next(4) == 0)
                        {
                            BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(offset), value);
                        }
                        else
                        {
                            BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(offset), value);
                        }
                    }

                    kind = $"declared size at {offset} set to {value}";
                    return data;
                }

                return HugeVarint(data, out kind);
        }
    }

    /// <summary>A text-level mutation of delimited text with a header row.</summary>
    public string MutateTable(string text, char delimiter, out string kind)
    {
        var lines = text.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        int choice = _random.Next(16);
        string d = delimiter.ToString();
        int row = lines.Count > 1 ? 1 + _random.Next(lines.Count - 1) : 0;
        switch (choice)
        {
            case 0:
            {
                var cells = lines[row].Split(delimiter).ToList();
                int drop = _random.Next(cells.Count);
                cells.RemoveAt(drop);
                lines[row] = string.Join(d, cells);
                kind = $"row {row} lost cell {drop} (ragged)";
                break;
            }

            case 1:
                lines[row] += d + Pick(OddCells);
                kind = $"row {row} got an extra cell (ragged)";
                break;
            case 2:
            {
                var cells = lines[row].Split(delimiter);
                int at = _random.Next(cells.Length);
                cells[at] = Pick(OddCells);
                lines[row] = string.Join(d, cells);
                kind = $"row {row} cell {at} = '{cells[at]}'";
                break;
            }

            case 3:
            {
                var header = lines[0].Split(delimiter);
                int a = _random.Next(header.Length);
                int b = _random.Next(header.Length);
                header[a] = header[b];
                lines[0] = string.Join(d, header);
                kind = $"header column {a} duplicates column {b} ('{header[b]}')";
                break;
            }

            case 4:
            {
                var header = lines[0].Split(delimiter).ToList();
                int at = _random.Next(header.Count);
                kind = $"header column {at} ('{header[at]}') removed";
                header.RemoveAt(at);
                lines[0] = string.Join(d, header);
                break;
            }

            case 5:
            {
                // A column removed from every line: a missing column, consistently.
                int at = _random.Next(lines[0].Split(delimiter).Length);
                for (int i = 0; i < lines.Count; i++)
                {
                    var cells = lines[i].Split(delimiter).ToList();
                    if (at < cells.Count)
                    {
                        cells.RemoveAt(at);
                    }

                    lines[i] = string.Join(d, cells);
                }

                kind = $"column {at} removed from every line";
                break;
            }

            case 6:
            {
                char other = Pick([',', '\t', ';', ' ', '|']);
                for (int i = 0; i < lines.Count; i++)
                {
                    lines[i] = lines[i].Replace(delimiter, other);
                }

                kind = $"delimiter '{delimiter}' replaced by '{other}'";
                break;
            }

            case 7:
                lines[0] = "\uFEFF" + (_random.Next(2) == 0 ? "\uFEFF" : string.Empty) + lines[0];
                kind = "BOM(s) before the header";
                break;
            case 8:
                lines[row] = lines[row] + d + string.Join(d, Enumerable.Repeat("1", 20_000 + _random.Next(50_000)));
                kind = $"row {row} made very long";
                break;
            case 9:
            {
                int at = _random.Next(lines[row].Length + 1);
                lines[row] = lines[row].Insert(at, "\"");
                kind = $"stray quote in row {row} at {at}";
                break;
            }

            case 10:
                lines.RemoveRange(1, lines.Count - 1);
                kind = "header only";
                break;
            case 11:
                lines.Clear();
                kind = "empty";
                break;
            case 12:
            {
                for (int i = 0; i < 3; i++)
                {
                    lines.Insert(1 + _random.Next(lines.Count), _random.Next(2) == 0 ? string.Empty : new string(delimiter, _random.Next(5)));
                }

                kind = "blank and delimiter-only lines";
                break;
            }

            case 13:
            {
                var header = lines[0].Split(delimiter);
                int at = _random.Next(header.Length);
                header[at] = Pick(["", " ", "Label", "label", "\"a,b\"", "Features", "é", "\t"]);
                lines[0] = string.Join(d, header);
                kind = $"header column {at} renamed '{header[at]}'";
                break;
            }

            case 14:
                for (int i = 1; i < lines.Count; i++)
                {
                    var cells = lines[i].Split(delimiter);
                    cells[_random.Next(cells.Length)] = Pick(["NaN", "Infinity", "-Infinity", "1e400"]);
                    lines[i] = string.Join(d, cells);
                }

                kind = "NaN/Inf/1e400 in every row";
                break;
            default:
                lines[0] = string.Join(d, lines[0].Split(delimiter).Concat(lines[0].Split(delimiter)));
                kind = "every header column duplicated";
                break;
        }

        return string.Join("\n", lines) + (_random.Next(3) == 0 ? string.Empty : "\n");
    }

    /// <summary>Text mutated as text, then as bytes when an encoding mutation is drawn (invalid UTF-8, UTF-16).</summary>
    public byte[] MutateTableBytes(string text, char delimiter, out string kind)
    {
        string mutated = MutateTable(text, delimiter, out kind);
        int encoding = _random.Next(10);
        if (encoding == 0)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(mutated);
            int at = bytes.Length == 0 ? 0 : _random.Next(bytes.Length);
            kind += "; invalid UTF-8 inserted";
            return [.. bytes[..at], 0xC3, 0x28, 0xFF, 0xFE, 0x80, .. bytes[at..]];
        }

        if (encoding == 1)
        {
            kind += "; written as UTF-16";
            return Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(mutated)).ToArray();
        }

        if (encoding == 2)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(mutated);
            kind += "; byte mutation";
            byte[] result = MutateOnce(bytes, null, false, out string more);
            kind += " " + more;
            return result;
        }

        return Encoding.UTF8.GetBytes(mutated);
    }

    /// <summary>A mutation of a short string (a spec or an argument): characters inserted, deleted, replaced, repeated.</summary>
    public string MutateString(string text, IReadOnlyList<string> tokens)
    {
        var builder = new StringBuilder(text);
        int rounds = 1 + _random.Next(3);
        for (int r = 0; r < rounds; r++)
        {
            int at = builder.Length == 0 ? 0 : _random.Next(builder.Length + 1);
            switch (_random.Next(9))
            {
                case 0:
                    if (builder.Length > 0)
                    {
                        builder.Remove(Math.Min(at, builder.Length - 1), 1 + _random.Next(Math.Max(1, Math.Min(4, builder.Length - Math.Min(at, builder.Length - 1)))));
                    }

                    break;
                case 1:
                    builder.Insert(at, Pick(tokens));
                    break;
                case 2:
                    builder.Insert(at, Pick([":", ",", "=", " ", "::", ",,", "==", "-", ".", "\0", "\n", "\uFEFF", "\uD800", "é"]));
                    break;
                case 3:
                    builder.Insert(at, Pick(["NaN", "Infinity", "-Infinity", "1e400", "-1", "0", "2147483648", "9999999999999999999999", "1e-400", "-0", "0x1F", "1_000"]));
                    break;
                case 4:
                    builder.Insert(at, new string((char)('0' + _random.Next(10)), 1 + _random.Next(30)));
                    break;
                case 5:
                    builder.Append(string.Concat(Enumerable.Repeat(Pick(tokens), 1 + _random.Next(200))));
                    break;
                case 6:
                    builder.Clear();
                    builder.Append(Pick(tokens));
                    break;
                case 7:
                    if (builder.Length > 0)
                    {
                        builder[Math.Min(at, builder.Length - 1)] = (char)_random.Next(0x20, 0x7F);
                    }

                    break;
                default:
                    builder.Insert(at, builder.ToString(0, Math.Min(builder.Length, _random.Next(1, 12))));
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>Replaces one protobuf length-delimited field's length varint with a huge one.</summary>
    private byte[] HugeVarint(byte[] data, out string kind)
    {
        // Find a byte that could be a length-delimited tag (wire type 2) followed by a varint length.
        for (int attempt = 0; attempt < 64; attempt++)
        {
            int at = _random.Next(Math.Max(1, data.Length - 2));
            if ((data[at] & 0x07) != 2 || data[at] >> 3 == 0)
            {
                continue;
            }

            int lengthStart = at + 1;
            int lengthEnd = lengthStart;
            while (lengthEnd < data.Length && (data[lengthEnd] & 0x80) != 0 && lengthEnd - lengthStart < 10)
            {
                lengthEnd++;
            }

            if (lengthEnd >= data.Length)
            {
                continue;
            }

            ulong value = Pick(HugeVarints);
            byte[] varint = Varint(value);
            kind = $"protobuf length at {lengthStart} set to {value}";
            return [.. data[..lengthStart], .. varint, .. data[(lengthEnd + 1)..]];
        }

        kind = "protobuf length (none found): bit flip";
        data[_random.Next(data.Length)] ^= 0x40;
        return data;
    }

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }
}
