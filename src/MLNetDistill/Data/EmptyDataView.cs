using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>A data view with a schema and no rows, for fitting transformers that only look at the schema.</summary>
internal sealed class EmptyDataView(DataViewSchema schema) : DataViewBase
{
    public override bool CanShuffle => true;

    public override DataViewSchema Schema { get; } = schema;

    public override long? GetRowCount() => 0;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(Schema);

    private sealed class Cursor(DataViewSchema schema) : DataViewRowCursor
    {
        public override long Position => -1;

        public override long Batch => 0;

        public override DataViewSchema Schema { get; } = schema;

        public override bool MoveNext() => false;

        public override bool IsColumnActive(DataViewSchema.Column column) => false;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            throw new InvalidOperationException("An empty data view has no rows to read.");

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            throw new InvalidOperationException("An empty data view has no rows to read.");
    }
}
