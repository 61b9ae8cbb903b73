using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>
/// The rows of one view followed by the rows of another with the first one's columns; a column the second lacks
/// (its label, for transfer rows nobody labeled) reads as NaN there.
/// </summary>
internal sealed class AppendRowsDataView : DataViewBase
{
    private readonly IDataView _first;
    private readonly IDataView _second;

    public AppendRowsDataView(IDataView first, IDataView second)
    {
        _first = first;
        _second = second;
        foreach (var column in first.Schema)
        {
            if (column.IsHidden)
            {
                continue;
            }

            var other = second.Schema.GetColumnOrNull(column.Name);
            if (other is null && column.Type != NumberDataViewType.Single)
            {
                throw new ArgumentException($"Column '{column.Name}' is in the first data but not in the second, and only a Single column (a label) can be filled with NaN.");
            }

            if (other is { } o && !o.Type.Equals(column.Type))
            {
                throw new ArgumentException($"Column '{column.Name}' holds {column.Type} in the first data but {o.Type} in the second; both files must have the same features.");
            }
        }
    }

    public override DataViewSchema Schema => _first.Schema;

    public override long? GetRowCount() => _first.GetRowCount() + _second.GetRowCount();

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active, ActiveColumns(active));

    private sealed class Cursor(AppendRowsDataView parent, bool[] active, DataViewSchema.Column[] columns) : DataViewRowCursor
    {
        private readonly DataViewRowCursor _a = parent._first.GetRowCursor(columns);
        private readonly DataViewRowCursor _b = parent._second.GetRowCursor(columns.Select(c => parent._second.Schema.GetColumnOrNull(c.Name)).OfType<DataViewSchema.Column>());
        private bool _onSecond;
        private long _position = -1;

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => parent.Schema;

        public override bool IsColumnActive(DataViewSchema.Column column) => active[column.Index];

        public override bool MoveNext()
        {
            if (!_onSecond && _a.MoveNext())
            {
                _position++;
                return true;
            }

            _onSecond = true;
            if (_b.MoveNext())
            {
                _position++;
                return true;
            }

            return false;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var first = _a.GetGetter<TValue>(column);
            var secondColumn = parent._second.Schema.GetColumnOrNull(column.Name);
            ValueGetter<TValue> second = secondColumn is { } s
                ? _b.GetGetter<TValue>(s)
                : (ValueGetter<TValue>)(Delegate)(ValueGetter<float>)((ref float v) => v = float.NaN);
            return (ref TValue value) =>
            {
                if (_onSecond)
                {
                    second(ref value);
                }
                else
                {
                    first(ref value);
                }
            };
        }

        public override ValueGetter<DataViewRowId> GetIdGetter()
        {
            var a = _a.GetIdGetter();
            var b = _b.GetIdGetter();
            return (ref DataViewRowId id) =>
            {
                if (_onSecond)
                {
                    b(ref id);
                    id = id.Combine(new DataViewRowId(1, 0));
                }
                else
                {
                    a(ref id);
                }
            };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _a.Dispose();
                _b.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
