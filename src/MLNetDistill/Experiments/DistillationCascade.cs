using MLNetDistill.Serving;

namespace MLNetDistill.Experiments;

/// <summary>
/// One student's cascade in a <see cref="DistillationExperiment"/>: the student answers, and the teacher takes the rows the
/// student is least sure of. The threshold is chosen on training rows held out from the student
/// (<see cref="DistillationExperimentOptions.CascadeHoldoutFraction"/>), never on the test rows; every other figure is
/// measured on the test rows with that threshold.
/// </summary>
/// <param name="Rule">How the student's probabilities became its confidence.</param>
/// <param name="Threshold">The confidence below which a row goes to the teacher (chosen on the held-out rows).</param>
/// <param name="DeferredShare">The share of the test rows the threshold sends to the teacher.</param>
/// <param name="Accuracy">The cascade's accuracy on the test rows, or <see langword="null"/> when they have no labels.</param>
/// <param name="Agreement">The cascade's agreement with the teacher's arg-max on the test rows (a deferred row agrees).</param>
/// <param name="TargetMet">Whether the target was met on the held-out rows; when not, every row is deferred (the teacher alone).</param>
/// <param name="HeldOutDeferredShare">The share of the held-out rows the threshold defers: what the target needed there.</param>
/// <param name="HeldOutRows">The held-out training rows the threshold was chosen on (with the learned rule, the odd half: the even half trained it).</param>
/// <param name="Curve">
/// The cascade on the test rows at deferred shares 0, 5 %, ..., 100 % (the least confident rows first), with the point of
/// the chosen threshold among them in order: 0 % is the student alone, 100 % the teacher alone.
/// </param>
public sealed record DistillationCascade(DeferralRule Rule, float Threshold, double DeferredShare, double? Accuracy, double Agreement, bool TargetMet,
    double HeldOutDeferredShare, long HeldOutRows, IReadOnlyList<CascadePoint> Curve)
{
    /// <summary>Gets the teacher's calls per 1,000 test rows at the chosen threshold: <see cref="DeferredShare"/> × 1,000.</summary>
    public double TeacherCallsPer1000 => DeferredShare * 1000;

    /// <summary>Gets the curve of each rule the experiment measures (top probability, margin, entropy, and the learned rule trained on the even held-out rows) on the same test rows, at the same 21 deferred shares, to compare the rules.</summary>
    /// <value>Defaults to empty.</value>
    public IReadOnlyDictionary<DeferralRule, IReadOnlyList<CascadePoint>> RuleCurves { get; init; } = new Dictionary<DeferralRule, IReadOnlyList<CascadePoint>>();

    /// <summary>The time to answer 1,000 rows one at a time through the cascade: the student on every row, the teacher on the deferred share.</summary>
    /// <param name="studentMicroseconds">The student's single-row latency (p50), in µs.</param>
    /// <param name="teacherMicroseconds">The teacher's single-row latency (p50), in µs.</param>
    /// <returns>Milliseconds per 1,000 rows, or <see langword="null"/> when either latency is unknown (NaN, negative or null).</returns>
    public double? CostPer1000(double? studentMicroseconds, double? teacherMicroseconds) =>
        studentMicroseconds is double s && teacherMicroseconds is double t && double.IsFinite(s) && double.IsFinite(t) && s >= 0 && t >= 0
            ? Math.Round(s + DeferredShare * t, 3) // µs per row × 1,000 rows = ms per 1,000 rows
            : null;
}
