using System.Globalization;

namespace MLNetDistill.Serving;

/// <summary>
/// What a cascade's threshold is chosen for, on held-out rows (never the test rows). Give exactly one way:
/// a share of the teacher's quality (<see cref="TeacherQualityShare"/>), the largest share of rows the teacher may
/// take (<see cref="MaxDeferredShare"/>), or per-row costs for the lowest expected cost
/// (<see cref="TeacherCostPerRow"/> with <see cref="ErrorCostPerRow"/>, and optionally <see cref="StudentCostPerRow"/>).
/// </summary>
/// <remarks>The cascade keeps a copy made when it is built: changing the target afterwards does not change it.</remarks>
public sealed class CascadeTarget
{
    /// <summary>
    /// Gets or sets the share of the teacher's accuracy the cascade must reach (0.99 = 99 %), or of its agreement
    /// with the teacher when the rows have no labels. The smallest deferral share that reaches it is chosen.
    /// Must be positive and finite; above 1 asks the cascade to beat the teacher, which it may not reach.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public double? TeacherQualityShare { get; set; }

    /// <summary>
    /// Gets or sets the largest share of rows the teacher may take, in [0, 1]. The largest deferral share
    /// the held-out rows allow at or below it is chosen.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public double? MaxDeferredShare { get; set; }

    /// <summary>
    /// Gets or sets the cost of running the student on one row (seconds, or money), for the lowest-expected-cost
    /// choice. The student runs on every row, so this does not move the choice; it is counted in the expected cost.
    /// Must be 0 or more.
    /// </summary>
    /// <value>Defaults to <see langword="null"/> (0 when the costs are used).</value>
    public double? StudentCostPerRow { get; set; }

    /// <summary>
    /// Gets or sets the cost of one teacher call on one row, in the same unit as <see cref="ErrorCostPerRow"/>.
    /// The lowest expected cost per row, student + deferred share x teacher + error rate x error, is chosen. Must be 0 or more.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public double? TeacherCostPerRow { get; set; }

    /// <summary>
    /// Gets or sets the cost of one wrong answer (against the label, or against the teacher when the rows have no
    /// labels), for the lowest-expected-cost choice. Needed with <see cref="TeacherCostPerRow"/>: without a price on a
    /// wrong answer the cheapest cascade is always the student alone. Must be 0 or more.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public double? ErrorCostPerRow { get; set; }

    /// <summary>Which way the target is given, after checking that exactly one is.</summary>
    internal CascadeTargetKind Validate()
    {
        bool costs = StudentCostPerRow.HasValue || TeacherCostPerRow.HasValue || ErrorCostPerRow.HasValue;
        int ways = (TeacherQualityShare.HasValue ? 1 : 0) + (MaxDeferredShare.HasValue ? 1 : 0) + (costs ? 1 : 0);
        if (ways != 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"A cascade target needs exactly one way to choose the threshold but {(ways == 0 ? "none was" : $"{ways} were")} given ({Describe()}). Set {nameof(TeacherQualityShare)} (e.g. 0.99), or {nameof(MaxDeferredShare)} (e.g. 0.2), or {nameof(TeacherCostPerRow)} with {nameof(ErrorCostPerRow)}."));
        }

        if (TeacherQualityShare is double quality)
        {
            if (!(quality > 0) || double.IsInfinity(quality))
            {
                throw new ArgumentOutOfRangeException(nameof(TeacherQualityShare), quality,
                    $"{nameof(TeacherQualityShare)} must be a positive share of the teacher's quality (0.99 = 99 %).");
            }

            return CascadeTargetKind.TeacherQuality;
        }

        if (MaxDeferredShare is double share)
        {
            if (!(share >= 0 && share <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(MaxDeferredShare), share,
                    $"{nameof(MaxDeferredShare)} must be a share of rows in [0, 1] (0.2 = 20 %).");
            }

            return CascadeTargetKind.MaxDeferred;
        }

        if (TeacherCostPerRow is null || ErrorCostPerRow is null)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The lowest-cost target needs both {nameof(TeacherCostPerRow)} and {nameof(ErrorCostPerRow)} ({Describe()}): without a price on a wrong answer the cheapest cascade is always the student alone."));
        }

        CheckCost(StudentCostPerRow ?? 0, nameof(StudentCostPerRow));
        CheckCost(TeacherCostPerRow.Value, nameof(TeacherCostPerRow));
        CheckCost(ErrorCostPerRow.Value, nameof(ErrorCostPerRow));
        return CascadeTargetKind.LowestCost;
    }

    /// <summary>A copy, so that later changes to this target do not reach a built cascade.</summary>
    internal CascadeTarget Clone() => (CascadeTarget)MemberwiseClone();

    private static void CheckCost(double cost, string name)
    {
        if (!(cost >= 0) || double.IsInfinity(cost))
        {
            throw new ArgumentOutOfRangeException(name, cost, $"{name} must be a finite cost of 0 or more.");
        }
    }

    private string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{nameof(TeacherQualityShare)} = {Show(TeacherQualityShare)}, {nameof(MaxDeferredShare)} = {Show(MaxDeferredShare)}, {nameof(StudentCostPerRow)} = {Show(StudentCostPerRow)}, {nameof(TeacherCostPerRow)} = {Show(TeacherCostPerRow)}, {nameof(ErrorCostPerRow)} = {Show(ErrorCostPerRow)}");

    private static string Show(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "null";
}
