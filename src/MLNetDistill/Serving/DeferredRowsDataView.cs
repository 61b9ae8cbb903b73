using Microsoft.ML;
using MLNetDistill.Data;

namespace MLNetDistill.Serving;

/// <summary>
/// The deferred rows of one batch as a data view of the teacher's input columns, served from the batch's caches:
/// what the teacher scores, in one pass, so that it sees these rows and no others.
/// </summary>
internal sealed class DeferredRowsDataView : DataViewBase
{
    private readonly RowValueCache[] _caches;
    private readonly int[] _slots;
    private readonly int _count;

    /// <param name="caches">The caches of the teacher's input columns.</param>
    /// <param name="slots">The batch slots of the deferred rows, in order.</param>
    /// <param name="count">How many of <paramref name="slots"/> are used.</param>
    public DeferredRowsDataView(RowValueCache[] caches, int[] slots, int count)
    {
        _caches = caches;
        _slots = slots;
        _count = count;
        var builder = new DataViewSchema.Builder();
        foreach (var cache in caches)
        {
            builder.AddColumn(cache.Column.Name, cache.Column.Type, cache.Column.Annotations);
        }

        Schema = builder.ToSchema();
    }

    public override DataViewSchema Schema { get; }

    public override long? GetRowCount() => _count;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active);

    private sealed class Cursor : RowCursorBase
    {
        private readonly DeferredRowsDataView _parent;
        private readonly Delegate[] _getters;
        private int _row = -1;

        public Cursor(DeferredRowsDataView parent, bool[] active)
            : base(parent.Schema, active)
        {
            _parent = parent;
            _getters = new Delegate[parent._caches.Length];
            for (int c = 0; c < _getters.Length; c++)
            {
                _getters[c] = parent._caches[c].Getter(Slot);
            }
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            CheckColumn(column);
            return _getters[column.Index] as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type} values, not {typeof(TValue).Name}.");
        }

        protected override bool MoveNextCore() => ++_row < _parent._count;

        private int Slot()
        {
            CheckOnRow();
            return _parent._slots[_row];
        }
    }
}
