using MLNetDistill.Data;
using MLNetDistill.Numerics;

namespace MLNetDistill.Students;

/// <summary>Options of <see cref="SoftTargetTrainer{TTransformer}"/>: which columns hold the teacher's prediction, the label and the mixed target.</summary>
/// <remarks>The trainer keeps a copy made when it is built: changing the options afterwards does not change it.</remarks>
public sealed class SoftTargetOptions
{
    /// <summary>
    /// Gets or sets the base trainer's label column, where the target alpha · teacher + (1 − alpha) · label is written
    /// (the original label is read from <see cref="SourceLabelColumnName"/>). Make the base trainer with this label column.
    /// </summary>
    /// <value>Defaults to <c>Target</c> (<see cref="DataColumnNames.Target"/>).</value>
    public string LabelColumnName { get; set; } = DataColumnNames.Target;

    /// <summary>Gets or sets the data's own label column (a Single); rows where it is NaN, or data without it, train on the teacher alone.</summary>
    /// <value>Defaults to <c>Label</c> (<see cref="DataColumnNames.Label"/>).</value>
    public string SourceLabelColumnName { get; set; } = DataColumnNames.Label;

    /// <summary>Gets or sets the regression teacher's prediction column (a Single).</summary>
    /// <value>Defaults to <c>TeacherScore</c> (<see cref="DataColumnNames.TeacherScore"/>), the column <c>ScoreWithTeacher</c> adds for a regression teacher.</value>
    public string TeacherScoreColumnName { get; set; } = DataColumnNames.TeacherScore;

    /// <summary>Gets or sets alpha, the weight of the teacher's prediction against the label. Must be in [0, 1].</summary>
    /// <value>Defaults to 0.5.</value>
    public float Alpha { get; set; } = 0.5f;

    /// <summary>A copy, so that an estimator keeps the options it was built with.</summary>
    internal SoftTargetOptions Clone() => (SoftTargetOptions)MemberwiseClone();

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(LabelColumnName, nameof(LabelColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(SourceLabelColumnName, nameof(SourceLabelColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(TeacherScoreColumnName, nameof(TeacherScoreColumnName));
        SoftLabelMath.CheckAlpha(Alpha, nameof(Alpha));
        if (LabelColumnName == TeacherScoreColumnName)
        {
            throw new ArgumentException(
                $"LabelColumnName and TeacherScoreColumnName are both '{LabelColumnName}'; the mixed target needs its own column (for example '{DataColumnNames.Target}'), or the teacher's prediction would be overwritten.",
                nameof(LabelColumnName));
        }
    }
}
