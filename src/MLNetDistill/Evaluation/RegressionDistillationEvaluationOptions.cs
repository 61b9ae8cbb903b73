using MLNetDistill.Data;

namespace MLNetDistill.Evaluation;

/// <summary>Options of the regression distillation evaluator (<c>mlContext.Regression.EvaluateDistillation</c>): which columns to read.</summary>
/// <remarks>The evaluator reads a copy made when it is called.</remarks>
/// <example>
/// <code language="csharp">
/// var options = new RegressionDistillationEvaluationOptions { LabelColumnName = "Price" };
/// RegressionDistillationQuality quality = mlContext.Regression.EvaluateDistillation(student.Transform(scoredTest), options);
/// </code>
/// </example>
public sealed class RegressionDistillationEvaluationOptions
{
    /// <summary>Gets or sets the student's prediction (Single).</summary>
    /// <value>Defaults to <c>Score</c> (<see cref="DataColumnNames.Score"/>), what ML.NET's regression trainers write.</value>
    public string ScoreColumnName { get; set; } = DataColumnNames.Score;

    /// <summary>Gets or sets the teacher's prediction (Single), or <see langword="null"/> without a teacher.</summary>
    /// <value>Defaults to <c>TeacherScore</c> (<see cref="DataColumnNames.TeacherScore"/>), what the teacher scorer writes for a regression teacher.</value>
    public string? TeacherColumnName { get; set; } = DataColumnNames.TeacherScore;

    /// <summary>Gets or sets the target (a number; NaN is missing), or <see langword="null"/>.</summary>
    /// <value>Defaults to <c>Label</c> (<see cref="DataColumnNames.Label"/>). When the column is absent the label metrics are NaN.</value>
    public string? LabelColumnName { get; set; } = DataColumnNames.Label;

    /// <summary>A checked copy.</summary>
    internal RegressionDistillationEvaluationOptions Validated()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ScoreColumnName, nameof(ScoreColumnName));
        return (RegressionDistillationEvaluationOptions)MemberwiseClone();
    }
}
