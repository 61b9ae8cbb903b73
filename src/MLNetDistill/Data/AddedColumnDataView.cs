using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>
/// A lazy view of its source plus one Single column computed from each source row, used to hand students their
/// training targets (one slot of the teacher's logits; a teacher/label mix) without copying the data.
/// </summary>
internal sealed class AddedColumnDataView : DataViewBase
{
    private readonly IDataView _source;
    private readonly DataViewSchema.Column[] _inputs;
    private readonly Func<DataViewRow, ValueGetter<float>> _makeGetter;

    /// <param name="source">The source view.</param>
    /// <param name="column">The name of the added column (a source column of that name is replaced).</param>
    /// <param name="inputs">The source columns the value is computed from.</param>
    /// <param name="makeGetter">Makes the getter of the added value from a source cursor on which <paramref name="inputs"/> are active.</param>
    public AddedColumnDataView(IDataView source, string column, IEnumerable<DataViewSchema.Column> inputs, Func<DataViewRow, ValueGetter<float>> makeGetter)
    {
        _source = source;
        _inputs = inputs.ToArray();
        _makeGetter = makeGetter;
        var builder = new DataViewSchema.Builder();
        foreach (var c in source.Schema)
        {
            if (c.Name != column && !c.IsHidden)
            {
                builder.AddColumn(c.Name, c.Type, c.Annotations);
            }
        }

        builder.AddColumn(column, NumberDataViewType.Single);
        Schema = builder.ToSchema();
    }

    public override DataViewSchema Schema { get; }

    public override long? GetRowCount() => _source.GetRowCount();

    protected override DataViewRowCursor GetRowCursorCore(bool[] active)
    {
        var needed = ActiveColumns(active).Select(c => _source.Schema.GetColumnOrNull(c.Name)).OfType<DataViewSchema.Column>().Concat(_inputs).ToList();
        return new Cursor(this, _source.GetRowCursor(needed));
    }

    private sealed class Cursor(AddedColumnDataView parent, DataViewRowCursor source) : DataViewRowCursor
    {
        private int Added => parent.Schema.Count - 1;

        public override long Position => source.Position;

        public override long Batch => source.Batch;

        public override DataViewSchema Schema => parent.Schema;

        public override bool IsColumnActive(DataViewSchema.Column column) => column.Index == Added || source.IsColumnActive(source.Schema[column.Name]);

        public override bool MoveNext() => source.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => source.GetIdGetter();

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => column.Index == Added
            ? (ValueGetter<TValue>)(Delegate)parent._makeGetter(source)
            : source.GetGetter<TValue>(source.Schema[column.Name]);

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
