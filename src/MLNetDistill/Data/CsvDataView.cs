using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>A lazy view over a delimited text file; see <see cref="CsvFeatureReader"/>.</summary>
internal sealed class CsvDataView : DataViewBase
{
    private readonly string _path;
    private readonly char _delimiter;
    private readonly string[] _names;
    private readonly int _labelIndex;
    private readonly int[] _featureIndices;

    public CsvDataView(string path, char delimiter, string[] names, int labelIndex, int[] featureIndices, string[] featureNames)
    {
        _path = path;
        _delimiter = delimiter;
        _names = names;
        _labelIndex = labelIndex;
        _featureIndices = featureIndices;
        Schema = FeatureColumns.Schema(labelIndex >= 0, featureNames);
    }

    public override DataViewSchema Schema { get; }

    public override long? GetRowCount() => null;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active);

    /// <summary>The error for a row whose cell count differs from the header's.</summary>
    public static InvalidDataException Ragged(string path, long line, int count, int expected) =>
        new($"'{path}' line {line} has {count} cells but the header has {expected}: " +
            "every row needs one cell per header column (quote cells that contain the delimiter).");

    /// <summary>
    /// The error for a line of a numeric read whose cell count differs from the header's; a line that opens a quoted cell
    /// it does not close holds text running onto the next line, and the error says to read that column as text.
    /// </summary>
    public static InvalidDataException Ragged(string path, long line, int count, int expected, ReadOnlySpan<char> text) =>
        text.Count('"') % 2 == 1
            ? new($"'{path}' line {line} opens a quoted cell that runs onto the next line: the file holds text (a quoted cell with line breaks), " +
                "which numeric features cannot be read from. Read its text column as text (DataSourceReader.LoadText, or the command's text column option) " +
                "with a text teacher and text students, or leave such columns out of the file.")
            : Ragged(path, line, count, expected);

    private sealed class Cursor : RowCursorBase
    {
        private readonly CsvDataView _parent;
        private readonly CsvLineReader _lines;
        private readonly Range[] _cells;
        private readonly float[] _features;
        private readonly bool _labelActive;
        private readonly bool _featuresActive;
        private readonly ValueGetter<float> _labelGetter;
        private readonly ValueGetter<VBuffer<float>> _featuresGetter;
        private readonly int _featuresColumn;
        private float _label;

        public Cursor(CsvDataView parent, bool[] active)
            : base(parent.Schema, active)
        {
            _parent = parent;
            _featuresColumn = parent._labelIndex >= 0 ? 1 : 0;
            _labelActive = parent._labelIndex >= 0 && active[0];
            _featuresActive = active[_featuresColumn];
            _cells = new Range[parent._names.Length + 1];
            _features = new float[parent._featureIndices.Length];
            _labelGetter = GetLabel;
            _featuresGetter = GetFeatures;
            _lines = new CsvLineReader(parent._path);
            _lines.TryReadLine(out _); // the header
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            column.Index == _featuresColumn
                ? Getter<TValue, VBuffer<float>>(column, _featuresGetter)
                : Getter<TValue, float>(column, _labelGetter);

        protected override bool MoveNextCore()
        {
            ReadOnlySpan<char> line;
            do
            {
                if (!_lines.TryReadLine(out line))
                {
                    return false;
                }
            }
            while (line.IsEmpty);

            int expected = _parent._names.Length;
            int count = CsvCells.Split(line, _parent._delimiter, _cells);
            if (count != expected)
            {
                throw Ragged(_parent._path, _lines.LineNumber, count, expected, line);
            }

            if (_labelActive)
            {
                _label = Parse(line, _parent._labelIndex);
            }

            if (_featuresActive)
            {
                int[] indices = _parent._featureIndices;
                for (int i = 0; i < indices.Length; i++)
                {
                    _features[i] = Parse(line, indices[i]);
                }
            }

            return true;
        }

        protected override void DisposeCore() => _lines.Dispose();

        private float Parse(ReadOnlySpan<char> line, int column)
        {
            ReadOnlySpan<char> cell = line[_cells[column]];
            if (CsvCells.TryParse(cell, out float value))
            {
                return value;
            }

            throw new InvalidDataException(
                $"'{_parent._path}' line {_lines.LineNumber}, column '{_parent._names[column]}': '{CsvCells.Text(cell)}' is not a number. " +
                "Expected a number in invariant culture (such as 1.5 or -2e-3) or an empty cell for a missing value; fix the cell or remove the column.");
        }

        private void GetLabel(ref float value)
        {
            CheckOnRow();
            value = _label;
        }

        private void GetFeatures(ref VBuffer<float> value)
        {
            CheckOnRow();
            Fill(_features, ref value);
        }
    }
}
