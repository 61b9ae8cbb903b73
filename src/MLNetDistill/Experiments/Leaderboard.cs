using System.Globalization;

namespace MLNetDistill.Experiments;

/// <summary>
/// The students of a <see cref="StudentSizeExperiment"/> side by side: each one's quality and cost, the Pareto front
/// (quality against cost) and the pick, the lowest-cost student whose accuracy is within a tolerance of the teacher's.
/// </summary>
/// <remarks>
/// <para>Quality is accuracy; when the test rows have no labels (every accuracy NaN) it is agreement with the teacher, and
/// <see cref="QualityMetric"/> says so. Entries whose cost is unknown on the axis (NaN) are on no front and never picked.</para>
/// <para>The pick needs accuracy ≥ teacher accuracy × (1 − tolerance); ties in cost go to the more accurate student, then the earlier one.</para>
/// </remarks>
/// <example>
/// <code language="csharp">
/// var board = Leaderboard.Create(entries, LeaderboardCostAxis.Size, teacherAccuracy: 0.85, accuracyTolerance: 0.02);
/// Console.WriteLine(board.Chosen?.Name ?? board.Choice);
/// </code>
/// </example>
public sealed class Leaderboard
{
    private Leaderboard(IReadOnlyList<LeaderboardEntry> entries, LeaderboardCostAxis costAxis, string qualityMetric, double teacherAccuracy, double? teacherCost,
        double accuracyTolerance, LeaderboardEntry? chosen, string choice, IReadOnlyList<string> skipped, LeaderboardTeacherCost? teacherCostDetail)
    {
        TeacherCostDetail = teacherCostDetail;
        Entries = entries;
        CostAxis = costAxis;
        QualityMetric = qualityMetric;
        TeacherAccuracy = teacherAccuracy;
        TeacherCost = teacherCost;
        AccuracyTolerance = accuracyTolerance;
        Chosen = chosen;
        Choice = choice;
        Skipped = skipped;
    }

    /// <summary>Gets the entries, in the order the students were given, with <see cref="LeaderboardEntry.Pareto"/> and <see cref="LeaderboardEntry.Chosen"/> set.</summary>
    public IReadOnlyList<LeaderboardEntry> Entries { get; }

    /// <summary>Gets the cost axis.</summary>
    public LeaderboardCostAxis CostAxis { get; }

    /// <summary>Gets the quality the front is drawn on: <c>accuracy</c>, or <c>agreement</c> when the test rows have no labels.</summary>
    public string QualityMetric { get; }

    /// <summary>Gets the teacher's accuracy on the same test rows (NaN when unknown).</summary>
    public double TeacherAccuracy { get; }

    /// <summary>Gets the teacher's cost on the same axis (its ONNX file's bytes, its parameter count, or its single-row p50 latency in µs through ML.NET), or <see langword="null"/> when unknown.</summary>
    public double? TeacherCost { get; }

    /// <summary>Gets what the teacher costs to serve in both forms (ML.NET and its <c>.onnx</c> in ONNX Runtime: latency p50/p99, throughput), measured on the students' test rows; the base of <see cref="LeaderboardEntry.LatencySpeedUp"/>.</summary>
    /// <value><see langword="null"/> when latency was not measured (<see cref="StudentSizeExperimentOptions.MeasureLatency"/> is false, or no student was trained) or the board was made without it.</value>
    public LeaderboardTeacherCost? TeacherCostDetail { get; }

    /// <summary>Gets the share of the teacher's accuracy a student may lose and still be picked (0.02: within 2 %).</summary>
    public double AccuracyTolerance { get; }

    /// <summary>Gets the pick, or <see langword="null"/> when no student is close enough to the teacher (<see cref="Choice"/> says why).</summary>
    public LeaderboardEntry? Chosen { get; }

    /// <summary>Gets a sentence on the pick: which student and why, or why none.</summary>
    public string Choice { get; }

    /// <summary>Gets the students not trained because the time budget ran out.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>Ranks trial results: marks the Pareto front and the pick. A pure function of its inputs.</summary>
    /// <param name="entries">The trials (their <see cref="LeaderboardEntry.Pareto"/> and <see cref="LeaderboardEntry.Chosen"/> are ignored and recomputed).</param>
    /// <param name="costAxis">The axis the entries' <see cref="LeaderboardEntry.Cost"/> is on.</param>
    /// <param name="teacherAccuracy">The teacher's accuracy on the same test rows (NaN when unknown: no pick).</param>
    /// <param name="accuracyTolerance">The share of the teacher's accuracy a pick may lose, in [0, 1): 0.02 for "within 2 %".</param>
    /// <param name="teacherCost">The teacher's cost on the axis, for reports, or <see langword="null"/>.</param>
    /// <param name="skipped">Students left untrained by the time budget, or <see langword="null"/>.</param>
    /// <param name="teacherCostDetail">The teacher's serving cost, the base of each entry's <see cref="LeaderboardEntry.LatencySpeedUp"/> and <see cref="LeaderboardEntry.SizeReduction"/>, or <see langword="null"/>.</param>
    /// <returns>The leaderboard.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The tolerance is outside [0, 1).</exception>
    public static Leaderboard Create(IEnumerable<LeaderboardEntry> entries, LeaderboardCostAxis costAxis, double teacherAccuracy, double accuracyTolerance,
        double? teacherCost = null, IEnumerable<string>? skipped = null, LeaderboardTeacherCost? teacherCostDetail = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        StudentSizeExperimentOptions.CheckTolerance(accuracyTolerance, nameof(accuracyTolerance));
        var list = entries.ToList();
        bool labeled = list.Any(e => !double.IsNaN(e.Accuracy));
        string metric = labeled || list.Count == 0 ? "accuracy" : "agreement";
        double[] quality = [.. list.Select(e => labeled ? e.Accuracy : e.Agreement)];
        double[] cost = [.. list.Select(e => e.Cost)];
        bool[] front = ParetoFront(quality, cost);
        int pick = Pick(list, teacherAccuracy, accuracyTolerance);
        double teacherP50 = teacherCostDetail?.LatencyP50Microseconds ?? double.NaN;
        double teacherBytes = teacherCostDetail is { ModelBytes: > 0 } detail ? detail.ModelBytes
            : costAxis == LeaderboardCostAxis.Size && teacherCost is double bytes ? bytes : double.NaN;
        var ranked = list.Select((e, i) => e with
        {
            Pareto = front[i],
            Chosen = i == pick,
            RetainedAccuracy = e.Accuracy / teacherAccuracy,
            LatencySpeedUp = teacherP50 / e.LatencyP50Microseconds,
            SizeReduction = e.ModelBytes > 0 ? teacherBytes / e.ModelBytes : double.NaN,
        }).ToList();
        var chosen = pick >= 0 ? ranked[pick] : null;
        string[] skippedList = [.. skipped ?? []];
        return new Leaderboard(ranked, costAxis, metric, teacherAccuracy, teacherCost, accuracyTolerance, chosen,
            Explain(ranked, chosen, costAxis, teacherAccuracy, accuracyTolerance, skippedList), skippedList, teacherCostDetail);
    }

    /// <summary>Which points are on the Pareto front: no other point has quality ≥ and cost ≤ with one strict. NaN points are on none.</summary>
    /// <param name="quality">Higher is better.</param>
    /// <param name="cost">Lower is better.</param>
    /// <returns>One flag per point.</returns>
    internal static bool[] ParetoFront(IReadOnlyList<double> quality, IReadOnlyList<double> cost)
    {
        var front = new bool[quality.Count];
        for (int i = 0; i < front.Length; i++)
        {
            if (double.IsNaN(quality[i]) || double.IsNaN(cost[i]))
            {
                continue;
            }

            front[i] = true;
            for (int j = 0; j < front.Length && front[i]; j++)
            {
                if (j != i && !double.IsNaN(quality[j]) && !double.IsNaN(cost[j]) && quality[j] >= quality[i] && cost[j] <= cost[i]
                    && (quality[j] > quality[i] || cost[j] < cost[i]))
                {
                    front[i] = false;
                }
            }
        }

        return front;
    }

    private static int Pick(IReadOnlyList<LeaderboardEntry> entries, double teacherAccuracy, double tolerance)
    {
        if (double.IsNaN(teacherAccuracy))
        {
            return -1;
        }

        double bar = teacherAccuracy * (1 - tolerance);
        int best = -1;
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (double.IsNaN(e.Cost) || !(e.Accuracy >= bar))
            {
                continue;
            }

            if (best < 0 || e.Cost < entries[best].Cost || (e.Cost == entries[best].Cost && e.Accuracy > entries[best].Accuracy))
            {
                best = i;
            }
        }

        return best;
    }

    private static string Explain(IReadOnlyList<LeaderboardEntry> entries, LeaderboardEntry? chosen, LeaderboardCostAxis axis, double teacherAccuracy, double tolerance,
        IReadOnlyList<string> skipped)
    {
        var c = CultureInfo.InvariantCulture;
        string within = (tolerance * 100).ToString("0.##", c) + " %";
        if (entries.Count == 0)
        {
            return skipped.Count > 0
                ? $"No student was trained, so none is picked: the time budget ran out before the first one ({string.Join(", ", skipped)} skipped). Give a larger time budget: teacher scoring counts, and one trial needs a few seconds or more."
                : "No student was trained, so none is picked.";
        }

        if (double.IsNaN(teacherAccuracy))
        {
            return "No pick: the teacher's accuracy on the test rows is unknown (rows without labels, or no teacher outputs), so no student can be measured against it.";
        }

        double bar = teacherAccuracy * (1 - tolerance);
        if (chosen is not null)
        {
            return string.Format(c, "{0}: the lowest {1} among the students within {2} of the teacher's accuracy {3:F4} (accuracy {4:F4} ≥ {5:F4}).",
                chosen.Name, AxisName(axis), within, teacherAccuracy, chosen.Accuracy, bar);
        }

        var best = entries.Where(e => !double.IsNaN(e.Accuracy)).OrderByDescending(e => e.Accuracy).FirstOrDefault();
        return best is null
            ? "No pick: no student has a measured accuracy."
            : string.Format(c, "No pick: no student with a known {0} is within {1} of the teacher's accuracy {2:F4} (needs ≥ {3:F4}; the best is {4} at {5:F4}). Try larger students or a wider tolerance.",
                AxisName(axis), within, teacherAccuracy, bar, best.Name, best.Accuracy);
    }

    /// <summary>The axis in words: <c>size</c>, <c>parameter count</c>, <c>latency</c>.</summary>
    internal static string AxisName(LeaderboardCostAxis axis) => axis switch
    {
        LeaderboardCostAxis.Parameters => "parameter count",
        LeaderboardCostAxis.Latency => "latency",
        _ => "size",
    };
}
