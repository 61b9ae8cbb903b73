using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>
/// Lazily keeps the rows of a view at given positions (0-based, ascending), in order: the rows a budgeted labeling run
/// buys, so the teacher downstream of this view runs on those rows and no others.
/// </summary>
internal sealed class RowSubsetDataView : DataViewBase
{
    private readonly IDataView _source;
    private readonly int[] _rows;

    /// <summary>Makes the view.</summary>
    /// <param name="source">The rows to choose from.</param>
    /// <param name="rows">The positions to keep, strictly ascending (checked).</param>
    public RowSubsetDataView(IDataView source, int[] rows)
    {
        for (int i = 1; i < rows.Length; i++)
        {
            if (rows[i] <= rows[i - 1])
            {
                throw new ArgumentException($"Row positions must be strictly ascending, but {rows[i]} follows {rows[i - 1]}.", nameof(rows));
            }
        }

        if (rows.Length > 0 && rows[0] < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows[0], "Row positions start at 0.");
        }

        _source = source;
        _rows = rows;
    }

    public override DataViewSchema Schema => _source.Schema;

    public override long? GetRowCount() => _rows.Length;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active, _source.GetRowCursor(ActiveColumns(active)));

    private sealed class Cursor(RowSubsetDataView parent, bool[] active, DataViewRowCursor source) : RowCursorBase(parent.Schema, active)
    {
        private int _next;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            CheckColumn(column);
            if (!IsActive(column.Index))
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor: include it in the columns passed to GetRowCursor.");
            }

            return source.GetGetter<TValue>(column);
        }

        protected override bool MoveNextCore()
        {
            if (_next >= parent._rows.Length)
            {
                return false;
            }

            int want = parent._rows[_next++];
            while (source.Position < want)
            {
                if (!source.MoveNext())
                {
                    throw new ArgumentException($"Row {want} was asked for, but the data has only {source.Position + 1} rows.");
                }
            }

            return true;
        }

        protected override void DisposeCore() => source.Dispose();
    }
}
