namespace MLNetDistill.Data;

/// <summary>
/// Reads lines from a text file into one reused buffer, so a row costs no allocation. A line handed out stays
/// valid until the next call. Accepts LF and CRLF line ends; counts physical lines from 1.
/// </summary>
internal sealed class CsvLineReader : IDisposable
{
    private readonly TextReader _reader;
    private char[] _buffer = new char[1 << 16];
    private int _start;
    private int _end;
    private int _scanned;
    private bool _eof;

    /// <summary>Opens <paramref name="path"/> for reading (UTF-8, byte-order mark skipped).</summary>
    public CsvLineReader(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        _reader = new StreamReader(stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
    }

    /// <summary>The 1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Reads the next line, without its line end.</summary>
    public bool TryReadLine(out ReadOnlySpan<char> line)
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf('\n');
            if (newline >= 0)
            {
                int length = _scanned + newline - _start;
                line = TrimCarriageReturn(_buffer.AsSpan(_start, length));
                _start += length + 1;
                _scanned = _start;
                LineNumber++;
                return true;
            }

            _scanned = _end;
            if (_eof)
            {
                if (_start < _end)
                {
                    line = TrimCarriageReturn(_buffer.AsSpan(_start, _end - _start));
                    _start = _end;
                    LineNumber++;
                    return true;
                }

                line = default;
                return false;
            }

            Fill();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _reader.Dispose();

    private static ReadOnlySpan<char> TrimCarriageReturn(ReadOnlySpan<char> line) =>
        line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;

    private void Fill()
    {
        if (_start > 0)
        {
            int pending = _end - _start;
            Array.Copy(_buffer, _start, _buffer, 0, pending);
            _end = pending;
            _scanned -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int read = _reader.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
        }
        else
        {
            _end += read;
        }
    }
}
