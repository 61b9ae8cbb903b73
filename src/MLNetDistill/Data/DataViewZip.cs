using System.Globalization;
using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>
/// Joins two views with the same rows side by side, row by row: the columns of the first, then those of the second. Used to
/// train a student from a data file plus its teacher cache without running the teacher.
/// </summary>
internal sealed class DataViewZip : DataViewBase
{
    private readonly IDataView _first;
    private readonly IDataView _second;
    private readonly string _firstName;
    private readonly string _secondName;
    private readonly bool[] _fromSecond;
    private readonly int[] _sourceIndex;

    private DataViewZip(IDataView first, IDataView second, string firstName, string secondName, bool secondWins)
    {
        _first = first;
        _second = second;
        _firstName = firstName;
        _secondName = secondName;

        var secondNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (DataViewSchema.Column column in second.Schema)
        {
            if (!column.IsHidden)
            {
                secondNames.Add(column.Name);
            }
        }

        var builder = new DataViewSchema.Builder();
        var fromSecond = new List<bool>();
        var sourceIndex = new List<int>();
        foreach (DataViewSchema.Column column in first.Schema)
        {
            if (column.IsHidden)
            {
                continue;
            }

            if (secondNames.Contains(column.Name))
            {
                if (!secondWins)
                {
                    throw new ArgumentException(
                        $"Column '{column.Name}' is in both the {firstName} and the {secondName}: drop or rename it in one of them " +
                        $"(or let the {secondName}'s column replace the {firstName}'s).",
                        nameof(first));
                }

                continue;
            }

            builder.AddColumn(column.Name, column.Type, column.Annotations);
            fromSecond.Add(false);
            sourceIndex.Add(column.Index);
        }

        foreach (DataViewSchema.Column column in second.Schema)
        {
            if (column.IsHidden)
            {
                continue;
            }

            builder.AddColumn(column.Name, column.Type, column.Annotations);
            fromSecond.Add(true);
            sourceIndex.Add(column.Index);
        }

        Schema = builder.ToSchema();
        _fromSecond = [.. fromSecond];
        _sourceIndex = [.. sourceIndex];
    }

    public override DataViewSchema Schema { get; }

    /// <summary>Zips <paramref name="first"/> and <paramref name="second"/>.</summary>
    /// <param name="first">The left view, such as the data file.</param>
    /// <param name="second">The right view, such as the teacher cache.</param>
    /// <param name="firstName">What to call the first view in messages.</param>
    /// <param name="secondName">What to call the second view in messages.</param>
    /// <param name="secondWins">When a name is in both, keep the second's column instead of throwing.</param>
    /// <exception cref="ArgumentException">A column name is in both views (and <paramref name="secondWins"/> is false).</exception>
    /// <exception cref="InvalidDataException">Both row counts are known and differ.</exception>
    public static DataViewZip Create(IDataView first, IDataView second, string firstName = "data", string secondName = "cache", bool secondWins = false)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.GetRowCount() is long a && second.GetRowCount() is long b && a != b)
        {
            throw Mismatch(secondName, b, firstName, a.ToString("N0", CultureInfo.InvariantCulture));
        }

        return new DataViewZip(first, second, firstName, secondName, secondWins);
    }

    public override long? GetRowCount() => _first.GetRowCount() ?? _second.GetRowCount();

    protected override DataViewRowCursor GetRowCursorCore(bool[] active)
    {
        var firstNeeded = new List<DataViewSchema.Column>();
        var secondNeeded = new List<DataViewSchema.Column>();
        for (int i = 0; i < active.Length; i++)
        {
            if (active[i])
            {
                if (_fromSecond[i])
                {
                    secondNeeded.Add(_second.Schema[_sourceIndex[i]]);
                }
                else
                {
                    firstNeeded.Add(_first.Schema[_sourceIndex[i]]);
                }
            }
        }

        DataViewRowCursor first = _first.GetRowCursor(firstNeeded);
        try
        {
            return new Cursor(this, active, first, _second.GetRowCursor(secondNeeded));
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    private static InvalidDataException Mismatch(string shortName, long shortRows, string longName, string longRows) =>
        new($"The {shortName} has {shortRows.ToString("N0", CultureInfo.InvariantCulture)} rows but the {longName} has {longRows}: " +
            $"it was made from other data. Re-create the {shortName} from this {longName}, or pass the {longName} it was made from.");

    private sealed class Cursor : RowCursorBase
    {
        private readonly DataViewZip _parent;
        private readonly DataViewRowCursor _first;
        private readonly DataViewRowCursor _second;
        private long _rows;

        public Cursor(DataViewZip parent, bool[] active, DataViewRowCursor first, DataViewRowCursor second)
            : base(parent.Schema, active)
        {
            _parent = parent;
            _first = first;
            _second = second;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            CheckColumn(column);
            if (!IsActive(column.Index))
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor: include it in the columns passed to GetRowCursor.");
            }

            int source = _parent._sourceIndex[column.Index];
            return _parent._fromSecond[column.Index]
                ? _second.GetGetter<TValue>(_second.Schema[source])
                : _first.GetGetter<TValue>(_first.Schema[source]);
        }

        protected override bool MoveNextCore()
        {
            bool first = _first.MoveNext();
            bool second = _second.MoveNext();
            if (first != second)
            {
                // One side has ended: say how long it was and, when known, how long the other is.
                string longName = first ? _parent._firstName : _parent._secondName;
                string shortName = first ? _parent._secondName : _parent._firstName;
                long? longRows = (first ? _parent._first : _parent._second).GetRowCount();
                throw Mismatch(shortName, _rows, longName, longRows is long n ? n.ToString("N0", CultureInfo.InvariantCulture) : "more");
            }

            if (first)
            {
                _rows++;
            }

            return first;
        }

        protected override void DisposeCore()
        {
            _first.Dispose();
            _second.Dispose();
        }
    }
}
