using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>
/// The rows of one view followed by the rows of another with the first one's columns; a Single column the second lacks
/// (its label, for transfer rows nobody labeled) reads as NaN there, and any other column the second lacks (an <c>Id</c> or
/// <c>Group</c> column of one file that nobody uses) is left out: only the columns both have, and the label, go on.
/// </summary>
internal sealed class AppendRowsDataView : DataViewBase
{
    private readonly IDataView _first;
    private readonly IDataView _second;

    /// <summary>The first view's column behind each column of <see cref="Schema"/>.</summary>
    private readonly DataViewSchema.Column[] _source;

    public AppendRowsDataView(IDataView first, IDataView second)
    {
        _first = first;
        _second = second;
        var kept = new List<DataViewSchema.Column>(first.Schema.Count);
        bool dropped = false;
        foreach (var column in first.Schema)
        {
            if (column.IsHidden)
            {
                continue; // reachable by index only; kept when the first schema is kept whole (below)
            }

            var other = second.Schema.GetColumnOrNull(column.Name);
            if (other is null && column.Type != NumberDataViewType.Single)
            {
                dropped = true;
                continue; // a column of one data set only (an Id, a Group): not used by the students, so not carried
            }

            if (other is { } o && !o.Type.Equals(column.Type))
            {
                throw new ArgumentException($"Column '{column.Name}' holds {column.Type} in the first data but {o.Type} in the second; both files must have the same features.");
            }

            kept.Add(column);
        }

        if (!dropped)
        {
            Schema = first.Schema;
            _source = [.. first.Schema];
        }
        else
        {
            _source = [.. kept];
            var builder = new DataViewSchema.Builder();
            foreach (var column in _source)
            {
                builder.AddColumn(column.Name, column.Type, column.Annotations);
            }

            Schema = builder.ToSchema();
        }
    }

    public override DataViewSchema Schema { get; }

    public override long? GetRowCount() => _first.GetRowCount() + _second.GetRowCount();

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active, ActiveColumns(active));

    private sealed class Cursor(AppendRowsDataView parent, bool[] active, DataViewSchema.Column[] columns) : DataViewRowCursor
    {
        private readonly DataViewRowCursor _a = parent._first.GetRowCursor(columns.Select(c => parent._source[c.Index]));
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
            var first = _a.GetGetter<TValue>(parent._source[column.Index]);
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
