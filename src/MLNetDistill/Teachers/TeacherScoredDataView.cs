using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Onnx;

namespace MLNetDistill.Teachers;

/// <summary>
/// The lazy output of <see cref="TeacherScoringTransformer"/>: the input columns plus the teacher's columns,
/// computed batch by batch as a cursor moves, so data larger than memory streams through.
/// </summary>
internal sealed class TeacherScoredDataView : IDataView
{
    public TeacherScoredDataView(TeacherScoringTransformer parent, IDataView source)
    {
        Parent = parent;
        Source = source;
        Schema = parent.GetOutputSchema(source.Schema);
    }

    public TeacherScoringTransformer Parent { get; }

    public IDataView Source { get; }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => Parent.Options.SkipInvalidRows ? null : Source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var active = new bool[Schema.Count];
        foreach (var column in columnsNeeded)
        {
            active[column.Index] = true;
        }

        return new TeacherScoringCursor(this, active);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}
