using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Augmentation;

/// <summary>
/// The synthetic rows as a lazy, unlabeled view of <c>Features</c>: each cursor makes them one at a time from a generator
/// seeded afresh (the same rows for every cursor), into one reused buffer, so memory stays that of the training rows
/// whatever the row count, and the teacher's scorer batches them like any other rows.
/// </summary>
internal sealed class SyntheticRowsDataView : DataViewBase
{
    private readonly SyntheticRowGenerator _generator;
    private readonly long _rows;
    private readonly int _seed;
    private readonly int _width;

    public SyntheticRowsDataView(SyntheticRowGenerator generator, int width, long rows, int seed)
    {
        _generator = generator;
        _width = width;
        _rows = rows;
        _seed = seed;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(DataColumnNames.Features, new VectorDataViewType(NumberDataViewType.Single, width));
        Schema = builder.ToSchema();
    }

    /// <summary>How often (in rows) a cursor asks <see cref="Stop"/> whether to end early.</summary>
    private const int StopCheckRows = 256;

    /// <summary>Makes the synthetic rows of <paramref name="options"/> from the <c>Features</c> of <paramref name="training"/> (read once, here).</summary>
    /// <param name="training">The training rows.</param>
    /// <param name="options">The validated augmentation.</param>
    /// <param name="seed">The generator's seed.</param>
    /// <param name="cancellationToken">Stops reading the training rows.</param>
    /// <param name="stop">Asked every 256 rows: <see langword="true"/> ends the rows there (a time budget); the row count is then unknown up front.</param>
    public static SyntheticRowsDataView Create(IDataView training, AugmentationOptions options, int seed, CancellationToken cancellationToken, Func<bool>? stop = null)
    {
        var matrix = TrainingMatrix.Load(training, options, cancellationToken);
        return new SyntheticRowsDataView(SyntheticRowGenerator.Create(matrix, options), matrix.Width, options.SyntheticRows(matrix.Rows), seed)
        {
            TrainingRows = matrix.Rows,
            CategoricalFeatures = matrix.Categorical.Count(c => c),
            SkippedTrainingRows = matrix.SkippedRows,
            Stop = stop,
        };
    }

    /// <summary>Gets the synthetic rows planned: <see cref="AugmentationOptions.Factor"/> × the training rows, at most <see cref="AugmentationOptions.MaxRows"/>.</summary>
    public long PlannedRows => _rows;

    /// <summary>Gets the early stop asked every 256 rows, or <see langword="null"/>.</summary>
    private Func<bool>? Stop { get; init; }

    /// <summary>Gets the training rows the synthetic rows are made from.</summary>
    public int TrainingRows { get; private init; }

    /// <summary>Gets the training rows left out for NaN or infinite features (<see cref="AugmentationOptions.SkipInvalidRows"/>).</summary>
    public long SkippedTrainingRows { get; private init; }

    /// <summary>Gets how many features are treated as categorical.</summary>
    public int CategoricalFeatures { get; private init; }

    public override DataViewSchema Schema { get; }

    public override long? GetRowCount() => Stop is null ? _rows : null;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active);

    private sealed class Cursor : RowCursorBase
    {
        private readonly SyntheticRowsDataView _parent;
        private readonly Random _random;
        private readonly float[] _row;
        private readonly ValueGetter<VBuffer<float>> _getter;
        private long _made;

        public Cursor(SyntheticRowsDataView parent, bool[] active)
            : base(parent.Schema, active)
        {
            _parent = parent;
            _random = new Random(parent._seed);
            _row = new float[parent._width];
            _getter = (ref VBuffer<float> value) =>
            {
                CheckOnRow();
                Fill(_row, ref value);
            };
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => Getter<TValue, VBuffer<float>>(column, _getter);

        protected override bool MoveNextCore()
        {
            if (_made >= _parent._rows || (_made % StopCheckRows == 0 && _made > 0 && _parent.Stop?.Invoke() == true))
            {
                return false;
            }

            // Rows are made even when Features is inactive, so row k is the same row whoever reads it.
            _parent._generator.Next(_random, _made, _row);
            _made++;
            return true;
        }
    }
}
