using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>
/// The parts every cursor of this folder shares: position, active columns, row ids, typed getter checks.
/// A subclass implements <see cref="MoveNextCore"/> and hands out getters through <see cref="Getter{TValue, TActual}"/>.
/// </summary>
internal abstract class RowCursorBase : DataViewRowCursor
{
    private readonly bool[] _active;
    private long _position = -1;
    private bool _done;
    private bool _disposed;

    /// <summary>Creates a cursor over <paramref name="schema"/> with the columns in <paramref name="active"/> active.</summary>
    protected RowCursorBase(DataViewSchema schema, bool[] active)
    {
        Schema = schema;
        _active = active;
    }

    /// <inheritdoc/>
    public sealed override DataViewSchema Schema { get; }

    /// <inheritdoc/>
    public sealed override long Position => _position;

    /// <inheritdoc/>
    public sealed override long Batch => 0;

    /// <summary>True while the cursor stands on a row.</summary>
    protected bool OnRow => _position >= 0;

    /// <summary>Whether the column at <paramref name="index"/> is active.</summary>
    protected bool IsActive(int index) => _active[index];

    /// <inheritdoc/>
    public sealed override bool IsColumnActive(DataViewSchema.Column column)
    {
        CheckColumn(column);
        return _active[column.Index];
    }

    /// <inheritdoc/>
    public sealed override bool MoveNext()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_done)
        {
            return false;
        }

        if (MoveNextCore())
        {
            _position++;
            return true;
        }

        _done = true;
        _position = -1;
        return false;
    }

    /// <inheritdoc/>
    public sealed override ValueGetter<DataViewRowId> GetIdGetter() =>
        (ref DataViewRowId value) =>
        {
            CheckOnRow();
            value = new DataViewRowId((ulong)_position, 0);
        };

    /// <summary>
    /// Moves the position on by <paramref name="rows"/> rows read in one block (<see cref="IFeatureBlockCursor"/>); 0 rows
    /// ends the cursor as <see cref="MoveNext"/> would.
    /// </summary>
    protected void AdvanceBlock(int rows)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (rows == 0)
        {
            _done = true;
            _position = -1;
            return;
        }

        _position += rows;
    }

    /// <summary>Advances the underlying source by one row; false at the end.</summary>
    protected abstract bool MoveNextCore();

    /// <summary>Releases the underlying streams; called once.</summary>
    protected virtual void DisposeCore()
    {
    }

    /// <summary>Throws unless the cursor stands on a row.</summary>
    protected void CheckOnRow()
    {
        if (_position < 0)
        {
            throw new InvalidOperationException("The cursor is not on a row: call MoveNext and check that it returned true before reading values.");
        }
    }

    /// <summary>Returns <paramref name="getter"/> as a getter of <typeparamref name="TValue"/>, after checking the column is active and of that type.</summary>
    protected ValueGetter<TValue> Getter<TValue, TActual>(DataViewSchema.Column column, ValueGetter<TActual> getter)
    {
        CheckColumn(column);
        if (!_active[column.Index])
        {
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor: include it in the columns passed to GetRowCursor.");
        }

        if (getter is not ValueGetter<TValue> typed)
        {
            throw new InvalidOperationException(
                $"Column '{column.Name}' holds {column.Type} values (.NET type {typeof(TActual).Name}), not {typeof(TValue).Name}: ask for GetGetter<{typeof(TActual).Name}>.");
        }

        return typed;
    }

    /// <summary>Throws unless <paramref name="column"/> belongs to this cursor's schema.</summary>
    protected void CheckColumn(DataViewSchema.Column column)
    {
        if ((uint)column.Index >= (uint)Schema.Count || Schema[column.Index].Name != column.Name)
        {
            throw new ArgumentOutOfRangeException(nameof(column), column.Name, $"Column '{column.Name}' (index {column.Index}) is not in this cursor's schema.");
        }
    }

    /// <inheritdoc/>
    protected sealed override void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _position = -1;
        if (disposing)
        {
            DisposeCore();
        }

        base.Dispose(disposing);
    }

    /// <summary>Turns the columns a caller asked for into an active flag per column of <paramref name="schema"/>.</summary>
    public static bool[] ActiveFlags(DataViewSchema schema, IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        bool[] active = new bool[schema.Count];
        foreach (DataViewSchema.Column column in columnsNeeded)
        {
            if ((uint)column.Index >= (uint)schema.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(columnsNeeded), column.Name, $"Column '{column.Name}' (index {column.Index}) is not in this data view's schema.");
            }

            active[column.Index] = true;
        }

        return active;
    }

    /// <summary>Writes <paramref name="source"/> into <paramref name="destination"/> as a dense vector.</summary>
    public static void Fill(ReadOnlySpan<float> source, ref VBuffer<float> destination)
    {
        VBufferEditor<float> editor = VBufferEditor.Create(ref destination, source.Length);
        source.CopyTo(editor.Values);
        destination = editor.Commit();
    }
}
