using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Serving;

/// <summary>
/// The cascade one row at a time, for a <c>PredictionEngine</c>: the student's row-to-row mapper on the row, then the
/// teacher on that one row only when it is deferred. Values are computed once per input row position.
/// </summary>
internal sealed class CascadeRowMapper : IRowToRowMapper
{
    private readonly CascadeTransformer _cascade;
    private readonly IRowToRowMapper _student;

    public CascadeRowMapper(CascadeTransformer cascade, DataViewSchema inputSchema)
    {
        _cascade = cascade;
        InputSchema = inputSchema;
        OutputSchema = cascade.GetOutputSchema(inputSchema);
        _student = cascade.Student.GetRowToRowMapper(inputSchema);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) => InputSchema;

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        var score = _cascade.CheckScore(_student.OutputSchema);
        var studentRow = _student.GetRow(input, [score]);
        var teacherInputs = _cascade.TeacherInputColumns().Select(n => RowValueCache.Create(input, InputSchema[n], 1)).ToArray();
        var batch = new CascadeBatch(_cascade, studentRow, score, teacherInputs, [], 1);
        return new Row(this, input, studentRow, batch, activeColumns);
    }

    private sealed class Row : DataViewRow
    {
        private readonly CascadeRowMapper _parent;
        private readonly DataViewRow _input;
        private readonly DataViewRow _studentRow;
        private readonly CascadeBatch _batch;
        private readonly bool[] _active;
        private long _computedAt = -1;

        public Row(CascadeRowMapper parent, DataViewRow input, DataViewRow studentRow, CascadeBatch batch, IEnumerable<DataViewSchema.Column> active)
        {
            _parent = parent;
            _input = input;
            _studentRow = studentRow;
            _batch = batch;
            _active = new bool[parent.OutputSchema.Count];
            foreach (var column in active)
            {
                _active[column.Index] = true;
            }
        }

        public override DataViewSchema Schema => _parent.OutputSchema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var cascade = _parent._cascade;
            Delegate getter = column.Name switch
            {
                _ when column.Name == cascade.Options.ScoreColumnName => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => RowCursorBase.Fill(Compute().Probabilities(0), ref v)),
                DataColumnNames.PredictedLabel => (ValueGetter<uint>)((ref uint v) => v = (uint)Compute().Predicted(0) + 1),
                CascadeTransformer.DeferredColumnName => (ValueGetter<bool>)((ref bool v) => v = Compute().Deferred(0)),
                _ => _input.GetGetter<TValue>(_parent.InputSchema[column.Name]),
            };
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type} values, not {typeof(TValue).Name}.");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _studentRow.Dispose();
            }

            base.Dispose(disposing);
        }

        private CascadeBatch Compute()
        {
            if (_computedAt != _input.Position || _batch.Count == 0)
            {
                _batch.Clear();
                _batch.Add();
                _batch.Finish();
                _computedAt = _input.Position;
            }

            return _batch;
        }
    }
}
