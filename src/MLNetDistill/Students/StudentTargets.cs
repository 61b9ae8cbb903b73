using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Numerics;

namespace MLNetDistill.Students;

/// <summary>The training targets students read: computed columns over the scored data, lazily.</summary>
internal static class StudentTargets
{
    /// <summary>One slot of a vector column (the teacher's logit of one class, for logit matching).</summary>
    public static IDataView Slot(IDataView source, string vectorColumn, int slot, string targetColumn)
    {
        var vector = source.Schema[vectorColumn];
        return new AddedColumnDataView(source, targetColumn, [vector], row =>
        {
            var getter = row.GetGetter<VBuffer<float>>(vector);
            VBuffer<float> buffer = default;
            return (ref float value) =>
            {
                getter(ref buffer);
                value = buffer.GetItemOrDefault(slot);
            };
        });
    }

    /// <summary>alpha * teacher + (1 - alpha) * label, the teacher alone where the label is missing (regression students).</summary>
    public static IDataView Mix(IDataView source, string teacherColumn, string labelColumn, string targetColumn, float alpha)
    {
        Numerics.SoftLabelMath.CheckAlpha(alpha);

        var teacher = source.Schema.GetColumnOrNull(teacherColumn)
            ?? throw new ArgumentException($"Teacher prediction column '{teacherColumn}' is not in the data. Score it with ScoreWithTeacher(... Task = TeacherTask.Regression).");
        if (teacher.Type != NumberDataViewType.Single)
        {
            throw new ArgumentException($"Teacher prediction column '{teacherColumn}' holds {teacher.Type}; it must be a Single.");
        }

        DataViewSchema.Column? label = source.Schema.GetColumnOrNull(labelColumn) is { } l && l.Type == NumberDataViewType.Single && labelColumn != targetColumn ? l : null;
        var inputs = label is { } lc ? new[] { teacher, lc } : [teacher];
        return new AddedColumnDataView(source, targetColumn, inputs, row =>
        {
            var t = row.GetGetter<float>(teacher);
            var y = label is { } lab ? row.GetGetter<float>(lab) : null;
            return (ref float value) =>
            {
                float prediction = 0, truth = float.NaN;
                t(ref prediction);
                y?.Invoke(ref truth);
                value = float.IsNaN(truth) ? prediction : (alpha * prediction) + ((1 - alpha) * truth);
            };
        });
    }
}
