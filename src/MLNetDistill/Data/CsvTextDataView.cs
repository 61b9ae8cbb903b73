using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>
/// A lazy view over a delimited text file read as text: an optional <c>Label</c> (Single) and every other column as
/// <see cref="TextDataViewType"/> under its own name, but for the ignored ones. Records follow RFC 4180 (quoted cells may hold the delimiter,
/// doubled quotes and line breaks); the file must be UTF-8. See <see cref="CsvFeatureReader.LoadText"/>.
/// </summary>
internal sealed class CsvTextDataView : DataViewBase
{
    private readonly string _path;
    private readonly char _delimiter;
    private readonly string[] _names;
    private readonly int _labelIndex;
    private readonly int[] _textIndices;

    public CsvTextDataView(string path, char delimiter, string[] names, int labelIndex, bool[]? ignored = null)
    {
        _path = path;
        _delimiter = delimiter;
        _names = names;
        _labelIndex = labelIndex;
        var builder = new DataViewSchema.Builder();
        if (labelIndex >= 0)
        {
            builder.AddColumn(DataColumnNames.Label, NumberDataViewType.Single);
        }

        var text = new List<int>(names.Length);
        for (int i = 0; i < names.Length; i++)
        {
            if (i != labelIndex && ignored?[i] != true)
            {
                text.Add(i);
                builder.AddColumn(names[i], TextDataViewType.Instance);
            }
        }

        _textIndices = [.. text];
        Schema = builder.ToSchema();
    }

    public override DataViewSchema Schema { get; }

    public override long? GetRowCount() => null;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active);

    /// <summary>Copies a cell's text with doubled quotes undone into a new string (the value handed to ML.NET).</summary>
    internal static string Unquote(ReadOnlySpan<char> cell)
    {
        if (cell.IndexOf('"') < 0)
        {
            return new string(cell);
        }

        return string.Create(cell.Length - CountDoubled(cell), cell.ToString(), static (span, source) =>
        {
            int j = 0;
            for (int i = 0; i < source.Length; i++)
            {
                span[j++] = source[i];
                if (source[i] == '"' && i + 1 < source.Length && source[i + 1] == '"')
                {
                    i++;
                }
            }
        });
    }

    private static int CountDoubled(ReadOnlySpan<char> cell)
    {
        int count = 0;
        for (int i = 0; i + 1 < cell.Length; i++)
        {
            if (cell[i] == '"' && cell[i + 1] == '"')
            {
                count++;
                i++;
            }
        }

        return count;
    }

    private sealed class Cursor : RowCursorBase
    {
        private readonly CsvTextDataView _parent;
        private readonly CsvLineReader _lines;
        private readonly Range[] _cells;
        private readonly bool _labelActive;
        private readonly bool[] _textActive;
        private readonly ReadOnlyMemory<char>[] _text;
        private readonly ValueGetter<float> _labelGetter;
        private readonly ValueGetter<ReadOnlyMemory<char>>[] _textGetters;
        private readonly int _firstText;
        private float _label;

        public Cursor(CsvTextDataView parent, bool[] active)
            : base(parent.Schema, active)
        {
            _parent = parent;
            _firstText = parent._labelIndex >= 0 ? 1 : 0;
            _labelActive = parent._labelIndex >= 0 && active[0];
            int count = parent._textIndices.Length;
            _textActive = new bool[count];
            _text = new ReadOnlyMemory<char>[count];
            _textGetters = new ValueGetter<ReadOnlyMemory<char>>[count];
            for (int i = 0; i < count; i++)
            {
                _textActive[i] = active[_firstText + i];
                int slot = i;
                _textGetters[i] = (ref ReadOnlyMemory<char> value) =>
                {
                    CheckOnRow();
                    value = _text[slot];
                };
            }

            _cells = new Range[parent._names.Length + 1];
            _labelGetter = GetLabel;
            _lines = new CsvLineReader(parent._path, strictUtf8: true);
            _lines.TryReadRecord(out _, out _); // the header
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            CheckColumn(column);
            return column.Index < _firstText
                ? Getter<TValue, float>(column, _labelGetter)
                : Getter<TValue, ReadOnlyMemory<char>>(column, _textGetters[column.Index - _firstText]);
        }

        protected override bool MoveNextCore()
        {
            ReadOnlySpan<char> record;
            long line;
            do
            {
                if (!_lines.TryReadRecord(out record, out line))
                {
                    return false;
                }
            }
            while (record.IsEmpty);

            int expected = _parent._names.Length;
            int count = CsvCells.Split(record, _parent._delimiter, _cells);
            if (count != expected)
            {
                throw CsvDataView.Ragged(_parent._path, line, count, expected);
            }

            if (_labelActive)
            {
                ReadOnlySpan<char> cell = record[_cells[_parent._labelIndex]];
                if (!CsvCells.TryParse(cell, out _label))
                {
                    throw new InvalidDataException(
                        $"'{_parent._path}' line {line}, label column '{_parent._names[_parent._labelIndex]}': '{CsvCells.Text(cell)}' is not a number. " +
                        "Expected a number in invariant culture (such as 0 or 1) or an empty cell for a missing label; fix the cell or pick another label column.");
                }
            }

            int[] indices = _parent._textIndices;
            for (int i = 0; i < indices.Length; i++)
            {
                if (_textActive[i])
                {
                    _text[i] = Unquote(record[_cells[indices[i]]]).AsMemory();
                }
            }

            return true;
        }

        protected override void DisposeCore() => _lines.Dispose();

        private void GetLabel(ref float value)
        {
            CheckOnRow();
            value = _label;
        }
    }
}
