using MLNetDistill.Data;

namespace MLNetDistill.Evaluation;

/// <summary>Options of the binary distillation evaluator (<c>mlContext.BinaryClassification.EvaluateDistillation</c>): which columns to read.</summary>
/// <remarks>The evaluator reads a copy made when it is called.</remarks>
/// <example>
/// <code language="csharp">
/// var options = new BinaryDistillationEvaluationOptions { LabelColumnName = "IsSpam" };
/// BinaryDistillationQuality quality = mlContext.BinaryClassification.EvaluateDistillation(student.Transform(scoredTest), options);
/// </code>
/// </example>
public sealed class BinaryDistillationEvaluationOptions
{
    /// <summary>Gets or sets the student's probability of the positive class (Single in [0, 1]); a row is predicted positive when it is above 0.5.</summary>
    /// <value>Defaults to <c>Probability</c>, what ML.NET's calibrated binary trainers write.</value>
    public string ProbabilityColumnName { get; set; } = "Probability";

    /// <summary>Gets or sets the teacher's probabilities: a vector of 2 (negative, positive; what the teacher scorer writes for a binary teacher) or a Single, the positive class's; <see langword="null"/> without a teacher.</summary>
    /// <value>Defaults to <c>SoftLabels</c> (<see cref="DataColumnNames.SoftLabels"/>).</value>
    public string? TeacherColumnName { get; set; } = DataColumnNames.SoftLabels;

    /// <summary>Gets or sets the label (bool, key or number: above 0.5 is positive, NaN is missing), or <see langword="null"/>.</summary>
    /// <value>Defaults to <c>Label</c> (<see cref="DataColumnNames.Label"/>). When the column is absent the label metrics are NaN.</value>
    public string? LabelColumnName { get; set; } = DataColumnNames.Label;

    /// <summary>A checked copy.</summary>
    internal BinaryDistillationEvaluationOptions Validated()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ProbabilityColumnName, nameof(ProbabilityColumnName));
        return (BinaryDistillationEvaluationOptions)MemberwiseClone();
    }
}
