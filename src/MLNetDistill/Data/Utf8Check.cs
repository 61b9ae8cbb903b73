using System.Buffers;
using System.Text;

namespace MLNetDistill.Data;

/// <summary>Finds the first byte sequence of a file that is not UTF-8, for an error message that names its line.</summary>
internal static class Utf8Check
{
    /// <summary>
    /// Scans <paramref name="path"/> and returns the 1-based line and the byte offset of its first invalid UTF-8 sequence,
    /// or (-1, -1) when the whole file is valid.
    /// </summary>
    public static (long Line, long Offset) FindFirstInvalid(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        byte[] buffer = new byte[1 << 16];
        int carry = 0;
        long consumedBefore = 0;
        long line = 1;
        while (true)
        {
            int read = stream.Read(buffer, carry, buffer.Length - carry);
            int length = carry + read;
            bool final = read == 0;
            int i = 0;
            while (i < length)
            {
                OperationStatus status = Rune.DecodeFromUtf8(buffer.AsSpan(i, length - i), out _, out int used);
                if (status == OperationStatus.NeedMoreData && !final)
                {
                    break;
                }

                if (status != OperationStatus.Done)
                {
                    return (line, consumedBefore + i);
                }

                if (buffer[i] == (byte)'\n')
                {
                    line++;
                }

                i += used;
            }

            if (final)
            {
                return (-1, -1);
            }

            carry = length - i;
            Array.Copy(buffer, i, buffer, 0, carry);
            consumedBefore += i;
        }
    }

    /// <summary>The error for a file that is not UTF-8: names the line and the byte offset, and how to fix it.</summary>
    public static InvalidDataException InvalidError(string path)
    {
        (long line, long offset) = FindFirstInvalid(path);
        string where = line < 0 ? "somewhere" : $"at line {line} (byte offset {offset})";
        return new InvalidDataException(
            $"'{path}' is not valid UTF-8 {where}: expected UTF-8 text. Re-encode the file as UTF-8 (for example `iconv -f latin1 -t utf-8`) or fix that line.");
    }
}
