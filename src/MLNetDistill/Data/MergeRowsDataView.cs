using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>
/// Rows of several views with one schema, interleaved in a given order: output row i is the next unread row of part
/// <c>parts[i]</c>. Each part is read once, front to back, so the parts' own orders are kept. Budgeted labeling uses it to
/// hand the student the rows bought in pool order, whichever purchase (teacher batch) each came from.
/// </summary>
internal sealed class MergeRowsDataView : DataViewBase
{
    private readonly IDataView[] _views;
    private readonly int[] _parts;

    /// <summary>Makes the view.</summary>
    /// <param name="views">The parts; every one has the first one's schema (checked by column name and type).</param>
    /// <param name="parts">For each output row, the part it comes from.</param>
    public MergeRowsDataView(IDataView[] views, int[] parts)
    {
        if (views.Length == 0)
        {
            throw new ArgumentException("At least one part is needed.", nameof(views));
        }

        foreach (var view in views)
        {
            foreach (var column in views[0].Schema)
            {
                if (view.Schema.GetColumnOrNull(column.Name) is not { } other || other.Index != column.Index || !other.Type.Equals(column.Type))
                {
                    throw new ArgumentException($"Column '{column.Name}' is not the same in every part; the parts must share one schema.", nameof(views));
                }
            }
        }

        foreach (int part in parts)
        {
            if ((uint)part >= (uint)views.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(parts), part, $"A row names part {part}, but there are {views.Length} parts.");
            }
        }

        _views = views;
        _parts = parts;
    }

    public override DataViewSchema Schema => _views[0].Schema;

    public override long? GetRowCount() => _parts.Length;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active)
    {
        var columns = ActiveColumns(active);
        var cursors = new DataViewRowCursor[_views.Length];
        for (int i = 0; i < cursors.Length; i++)
        {
            var schema = _views[i].Schema;
            cursors[i] = _views[i].GetRowCursor(columns.Select(c => schema[c.Index]));
        }

        return new Cursor(this, active, cursors);
    }

    private sealed class Cursor(MergeRowsDataView parent, bool[] active, DataViewRowCursor[] cursors) : RowCursorBase(parent.Schema, active)
    {
        private int _row = -1;
        private int _part = -1;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            CheckColumn(column);
            if (!IsActive(column.Index))
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor: include it in the columns passed to GetRowCursor.");
            }

            var getters = new ValueGetter<TValue>[cursors.Length];
            for (int i = 0; i < cursors.Length; i++)
            {
                getters[i] = cursors[i].GetGetter<TValue>(cursors[i].Schema[column.Index]);
            }

            return (ref TValue value) => getters[_part](ref value);
        }

        protected override bool MoveNextCore()
        {
            if (++_row >= parent._parts.Length)
            {
                return false;
            }

            _part = parent._parts[_row];
            if (!cursors[_part].MoveNext())
            {
                throw new InvalidOperationException($"Part {_part} ran out of rows at output row {_row}: it has fewer rows than the order names.");
            }

            return true;
        }

        protected override void DisposeCore()
        {
            foreach (var cursor in cursors)
            {
                cursor.Dispose();
            }
        }
    }
}
