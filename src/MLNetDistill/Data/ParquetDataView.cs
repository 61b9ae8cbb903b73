using Microsoft.ML;
using Microsoft.ML.Data;
using Parquet;
using Parquet.Schema;

namespace MLNetDistill.Data;

/// <summary>A lazy view over a Parquet file's numeric columns; see <see cref="ParquetFeatureReader"/>.</summary>
internal sealed class ParquetDataView : DataViewBase
{
    private readonly string _path;
    private readonly DataField? _label;
    private readonly DataField[] _features;
    private readonly long _rows;

    public ParquetDataView(string path, DataField? label, DataField[] features, long rows)
    {
        _path = path;
        _label = label;
        _features = features;
        _rows = rows;
        string[] names = new string[features.Length];
        for (int i = 0; i < features.Length; i++)
        {
            names[i] = features[i].Name;
        }

        Schema = FeatureColumns.Schema(label is not null, names);
    }

    public override DataViewSchema Schema { get; }

    public override long? GetRowCount() => _rows;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active);

    private sealed class Cursor : RowCursorBase, IFeatureBlockCursor
    {
        private readonly ParquetDataView _parent;
        private readonly ParquetReader _reader;
        private readonly bool _labelActive;
        private readonly bool _featuresActive;
        private readonly int _featuresColumn;
        private readonly float[][] _columns;
        private readonly ValueGetter<float> _labelGetter;
        private readonly ValueGetter<VBuffer<float>> _featuresGetter;
        private float[] _labels = [];
        private int _group = -1;
        private int _groupRows;
        private int _index;

        public Cursor(ParquetDataView parent, bool[] active)
            : base(parent.Schema, active)
        {
            _parent = parent;
            _featuresColumn = parent._label is null ? 0 : 1;
            _labelActive = parent._label is not null && active[0];
            _featuresActive = active[_featuresColumn];
            _columns = new float[parent._features.Length][];
            for (int i = 0; i < _columns.Length; i++)
            {
                _columns[i] = [];
            }

            _labelGetter = GetLabel;
            _featuresGetter = GetFeatures;
            _reader = ParquetColumns.Open(parent._path);
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            column.Index == _featuresColumn
                ? Getter<TValue, VBuffer<float>>(column, _featuresGetter)
                : Getter<TValue, float>(column, _labelGetter);

        protected override bool MoveNextCore()
        {
            _index++;
            while (_group < 0 || _index >= _groupRows)
            {
                if (_group + 1 >= _reader.RowGroupCount)
                {
                    return false;
                }

                LoadGroup(++_group);
            }

            return true;
        }

        public bool CanReadBlocks => _featuresActive;

        public int FeatureCount => _columns.Length;

        public bool HasLabel => _labelActive;

        public int ReadBlock(Span<float> features, Span<float> labels, int maxRows)
        {
            if (!_featuresActive)
            {
                throw new InvalidOperationException("The Features column is not active in this cursor: include it in the columns passed to GetRowCursor to read blocks.");
            }

            int width = _columns.Length;
            int done = 0;
            while (done < maxRows)
            {
                int next = _group < 0 ? _groupRows : _index + 1;
                if (next >= _groupRows)
                {
                    if (_group + 1 >= _reader.RowGroupCount)
                    {
                        break;
                    }

                    LoadGroup(++_group);
                    next = 0;
                }

                int take = Math.Min(maxRows - done, _groupRows - next);

                // The row group is held column by column; the block is row-major: a transpose, one column at a time.
                for (int c = 0; c < width; c++)
                {
                    ReadOnlySpan<float> column = _columns[c].AsSpan(next, take);
                    Span<float> destination = features[(done * width)..];
                    for (int r = 0; r < column.Length; r++)
                    {
                        destination[r * width + c] = column[r];
                    }
                }

                if (_labelActive)
                {
                    _labels.AsSpan(next, take).CopyTo(labels[done..]);
                }

                _index = next + take - 1;
                done += take;
            }

            AdvanceBlock(done);
            return done;
        }

        protected override void DisposeCore() => ParquetColumns.Close(_reader);

        private void LoadGroup(int group) =>
            ParquetColumns.Decode(_parent._path, $"row group {group}", () =>
            {
                LoadGroupCore(group);
                return true;
            });

        private void LoadGroupCore(int group)
        {
            ParquetRowGroupReader rowGroup = _reader.OpenRowGroupReader(group);
            int rows = checked((int)rowGroup.RowCount);
            _groupRows = rows;
            _index = 0;
            if (_labelActive)
            {
                EnsureLength(ref _labels, rows);
                ParquetColumns.ReadAsSingle(rowGroup, _parent._label!, _labels.AsSpan(0, rows));
            }

            if (_featuresActive)
            {
                for (int i = 0; i < _columns.Length; i++)
                {
                    EnsureLength(ref _columns[i], rows);
                    ParquetColumns.ReadAsSingle(rowGroup, _parent._features[i], _columns[i].AsSpan(0, rows));
                }
            }
        }

        private static void EnsureLength(ref float[] buffer, int length)
        {
            if (buffer.Length < length)
            {
                buffer = new float[length];
            }
        }

        private void GetLabel(ref float value)
        {
            CheckOnRow();
            value = _labels[_index];
        }

        private void GetFeatures(ref VBuffer<float> value)
        {
            CheckOnRow();
            VBufferEditor<float> editor = VBufferEditor.Create(ref value, _columns.Length);
            for (int i = 0; i < _columns.Length; i++)
            {
                editor.Values[i] = _columns[i][_index];
            }

            value = editor.Commit();
        }
    }
}
