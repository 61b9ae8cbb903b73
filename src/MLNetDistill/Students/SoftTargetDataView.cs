using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Students;

/// <summary>
/// Adds a regression target column alpha * teacher + (1 - alpha) * label (the teacher alone where the label is
/// missing), lazily, for training a regression student on a regression teacher.
/// </summary>
internal sealed class SoftTargetDataView : IDataView
{
    private readonly IDataView _source;
    private readonly string _teacher;
    private readonly string? _label;
    private readonly float _alpha;

    public SoftTargetDataView(IDataView source, string teacherColumn, string labelColumn, string targetColumn, float alpha)
    {
        if (!(alpha >= 0f && alpha <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"Alpha must be in [0, 1] (the weight of the teacher's prediction) but was {alpha}.");
        }

        var teacher = source.Schema.GetColumnOrNull(teacherColumn)
            ?? throw new ArgumentException($"Teacher prediction column '{teacherColumn}' is not in the data. Score it with ScoreWithTeacher(... Task = TeacherTask.Regression).");
        if (teacher.Type != NumberDataViewType.Single)
        {
            throw new ArgumentException($"Teacher prediction column '{teacherColumn}' holds {teacher.Type}; it must be a Single.");
        }

        _source = source;
        _teacher = teacherColumn;
        _label = source.Schema.GetColumnOrNull(labelColumn) is { } l && l.Type == NumberDataViewType.Single && labelColumn != targetColumn ? labelColumn : null;
        _alpha = alpha;
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
        var needed = columnsNeeded.Select(c => _source.Schema.GetColumnOrNull(c.Name)).OfType<DataViewSchema.Column>().ToList();
        needed.Add(_source.Schema[_teacher]);
        if (_label is not null)
        {
            needed.Add(_source.Schema[_label]);
        }

        return new Cursor(this, _source.GetRowCursor(needed));
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(SoftTargetDataView parent, DataViewRowCursor source) : DataViewRowCursor
    {
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

            var teacher = source.GetGetter<float>(source.Schema[parent._teacher]);
            var label = parent._label is { } l ? source.GetGetter<float>(source.Schema[l]) : null;
            float alpha = parent._alpha;
            ValueGetter<float> target = (ref float value) =>
            {
                float t = 0, y = float.NaN;
                teacher(ref t);
                label?.Invoke(ref y);
                value = float.IsNaN(y) ? t : (alpha * t) + ((1 - alpha) * y);
            };
            return (ValueGetter<TValue>)(Delegate)target;
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
