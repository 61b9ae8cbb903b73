using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Numerics;

namespace MLNetDistill.Serving;

/// <summary>
/// The rows a cascade reads ahead: the student's probabilities of each, its confidence and whether it is deferred,
/// and a copy of the teacher's inputs, so that the deferred rows go to the teacher together once the batch is full.
/// After <see cref="Finish"/> each slot holds the cascade's answer (the teacher's probabilities on deferred rows).
/// </summary>
internal sealed class CascadeBatch
{
    private readonly CascadeTransformer _cascade;
    private readonly ValueGetter<VBuffer<float>> _scoreGetter;
    private readonly RowValueCache[] _teacherInputs;
    private readonly RowValueCache[] _others;
    private readonly float[] _probabilities;
    private readonly float[] _confidence;
    private readonly bool[] _deferred;
    private readonly int[] _deferredSlots;
    private readonly int _classes;
    private VBuffer<float> _score;
    private VBuffer<float> _logits;

    /// <param name="cascade">The cascade.</param>
    /// <param name="scoreRow">The row (cursor) with the student's score column.</param>
    /// <param name="score">The student's score column in <paramref name="scoreRow"/>.</param>
    /// <param name="teacherInputs">Caches of the teacher's input columns, read from the same row as the score.</param>
    /// <param name="others">Caches of other columns to store with each row (pass-through columns of a cursor).</param>
    /// <param name="capacity">The most rows per batch.</param>
    public CascadeBatch(CascadeTransformer cascade, DataViewRow scoreRow, DataViewSchema.Column score, RowValueCache[] teacherInputs, RowValueCache[] others, int capacity)
    {
        _cascade = cascade;
        _classes = cascade.ClassCount;
        _scoreGetter = scoreRow.GetGetter<VBuffer<float>>(score);
        _teacherInputs = teacherInputs;
        _others = others;
        _probabilities = new float[capacity * _classes];
        _confidence = new float[capacity];
        _deferred = new bool[capacity];
        _deferredSlots = new int[capacity];
        Capacity = capacity;
    }

    /// <summary>The most rows the batch holds.</summary>
    public int Capacity { get; }

    /// <summary>The rows in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>The deferred rows of the batch (after <see cref="Finish"/>).</summary>
    public int DeferredCount { get; private set; }

    /// <summary>Empties the batch.</summary>
    public void Clear()
    {
        Count = 0;
        DeferredCount = 0;
    }

    /// <summary>Stores the current row of the source in the next slot.</summary>
    public void Add()
    {
        int slot = Count;
        _scoreGetter(ref _score);
        if (_score.Length != _classes)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"The student's score has {_score.Length} values on this row but the teacher has {_classes} classes: the student must give one probability per class."));
        }

        _score.CopyTo(_probabilities.AsSpan(slot * _classes, _classes));
        foreach (var cache in _teacherInputs)
        {
            cache.Store(slot);
        }

        foreach (var cache in _others)
        {
            cache.Store(slot);
        }

        Count++;
    }

    /// <summary>Decides which rows go to the teacher and has it score them, all in one pass.</summary>
    public void Finish()
    {
        int rows = Count;
        _cascade.Confidence(_probabilities.AsSpan(0, rows * _classes), _confidence.AsSpan(0, rows));
        int deferred = 0;
        for (int r = 0; r < rows; r++)
        {
            _deferred[r] = CascadeThreshold.Defers(_confidence[r], _cascade.Threshold);
            if (_deferred[r])
            {
                _deferredSlots[deferred++] = r;
            }
        }

        DeferredCount = deferred;
        if (deferred > 0)
        {
            ScoreDeferred(deferred);
        }

        _cascade.CountRows(rows, deferred);
    }

    /// <summary>The cascade's probabilities of a slot.</summary>
    public ReadOnlySpan<float> Probabilities(int slot) => _probabilities.AsSpan(slot * _classes, _classes);

    /// <summary>The cascade's class of a slot, 0-based.</summary>
    public int Predicted(int slot) => SoftLabelMath.ArgMax(Probabilities(slot));

    /// <summary>Whether a slot went to the teacher.</summary>
    public bool Deferred(int slot) => _deferred[slot];

    private void ScoreDeferred(int deferred)
    {
        var teacher = _cascade.Teacher;
        var scored = teacher.Transform(new DeferredRowsDataView(_teacherInputs, _deferredSlots, deferred));
        var logits = scored.Schema[teacher.Options.LogitsColumnName];
        using var cursor = scored.GetRowCursor([logits]);
        var getter = cursor.GetGetter<VBuffer<float>>(logits);
        for (int j = 0; j < deferred; j++)
        {
            if (!cursor.MoveNext())
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"The teacher returned {j} rows for the {deferred} deferred rows of a batch: it skipped rows (SkipInvalidRows?). A cascade needs an answer for every row; clean the data or turn skipping off."));
            }

            getter(ref _logits);
            int slot = _deferredSlots[j];
            Span<float> destination = _probabilities.AsSpan(slot * _classes, _classes);
            _logits.CopyTo(destination);

            SoftLabelMath.Softmax(destination, 1f, destination);
        }
    }
}
