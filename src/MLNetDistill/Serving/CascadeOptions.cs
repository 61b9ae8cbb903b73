using System.Globalization;
using MLNetDistill.Data;

namespace MLNetDistill.Serving;

/// <summary>Options of <see cref="CascadeEstimator"/>: the deferral rule, the target its threshold is chosen for, and the columns.</summary>
/// <remarks>The estimator keeps a copy made when it is built: changing the options afterwards does not change it.</remarks>
public sealed class CascadeOptions
{
    /// <summary>Gets or sets how the student's probabilities of a row become its confidence.</summary>
    /// <value>Defaults to <see cref="DeferralRule.TopProbability"/>.</value>
    public DeferralRule Rule { get; set; } = DeferralRule.TopProbability;

    /// <summary>Gets or sets what the threshold is chosen for, on the rows the estimator is fitted on (held-out rows, never the test rows).</summary>
    /// <value>Defaults to 99 % of the teacher's accuracy (<see cref="CascadeTarget.TeacherQualityShare"/> = 0.99).</value>
    public CascadeTarget Target { get; set; } = new() { TeacherQualityShare = 0.99 };

    /// <summary>Gets or sets the student's column of class probabilities (a vector of K), read for the confidence and replaced by the cascade's.</summary>
    /// <value>Defaults to <c>Score</c> (<see cref="DataColumnNames.Score"/>).</value>
    public string ScoreColumnName { get; set; } = DataColumnNames.Score;

    /// <summary>Gets or sets the label column read when fitting; when the rows have none (or some are missing), the target is measured as agreement with the teacher.</summary>
    /// <value>Defaults to <c>Label</c> (<see cref="DataColumnNames.Label"/>); <see langword="null"/> fits on agreement with the teacher.</value>
    public string? LabelColumnName { get; set; } = DataColumnNames.Label;

    /// <summary>Gets or sets the number of rows the transformer reads ahead: their deferred rows go to the teacher in one call. Must be positive.</summary>
    /// <value>Defaults to 256.</value>
    public int BatchSize { get; set; } = 256;

    /// <summary>A checked copy.</summary>
    internal CascadeOptions Validated()
    {
        if (!Enum.IsDefined(Rule))
        {
            throw new ArgumentOutOfRangeException(nameof(Rule), Rule, $"Unknown deferral rule; expected one of {string.Join(", ", Enum.GetNames<DeferralRule>())}.");
        }

        ArgumentNullException.ThrowIfNull(Target, nameof(Target));
        var target = Target.Clone();
        target.Validate();
        if (string.IsNullOrWhiteSpace(ScoreColumnName))
        {
            throw new ArgumentException($"{nameof(ScoreColumnName)} is empty; name the student's probability column (usually Score).", nameof(ScoreColumnName));
        }

        if (BatchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, string.Create(CultureInfo.InvariantCulture, $"{nameof(BatchSize)} must be a positive number of rows (256 is a good start)."));
        }

        return new CascadeOptions { Rule = Rule, Target = target, ScoreColumnName = ScoreColumnName, LabelColumnName = LabelColumnName, BatchSize = BatchSize };
    }
}
