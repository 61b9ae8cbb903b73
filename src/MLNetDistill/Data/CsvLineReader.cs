namespace MLNetDistill.Data;

/// <summary>
/// Reads lines from a text file into one reused buffer, so a row costs no allocation. A line handed out stays
/// valid until the next call. Accepts LF and CRLF line ends; counts physical lines from 1.
/// </summary>
internal sealed class CsvLineReader : IDisposable
{
    private readonly TextReader _reader;
    private readonly string _path;
    private readonly bool _strictUtf8;
    private char[] _buffer = new char[1 << 16];
    private int _start;
    private int _end;
    private int _scanned;
    private bool _eof;

    /// <summary>Opens <paramref name="path"/> for reading (UTF-8, byte-order mark skipped).</summary>
    public CsvLineReader(string path)
        : this(path, strictUtf8: false)
    {
    }

    /// <summary>
    /// Opens <paramref name="path"/>; when <paramref name="strictUtf8"/> is true, bytes that are not UTF-8 throw an
    /// <see cref="InvalidDataException"/> naming their line instead of turning into U+FFFD.
    /// </summary>
    public CsvLineReader(string path, bool strictUtf8)
    {
        _path = path;
        _strictUtf8 = strictUtf8;
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        System.Text.Encoding encoding = strictUtf8 ? new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true) : System.Text.Encoding.UTF8;
        _reader = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: !strictUtf8, bufferSize: 1 << 16);
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

    /// <summary>
    /// Reads the next record of an RFC 4180 file: like <see cref="TryReadLine"/>, but a line break inside double quotes
    /// belongs to the record (a doubled quote toggles twice and so keeps the state). <paramref name="firstLine"/> is the
    /// physical line the record starts on; <see cref="LineNumber"/> the one it ends on.
    /// </summary>
    public bool TryReadRecord(out ReadOnlySpan<char> record, out long firstLine)
    {
        bool inQuotes = false;
        int lines = 0;
        while (true)
        {
            Span<char> pending = _buffer.AsSpan(_scanned, _end - _scanned);
            int hit = pending.IndexOfAny('"', '\n');
            while (hit >= 0)
            {
                int at = _scanned + hit;
                if (_buffer[at] == '"')
                {
                    inQuotes = !inQuotes;
                }
                else if (inQuotes)
                {
                    lines++;
                }
                else
                {
                    int length = at - _start;
                    record = TrimCarriageReturn(_buffer.AsSpan(_start, length));
                    _start = at + 1;
                    _scanned = _start;
                    firstLine = LineNumber + 1;
                    LineNumber += lines + 1;
                    return true;
                }

                _scanned = at + 1;
                hit = _buffer.AsSpan(_scanned, _end - _scanned).IndexOfAny('"', '\n');
            }

            _scanned = _end;
            if (_eof)
            {
                if (_start < _end)
                {
                    record = TrimCarriageReturn(_buffer.AsSpan(_start, _end - _start));
                    _start = _end;
                    firstLine = LineNumber + 1;
                    LineNumber += lines + 1;
                    return true;
                }

                record = default;
                firstLine = LineNumber + 1;
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

        int read;
        try
        {
            read = _reader.Read(_buffer, _end, _buffer.Length - _end);
        }
        catch (System.Text.DecoderFallbackException) when (_strictUtf8)
        {
            throw Utf8Check.InvalidError(_path);
        }

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
