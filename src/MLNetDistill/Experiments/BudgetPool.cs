using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Experiments;

/// <summary>
/// The pool of a budgeted labeling run and the teacher's labels bought for it: the teacher scores a pool row the first time
/// a row set needs it, never again, and never a row no set asked for. Each purchase is one batch the teacher runs over.
/// </summary>
internal sealed class BudgetPool
{
    private readonly TeacherScoringTransformer _teacher;
    private readonly Func<IDataView, IDataView> _materialize;
    private readonly List<IDataView> _batches = [];

    /// <summary>For each pool row, the batch that holds it (-1 while unscored) and its position there.</summary>
    private readonly int[] _batch;
    private readonly int[] _row;

    /// <summary>Makes the pool.</summary>
    /// <param name="teacher">The teacher that labels bought rows.</param>
    /// <param name="rows">The pool rows (in memory, no <c>Label</c> column).</param>
    /// <param name="count">The number of pool rows.</param>
    /// <param name="materialize">Reads a lazy view into memory in one pass (so the teacher runs once per batch).</param>
    public BudgetPool(TeacherScoringTransformer teacher, IDataView rows, int count, Func<IDataView, IDataView> materialize)
    {
        _teacher = teacher;
        Rows = rows;
        Count = count;
        _materialize = materialize;
        _batch = new int[count];
        _row = new int[count];
        Array.Fill(_batch, -1);
    }

    /// <summary>Gets the pool rows, without the teacher's columns.</summary>
    public IDataView Rows { get; }

    /// <summary>Gets the number of pool rows.</summary>
    public int Count { get; }

    /// <summary>Gets the pool rows the teacher has scored so far.</summary>
    public long TeacherCalls { get; private set; }

    /// <summary>The given pool rows with the teacher's columns, in ascending pool order (whatever batch each was bought in); the teacher scores those it has not scored yet (one batch).</summary>
    /// <param name="positions">Pool positions, any order, no duplicates.</param>
    /// <returns>The rows, or <see langword="null"/> for none.</returns>
    public IDataView? Labeled(IEnumerable<int> positions)
    {
        int[] sorted = [.. positions];
        Array.Sort(sorted);
        Buy(sorted);
        if (sorted.Length == 0)
        {
            return null;
        }

        // One subset per batch that holds some of the rows, merged back into pool order (so a row set's order never
        // depends on when its rows were bought, and neither does a student trained on it).
        var parts = new List<IDataView>();
        var partOf = new int[sorted.Length];
        var partOfBatch = new int[_batches.Count];
        for (int b = 0; b < _batches.Count; b++)
        {
            var inBatch = new List<int>();
            for (int i = 0; i < sorted.Length; i++)
            {
                if (_batch[sorted[i]] == b)
                {
                    inBatch.Add(_row[sorted[i]]); // ascending: a batch holds its rows in pool order
                }
            }

            partOfBatch[b] = inBatch.Count == 0 ? -1 : parts.Count;
            if (inBatch.Count > 0)
            {
                parts.Add(new RowSubsetDataView(_batches[b], [.. inBatch]));
            }
        }

        for (int i = 0; i < sorted.Length; i++)
        {
            partOf[i] = partOfBatch[_batch[sorted[i]]];
        }

        return parts.Count == 1 ? parts[0] : new MergeRowsDataView([.. parts], partOf);
    }

    /// <summary>Has the teacher score the rows of <paramref name="sorted"/> not scored yet, as one batch.</summary>
    private void Buy(int[] sorted)
    {
        var fresh = new List<int>();
        foreach (int p in sorted)
        {
            if ((uint)p >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(sorted), p, $"Pool position {p} is outside the pool of {Count} rows.");
            }

            if (_batch[p] < 0)
            {
                fresh.Add(p);
            }
        }

        if (fresh.Count == 0)
        {
            return;
        }

        long before = _teacher.RowsScored;
        var scored = _materialize(_teacher.Transform(new RowSubsetDataView(Rows, [.. fresh])));
        TeacherCalls += _teacher.RowsScored - before;
        int batch = _batches.Count;
        _batches.Add(scored);
        for (int i = 0; i < fresh.Count; i++)
        {
            _batch[fresh[i]] = batch;
            _row[fresh[i]] = i;
        }
    }
}
