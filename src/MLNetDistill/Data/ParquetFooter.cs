using System.Buffers.Binary;

namespace MLNetDistill.Data;

/// <summary>
/// Checks a Parquet file's frame and footer before Parquet.Net parses it: the <c>PAR1</c> magic at both ends, a footer
/// length that fits the file, and a footer (Thrift compact protocol) whose every declared list, map and string length
/// fits in the bytes that remain.
/// </summary>
/// <remarks>
/// Parquet.Net trusts the footer's counts: a damaged footer that declares a list of 16 million items made it spin for
/// minutes, allocating. Walking the footer generically (the compact protocol is self-describing) costs microseconds and
/// turns such a file into an <see cref="InvalidDataException"/> naming it.
/// </remarks>
internal static class ParquetFooter
{
    private const int MaxDepth = 64;
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="path"/> when its frame or footer is damaged.</summary>
    public static void Validate(string path)
    {
        byte[] footer;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
        {
            long length = stream.Length;
            if (length < 12)
            {
                throw Damaged(path, $"it is only {length} bytes long, shorter than Parquet's 12-byte frame (PAR1 ... footer length PAR1)");
            }

            Span<byte> head = stackalloc byte[4];
            stream.ReadExactly(head);
            Span<byte> tail = stackalloc byte[8];
            stream.Seek(-8, SeekOrigin.End);
            stream.ReadExactly(tail);
            if (!head.SequenceEqual(Magic) || !tail[4..].SequenceEqual(Magic))
            {
                throw Damaged(path, "it does not start and end with the Parquet magic 'PAR1'");
            }

            int footerLength = BinaryPrimitives.ReadInt32LittleEndian(tail);
            if (footerLength <= 0 || footerLength > length - 12)
            {
                throw Damaged(path, $"its footer length is {footerLength} bytes, but the file has room for 1 to {length - 12}");
            }

            footer = new byte[footerLength];
            stream.Seek(-8L - footerLength, SeekOrigin.End);
            stream.ReadExactly(footer);
        }

        var reader = new Reader(footer);
        if (!reader.TrySkipStruct(0, out string why))
        {
            throw Damaged(path, $"its footer metadata is damaged: {why}");
        }
    }

    private static InvalidDataException Damaged(string path, string why) =>
        new($"'{path}' is not a readable Parquet file: {why}. The file is damaged or was not completely written: write or download it again.");

    /// <summary>A bounds-checked walk over Thrift compact-protocol bytes.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        private readonly int Remaining => _data.Length - _at;

        public bool TrySkipStruct(int depth, out string why)
        {
            if (depth > MaxDepth)
            {
                why = $"structures nested more than {MaxDepth} deep";
                return false;
            }

            while (true)
            {
                if (!TryByte(out byte header, out why))
                {
                    return false;
                }

                if (header == 0)
                {
                    return true;
                }

                int type = header & 0x0F;
                if (header >> 4 == 0 && !TryVarint(out _, out why))
                {
                    return false;
                }

                if (type is 1 or 2)
                {
                    continue; // booleans carry their value in the type
                }

                if (!TrySkipValue(type, depth, out why))
                {
                    return false;
                }
            }
        }

        private bool TrySkipValue(int type, int depth, out string why)
        {
            switch (type)
            {
                case 1:
                case 2:
                case 3:
                    return TrySkip(1, out why); // a boolean or byte element
                case 4:
                case 5:
                case 6:
                    return TryVarint(out _, out why);
                case 7:
                    return TrySkip(8, out why);
                case 8:
                {
                    if (!TryVarint(out ulong length, out why))
                    {
                        return false;
                    }

                    if (length > (ulong)Remaining)
                    {
                        why = $"a string at byte {_at} declares {length} bytes but {Remaining} remain";
                        return false;
                    }

                    _at += (int)length;
                    return true;
                }

                case 9:
                case 10:
                {
                    int start = _at;
                    if (!TryByte(out byte header, out why))
                    {
                        return false;
                    }

                    ulong count = (ulong)(header >> 4);
                    if (count == 15 && !TryVarint(out count, out why))
                    {
                        return false;
                    }

                    if (count > (ulong)Remaining)
                    {
                        why = $"a list at byte {start} declares {count} items but {Remaining} bytes remain";
                        return false;
                    }

                    int elementType = header & 0x0F;
                    for (ulong i = 0; i < count; i++)
                    {
                        if (!TrySkipValue(elementType, depth + 1, out why))
                        {
                            return false;
                        }
                    }

                    return true;
                }

                case 11:
                {
                    int start = _at;
                    if (!TryVarint(out ulong count, out why))
                    {
                        return false;
                    }

                    if (count == 0)
                    {
                        return true;
                    }

                    if (count > (ulong)Remaining || !TryByte(out byte types, out why))
                    {
                        why = $"a map at byte {start} declares {count} entries but {Remaining} bytes remain";
                        return false;
                    }

                    for (ulong i = 0; i < count; i++)
                    {
                        if (!TrySkipValue(types >> 4, depth + 1, out why) || !TrySkipValue(types & 0x0F, depth + 1, out why))
                        {
                            return false;
                        }
                    }

                    return true;
                }

                case 12:
                    return TrySkipStruct(depth + 1, out why);
                case 13:
                    return TrySkip(16, out why);
                default:
                    why = $"byte {_at} holds an unknown field type {type}";
                    return false;
            }
        }

        private bool TrySkip(int bytes, out string why)
        {
            if (bytes > Remaining)
            {
                why = $"it ends inside a value at byte {_at}";
                return false;
            }

            _at += bytes;
            why = string.Empty;
            return true;
        }

        private bool TryByte(out byte value, out string why)
        {
            if (Remaining < 1)
            {
                value = 0;
                why = "it ends before its last structure is closed";
                return false;
            }

            value = _data[_at++];
            why = string.Empty;
            return true;
        }

        private bool TryVarint(out ulong value, out string why)
        {
            value = 0;
            for (int shift = 0; shift < 70; shift += 7)
            {
                if (!TryByte(out byte b, out why))
                {
                    return false;
                }

                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return true;
                }
            }

            why = $"a number at byte {_at} runs over 10 bytes";
            return false;
        }
    }
}
