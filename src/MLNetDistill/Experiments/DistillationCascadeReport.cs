using MLNetDistill.Serving;

namespace MLNetDistill.Experiments;

/// <summary>
/// A student's cascade as REPORT.json (<c>cascade</c>) and leaderboard.json write it (camelCase): the rule, the threshold chosen
/// on held-out training rows, and on the test rows the share deferred to the teacher, the accuracy and agreement, the
/// teacher's calls and the serving cost per 1,000 rows, and the curve from 0 % to 100 % deferred.
/// </summary>
/// <param name="Rule">The deferral rule: <c>topProbability</c>, <c>margin</c>, <c>entropy</c> or <c>learned</c>.</param>
/// <param name="Threshold">The confidence below which a row is deferred.</param>
/// <param name="DeferredShare">The share of the test rows deferred at the threshold.</param>
/// <param name="Accuracy">The cascade's test accuracy, or <see langword="null"/> without labels.</param>
/// <param name="Agreement">The cascade's agreement with the teacher on the test rows.</param>
/// <param name="TeacherCallsPer1000">Teacher calls per 1,000 rows.</param>
/// <param name="CostPer1000">Milliseconds to serve 1,000 rows one at a time (single-row p50 latencies through ML.NET: the student on every row, the teacher on the deferred ones), or <see langword="null"/> when the latencies were not measured.</param>
/// <param name="Curve">The cascade on the test rows at deferred shares 0, 5 %, ..., 100 %, with the chosen threshold's point among them.</param>
public sealed record DistillationCascadeReport(string Rule, float Threshold, double DeferredShare, double? Accuracy, double Agreement, double TeacherCallsPer1000,
    double? CostPer1000, IReadOnlyList<CascadePoint> Curve)
{
    /// <summary>Gets whether the target was met on the held-out rows (when not, every row is deferred).</summary>
    public bool TargetMet { get; init; }

    /// <summary>Gets the share of the held-out training rows the threshold defers.</summary>
    public double HeldOutDeferredShare { get; init; }

    /// <summary>Gets the held-out training rows the threshold was chosen on.</summary>
    public long HeldOutRows { get; init; }

    /// <summary>Gets the curve of every rule measured (<c>topProbability</c>, <c>margin</c>, <c>entropy</c>, <c>learned</c>) on the same test rows.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<CascadePoint>> RuleCurves { get; init; } = new Dictionary<string, IReadOnlyList<CascadePoint>>();

    /// <summary>The report of a cascade.</summary>
    /// <param name="cascade">The student's cascade.</param>
    /// <param name="studentMicroseconds">The student's single-row p50 latency in µs, or <see langword="null"/> when not measured.</param>
    /// <param name="teacherMicroseconds">The teacher's single-row p50 latency in µs, or <see langword="null"/> when not measured.</param>
    /// <returns>The report.</returns>
    public static DistillationCascadeReport From(DistillationCascade cascade, double? studentMicroseconds = null, double? teacherMicroseconds = null)
    {
        ArgumentNullException.ThrowIfNull(cascade);
        return new DistillationCascadeReport(RuleName(cascade.Rule), cascade.Threshold, cascade.DeferredShare, cascade.Accuracy, cascade.Agreement,
            Math.Round(cascade.TeacherCallsPer1000, 3), cascade.CostPer1000(studentMicroseconds, teacherMicroseconds), cascade.Curve)
        {
            TargetMet = cascade.TargetMet,
            HeldOutDeferredShare = cascade.HeldOutDeferredShare,
            HeldOutRows = cascade.HeldOutRows,
            RuleCurves = cascade.RuleCurves.ToDictionary(p => RuleName(p.Key), p => p.Value),
        };
    }

    /// <summary>A rule as the reports name it: <c>topProbability</c>, <c>margin</c>, <c>entropy</c>, <c>learned</c>.</summary>
    internal static string RuleName(DeferralRule rule)
    {
        string name = rule.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }
}
