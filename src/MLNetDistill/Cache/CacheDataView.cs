using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Numerics;
using MLNetDistill.Data;

namespace MLNetDistill.Cache;

/// <summary>
/// A lazy view over one cache file or a complete set of shards, interleaved back into the original row order:
/// row r comes from shard r mod n. See <see cref="TeacherCache.Read"/>.
/// </summary>
internal sealed class CacheDataView : DataViewBase
{
    private readonly IReadOnlyList<CacheShard> _shards;
    private readonly int _classes;
    private readonly long _rows;
    private readonly float? _temperature;
    private readonly int _labelColumn;
    private readonly int _logitsColumn;
    private readonly int _softColumn;
    private readonly int _predColumn;

    public CacheDataView(IReadOnlyList<CacheShard> shards, CacheMetadata merged, float? temperature)
    {
        _shards = shards;
        _classes = merged.Classes;
        _rows = merged.Rows;
        _temperature = temperature;
        var builder = new DataViewSchema.Builder();
        int next = 0;
        _labelColumn = -1;
        if (merged.HasLabel)
        {
            builder.AddColumn(DataColumnNames.Label, NumberDataViewType.Single);
            _labelColumn = next++;
        }

        var vector = new VectorDataViewType(NumberDataViewType.Single, _classes);
        builder.AddColumn(DataColumnNames.TeacherLogits, vector);
        _logitsColumn = next++;
        builder.AddColumn(DataColumnNames.SoftLabels, vector);
        _softColumn = next++;
        // The key values the live teacher gives this column when fitted on a Single label (or none): the class indices, so a
        // cache read back has exactly the schema of the teacher's output and students trained on either are the same.
        builder.AddColumn(DataColumnNames.TeacherPredictedLabel, new KeyDataViewType(typeof(uint), _classes),
            ClassValues.Indices(_classes, NumberDataViewType.Single).KeyValueAnnotations());
        _predColumn = next;
        Schema = builder.ToSchema();
    }

    public override DataViewSchema Schema { get; }

    public override long? GetRowCount() => _rows;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active);

    private sealed class Cursor : RowCursorBase
    {
        private readonly CacheDataView _parent;
        private readonly ICacheShardReader[] _readers;
        private readonly ValueGetter<float> _labelGetter;
        private readonly ValueGetter<VBuffer<float>> _logitsGetter;
        private readonly ValueGetter<VBuffer<float>> _softGetter;
        private readonly ValueGetter<uint> _predGetter;
        private ICacheShardReader? _current;
        private long _row = -1;
        private bool _endChecked;

        public Cursor(CacheDataView parent, bool[] active)
            : base(parent.Schema, active)
        {
            _parent = parent;
            bool softActive = active[parent._softColumn];
            var parts = new CacheReadParts(
                Label: parent._labelColumn >= 0 && active[parent._labelColumn],
                Logits: active[parent._logitsColumn] || (softActive && parent._temperature is not null),
                Soft: softActive && parent._temperature is null,
                Predicted: active[parent._predColumn]);
            _readers = new ICacheShardReader[parent._shards.Count];
            try
            {
                for (int i = 0; i < _readers.Length; i++)
                {
                    _readers[i] = parts.Open(parent._shards[i]);
                }
            }
            catch
            {
                DisposeReaders();
                throw;
            }

            _labelGetter = GetLabel;
            _logitsGetter = GetLogits;
            _softGetter = GetSoft;
            _predGetter = GetPredicted;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int index = column.Index;
            if (index == _parent._logitsColumn)
            {
                return Getter<TValue, VBuffer<float>>(column, _logitsGetter);
            }

            if (index == _parent._softColumn)
            {
                return Getter<TValue, VBuffer<float>>(column, _softGetter);
            }

            return index == _parent._predColumn
                ? Getter<TValue, uint>(column, _predGetter)
                : Getter<TValue, float>(column, _labelGetter);
        }

        protected override bool MoveNextCore()
        {
            if (_row + 1 >= _parent._rows)
            {
                if (!_endChecked)
                {
                    // Each shard must end where its metadata says: a file with more rows than its metadata records is
                    // refused (its reader throws) instead of being read short without a word.
                    _endChecked = true;
                    for (int i = 0; i < _readers.Length; i++)
                    {
                        if (_readers[i].MoveNext())
                        {
                            throw new InvalidDataException(
                                $"Teacher cache '{_parent._shards[i].Path}' has more rows than the {_parent._shards[i].Metadata.Rows:N0} its metadata records: the file and its metadata do not belong together. Re-run `mlnet-distill score`.");
                        }
                    }
                }

                return false;
            }

            _row++;
            int shard = (int)(_row % _readers.Length);
            _current = _readers[shard];
            if (!_current.MoveNext())
            {
                throw new InvalidDataException(
                    $"Teacher cache '{_parent._shards[shard].Path}' ended early: original row {_row:N0} should be in it. Re-run `mlnet-distill score` for this shard.");
            }

            return true;
        }

        protected override void DisposeCore() => DisposeReaders();

        private void DisposeReaders()
        {
            foreach (ICacheShardReader? reader in _readers)
            {
                reader?.Dispose();
            }
        }

        private void GetLabel(ref float value)
        {
            CheckOnRow();
            value = _current!.Label;
        }

        private void GetLogits(ref VBuffer<float> value)
        {
            CheckOnRow();
            Fill(_current!.Logits, ref value);
        }

        private void GetSoft(ref VBuffer<float> value)
        {
            CheckOnRow();
            if (_parent._temperature is float temperature)
            {
                VBufferEditor<float> editor = VBufferEditor.Create(ref value, _parent._classes);
                SoftLabelMath.Softmax(_current!.Logits, temperature, editor.Values);
                value = editor.Commit();
            }
            else
            {
                Fill(_current!.Soft, ref value);
            }
        }

        private void GetPredicted(ref uint value)
        {
            CheckOnRow();
            value = (uint)_current!.Predicted + 1;
        }
    }
}
