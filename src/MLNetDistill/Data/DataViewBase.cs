using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>
/// The members every lazy view of this library shares, as ML.NET's own <c>DataViewBase</c> does for its views: rows in
/// one fixed order (no shuffling), a cursor set of one cursor, and the columns a caller needs checked against the schema
/// and turned into one active flag per column. A view supplies its schema, its row count and
/// <see cref="GetRowCursorCore"/>.
/// </summary>
internal abstract class DataViewBase : IDataView
{
    /// <inheritdoc/>
    public virtual bool CanShuffle => false;

    /// <inheritdoc/>
    public abstract DataViewSchema Schema { get; }

    /// <inheritdoc/>
    public abstract long? GetRowCount();

    /// <inheritdoc/>
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        GetRowCursorCore(RowCursorBase.ActiveFlags(Schema, columnsNeeded));

    /// <inheritdoc/>
    /// <remarks>The rows come in one order, so the set is a single cursor whatever <paramref name="n"/> asks.</remarks>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    /// <summary>Opens a cursor over the rows with the columns flagged in <paramref name="active"/> (one flag per schema column) active.</summary>
    protected abstract DataViewRowCursor GetRowCursorCore(bool[] active);

    /// <summary>The columns of <see cref="Schema"/> flagged in <paramref name="active"/>, for asking a source view for them.</summary>
    protected DataViewSchema.Column[] ActiveColumns(bool[] active)
    {
        int count = 0;
        for (int i = 0; i < active.Length; i++)
        {
            if (active[i])
            {
                count++;
            }
        }

        var columns = new DataViewSchema.Column[count];
        count = 0;
        for (int i = 0; i < active.Length; i++)
        {
            if (active[i])
            {
                columns[count++] = Schema[i];
            }
        }

        return columns;
    }
}
