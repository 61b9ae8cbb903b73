using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Onnx;

namespace MLNetDistill.Teachers;

/// <summary>
/// The lazy output of <see cref="TeacherScoringTransformer"/>: the input columns plus the teacher's columns,
/// computed batch by batch as a cursor moves, so data larger than memory streams through.
/// </summary>
internal sealed class TeacherScoredDataView : DataViewBase
{
    public TeacherScoredDataView(TeacherScoringTransformer parent, IDataView source)
    {
        Parent = parent;
        Source = source;
        Schema = parent.GetOutputSchema(source.Schema);
    }

    public TeacherScoringTransformer Parent { get; }

    public IDataView Source { get; }

    public override DataViewSchema Schema { get; }

    public override long? GetRowCount() => Parent.Options.SkipInvalidRows ? null : Source.GetRowCount();

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) =>
        Parent.Text is null ? new TeacherScoringCursor(this, active) : new TextTeacherScoringCursor(this, active);
}
