using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>Lazily keeps the rows of one shard; see <see cref="ShardSpec.Apply"/>.</summary>
internal sealed class ShardFilterDataView : DataViewBase
{
    private readonly IDataView _source;
    private readonly ShardSpec _shard;

    public ShardFilterDataView(IDataView source, ShardSpec shard)
    {
        _source = source;
        _shard = shard;
    }

    public override DataViewSchema Schema => _source.Schema;

    public override long? GetRowCount() => _source.GetRowCount() is long rows ? _shard.RowsOf(rows) : null;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active, _source.GetRowCursor(ActiveColumns(active)));

    private sealed class Cursor : RowCursorBase
    {
        private readonly DataViewRowCursor _source;
        private readonly int _index;
        private readonly int _count;
        private long _sourceRow = -1;

        public Cursor(ShardFilterDataView parent, bool[] active, DataViewRowCursor source)
            : base(parent.Schema, active)
        {
            _source = source;
            _index = parent._shard.Index;
            _count = parent._shard.Count;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            CheckColumn(column);
            if (!IsActive(column.Index))
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor: include it in the columns passed to GetRowCursor.");
            }

            return _source.GetGetter<TValue>(column);
        }

        protected override bool MoveNextCore()
        {
            while (_source.MoveNext())
            {
                _sourceRow++;
                if (_sourceRow % _count == _index)
                {
                    return true;
                }
            }

            return false;
        }

        protected override void DisposeCore() => _source.Dispose();
    }
}
