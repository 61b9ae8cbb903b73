using System.Globalization;
using MLNetDistill.Data;

namespace MLNetDistill.Cache;

/// <summary>Reads a CSV teacher cache row by row.</summary>
internal sealed class CsvCacheShardReader : ICacheShardReader
{
    private readonly CacheShard _shard;
    private readonly CacheReadParts _parts;
    private readonly CsvLineReader _lines;
    private readonly string[] _names;
    private readonly Range[] _cells;
    private readonly float[] _logits;
    private readonly float[] _soft;
    private readonly int _offset;
    private long _row;

    public CsvCacheShardReader(CacheShard shard, CacheReadParts parts)
    {
        _shard = shard;
        _parts = parts;
        int classes = shard.Metadata.Classes;
        _offset = shard.Metadata.HasLabel ? 1 : 0;
        _lines = new CsvLineReader(shard.Path);
        try
        {
            if (!_lines.TryReadLine(out ReadOnlySpan<char> header))
            {
                throw new InvalidDataException($"Teacher cache '{_shard.Path}' is empty: re-run `mlnet-distill score`.");
            }

            _names = CacheColumns.All(classes, shard.Metadata.HasLabel);
            _cells = new Range[_names.Length + 1];
            _logits = parts.Logits ? new float[classes] : [];
            _soft = parts.Soft ? new float[classes] : [];
            CheckHeader(header);
        }
        catch
        {
            _lines.Dispose();
            throw;
        }
    }

    public float Label { get; private set; } = float.NaN;

    public ReadOnlySpan<float> Logits => _logits;

    public ReadOnlySpan<float> Soft => _soft;

    public int Predicted { get; private set; }

    public bool MoveNext()
    {
        bool hasLine = NextLine(out ReadOnlySpan<char> line);
        if (_row == _shard.Metadata.Rows)
        {
            if (hasLine)
            {
                throw new InvalidDataException(
                    $"Teacher cache '{_shard.Path}' has more rows than the {_shard.Metadata.Rows:N0} its metadata records (line {_lines.LineNumber}): " +
                    "the file and its sidecar do not belong together. Re-run `mlnet-distill score`.");
            }

            return false;
        }

        if (!hasLine)
        {
            throw new InvalidDataException(
                $"Teacher cache '{_shard.Path}' ends after {_row:N0} rows but its metadata records {_shard.Metadata.Rows:N0}: the file is truncated. Re-run `mlnet-distill score`.");
        }

        int count = CsvCells.Split(line, ',', _cells);
        if (count != _names.Length)
        {
            throw CsvDataView.Ragged(_shard.Path, _lines.LineNumber, count, _names.Length);
        }

        if (_parts.Label)
        {
            Label = ParseSingle(line, 0);
        }

        for (int k = 0; k < _logits.Length; k++)
        {
            _logits[k] = ParseSingle(line, _offset + k);
        }

        int softStart = _offset + _shard.Metadata.Classes;
        for (int k = 0; k < _soft.Length; k++)
        {
            _soft[k] = ParseSingle(line, softStart + k);
        }

        if (_parts.Predicted)
        {
            int last = _names.Length - 1;
            ReadOnlySpan<char> cell = line[_cells[last]];
            if (!int.TryParse(cell, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int predicted)
                || predicted < 0 || predicted >= _shard.Metadata.Classes)
            {
                throw Bad(last, cell, $"a class index in [0, {_shard.Metadata.Classes - 1}]");
            }

            Predicted = predicted;
        }

        _row++;
        return true;
    }

    public void Dispose() => _lines.Dispose();

    private bool NextLine(out ReadOnlySpan<char> line)
    {
        while (_lines.TryReadLine(out line))
        {
            if (!line.IsEmpty)
            {
                return true;
            }
        }

        return false;
    }

    private void CheckHeader(ReadOnlySpan<char> header)
    {
        int count = CsvCells.Split(header, ',', _cells);
        bool same = count == _names.Length;
        for (int i = 0; same && i < count; i++)
        {
            same = header[_cells[i]].SequenceEqual(_names[i]);
        }

        if (!same)
        {
            string expected = _names.Length <= 8 ? string.Join(',', _names) : $"{string.Join(',', _names, 0, 4)},...,{_names[^1]}";
            throw new InvalidDataException(
                $"Teacher cache '{_shard.Path}' has header '{Shorten(header)}' but its metadata ({_shard.Metadata.Classes} classes, " +
                $"{(_shard.Metadata.HasLabel ? "with" : "without")} label) calls for '{expected}': the file and its sidecar do not belong together. Re-run `mlnet-distill score`.");
        }
    }

    private float ParseSingle(ReadOnlySpan<char> line, int column)
    {
        ReadOnlySpan<char> cell = line[_cells[column]];
        return float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out float value)
            ? value
            : throw Bad(column, cell, "a number");
    }

    private InvalidDataException Bad(int column, ReadOnlySpan<char> cell, string expected) =>
        new($"Teacher cache '{_shard.Path}' line {_lines.LineNumber}, column '{_names[column]}': '{cell}' is not {expected}. " +
            "The file is damaged: re-run `mlnet-distill score`.");

    private static string Shorten(ReadOnlySpan<char> text) => text.Length <= 80 ? text.ToString() : string.Concat(text[..77], "...");
}
