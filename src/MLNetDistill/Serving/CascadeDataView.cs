using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Serving;

/// <summary>
/// The lazy output of <see cref="CascadeTransformer"/>: each cursor reads a batch of the student's output, copies the
/// active columns, sends the batch's deferred rows to the teacher together, then serves the rows.
/// </summary>
internal sealed class CascadeDataView : DataViewBase
{
    private readonly CascadeTransformer _cascade;
    private readonly IDataView _student;

    public CascadeDataView(CascadeTransformer cascade, IDataView input)
    {
        _cascade = cascade;
        Schema = cascade.GetOutputSchema(input.Schema);
        _student = cascade.Student.Transform(input);
        Input = input;
    }

    public IDataView Input { get; }

    public override DataViewSchema Schema { get; }

    public override long? GetRowCount() => Input.GetRowCount();

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active);

    private sealed class Cursor : RowCursorBase
    {
        private readonly DataViewRowCursor _source;
        private readonly CascadeBatch _batch;
        private readonly Delegate?[] _passThrough;
        private readonly int _scoreIndex;
        private readonly int _predictedIndex;
        private readonly int _deferredIndex;
        private int _slot = -1;

        public Cursor(CascadeDataView parent, bool[] active)
            : base(parent.Schema, active)
        {
            var cascade = parent._cascade;
            var studentSchema = parent._student.Schema;
            var score = cascade.CheckScore(studentSchema);
            var teacherNames = cascade.TeacherInputColumns().ToHashSet(StringComparer.Ordinal);
            var passNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var column in parent.Schema)
            {
                if (active[column.Index] && !cascade.IsOutput(column.Name))
                {
                    passNames.Add(column.Name);
                }
            }

            var needed = new List<DataViewSchema.Column> { score };
            needed.AddRange(teacherNames.Concat(passNames).Distinct().Select(n => studentSchema[n]));
            _source = parent._student.GetRowCursor(needed);
            int capacity = cascade.Options.BatchSize;
            var caches = new Dictionary<string, RowValueCache>(StringComparer.Ordinal);
            foreach (string name in teacherNames.Concat(passNames))
            {
                caches.TryAdd(name, RowValueCache.Create(_source, studentSchema[name], capacity));
            }

            _batch = new CascadeBatch(cascade, _source, score, teacherNames.Select(n => caches[n]).ToArray(),
                passNames.Except(teacherNames).Select(n => caches[n]).ToArray(), capacity);
            _passThrough = new Delegate?[parent.Schema.Count];
            foreach (string name in passNames)
            {
                _passThrough[parent.Schema[name].Index] = caches[name].Getter(Slot);
            }

            _scoreIndex = parent.Schema[cascade.Options.ScoreColumnName].Index;
            _predictedIndex = parent.Schema[DataColumnNames.PredictedLabel].Index;
            _deferredIndex = parent.Schema[CascadeTransformer.DeferredColumnName].Index;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            CheckColumn(column);
            Delegate getter = column.Index == _scoreIndex ? (ValueGetter<VBuffer<float>>)GetScore
                : column.Index == _predictedIndex ? (ValueGetter<uint>)GetPredicted
                : column.Index == _deferredIndex ? (ValueGetter<bool>)GetDeferred
                : _passThrough[column.Index] ?? throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor: include it in the columns passed to GetRowCursor.");
            return Getter<TValue, TValue>(column, getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type} values, not {typeof(TValue).Name}."));
        }

        protected override bool MoveNextCore()
        {
            if (++_slot < _batch.Count)
            {
                return true;
            }

            _batch.Clear();
            while (_batch.Count < _batch.Capacity && _source.MoveNext())
            {
                _batch.Add();
            }

            if (_batch.Count == 0)
            {
                return false;
            }

            _batch.Finish();
            _slot = 0;
            return true;
        }

        protected override void DisposeCore() => _source.Dispose();

        private int Slot()
        {
            CheckOnRow();
            return _slot;
        }

        private void GetScore(ref VBuffer<float> value) => Fill(_batch.Probabilities(Slot()), ref value);

        private void GetPredicted(ref uint value) => value = (uint)_batch.Predicted(Slot()) + 1;

        private void GetDeferred(ref bool value) => value = _batch.Deferred(Slot());
    }
}
