namespace MLNetDistill.Serving;

/// <summary>Chooses a cascade's threshold on held-out rows (never the test rows) for a <see cref="CascadeTarget"/>.</summary>
public static class CascadeThreshold
{
    /// <summary>
    /// Chooses the threshold: for a share of the teacher's quality, the smallest deferral share that reaches it
    /// (every row deferred, with <see cref="CascadeChoice.TargetMet"/> false, when none does); for a largest deferred
    /// share, the largest share the rows allow at or below it; for costs, the lowest expected cost per row
    /// (the smaller share on a tie).
    /// </summary>
    /// <param name="confidence">The deferral confidence of each held-out row (higher = surer); finite.</param>
    /// <param name="studentPredicted">The student's predicted class of each row.</param>
    /// <param name="teacherPredicted">The teacher's predicted class (arg-max) of each row.</param>
    /// <param name="labels">The true class of each row, or empty when the rows have no labels (quality is then agreement with the teacher).</param>
    /// <param name="target">What to choose for; exactly one way must be given.</param>
    /// <returns>The threshold, the share of the rows it defers, and whether the target was met.</returns>
    public static CascadeChoice Choose(ReadOnlySpan<float> confidence, ReadOnlySpan<int> studentPredicted, ReadOnlySpan<int> teacherPredicted, ReadOnlySpan<int> labels, CascadeTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var kind = target.Validate();
        var curve = CascadeCurve.Build(confidence, studentPredicted, teacherPredicted, labels);
        return kind switch
        {
            CascadeTargetKind.TeacherQuality => ForQuality(curve, target.TeacherQualityShare!.Value),
            CascadeTargetKind.MaxDeferred => ForMaxDeferred(curve, target.MaxDeferredShare!.Value),
            _ => ForLowestCost(curve, target.StudentCostPerRow ?? 0, target.TeacherCostPerRow!.Value, target.ErrorCostPerRow!.Value),
        };
    }

    /// <summary>Whether a row of confidence <paramref name="confidence"/> goes to the teacher at <paramref name="threshold"/>.</summary>
    internal static bool Defers(float confidence, float threshold) => confidence < threshold;

    private static CascadeChoice ForQuality(CascadeCurve curve, double share)
    {
        int n = curve.Rows;
        double needed = share * (curve.Labeled ? curve.CorrectAt(n) : n);
        for (int d = 0; d <= n; d = curve.NextCut(d))
        {
            int quality = curve.Labeled ? curve.CorrectAt(d) : curve.AgreeAt(d);
            if (quality + 1e-9 >= needed)
            {
                return Choice(curve, d, true);
            }
        }

        return Choice(curve, n, false);
    }

    private static CascadeChoice ForMaxDeferred(CascadeCurve curve, double maxShare)
    {
        int n = curve.Rows;
        int best = 0;
        for (int d = 0; d <= n && d <= (maxShare * n) + 1e-9; d = curve.NextCut(d))
        {
            best = d;
        }

        return Choice(curve, best, true);
    }

    private static CascadeChoice ForLowestCost(CascadeCurve curve, double student, double teacher, double error)
    {
        int n = curve.Rows;
        int best = 0;
        double bestCost = double.PositiveInfinity;
        for (int d = 0; d <= n; d = curve.NextCut(d))
        {
            int wrong = n - (curve.Labeled ? curve.CorrectAt(d) : curve.AgreeAt(d));
            double cost = student + (teacher * d / n) + (error * wrong / n);
            if (cost < bestCost - 1e-12)
            {
                bestCost = cost;
                best = d;
            }
        }

        return Choice(curve, best, true);
    }

    private static CascadeChoice Choice(CascadeCurve curve, int deferred, bool met) =>
        new(curve.ThresholdFor(deferred), (double)deferred / curve.Rows, met);
}
