using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Students;

/// <summary>Adds one slot of a vector column as a scalar column (the regression target of one class in logit matching), lazily.</summary>
internal sealed class SlotTargetDataView : IDataView
{
    private readonly IDataView _source;
    private readonly DataViewSchema.Column _vector;
    private readonly int _slot;

    public SlotTargetDataView(IDataView source, string vectorColumn, int slot, string targetColumn)
    {
        _source = source;
        _vector = source.Schema[vectorColumn];
        _slot = slot;
        var builder = new DataViewSchema.Builder();
        foreach (var column in source.Schema)
        {
            if (column.Name != targetColumn && !column.IsHidden)
            {
                builder.AddColumn(column.Name, column.Type, column.Annotations);
            }
        }

        builder.AddColumn(targetColumn, NumberDataViewType.Single);
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => _source.Schema.GetColumnOrNull(c.Name)).OfType<DataViewSchema.Column>().Append(_vector).ToList();
        return new Cursor(this, _source.GetRowCursor(needed));
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(SlotTargetDataView parent, DataViewRowCursor source) : DataViewRowCursor
    {
        private VBuffer<float> _row;

        public override long Position => source.Position;

        public override long Batch => source.Batch;

        public override DataViewSchema Schema => parent.Schema;

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index == parent.Schema.Count - 1 || source.IsColumnActive(source.Schema[column.Name]);

        public override bool MoveNext() => source.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => source.GetIdGetter();

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index != parent.Schema.Count - 1)
            {
                return source.GetGetter<TValue>(source.Schema[column.Name]);
            }

            var vector = source.GetGetter<VBuffer<float>>(parent._vector);
            ValueGetter<float> slot = (ref float value) =>
            {
                vector(ref _row);
                value = _row.GetItemOrDefault(parent._slot);
            };
            return (ValueGetter<TValue>)(Delegate)slot;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                source.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
