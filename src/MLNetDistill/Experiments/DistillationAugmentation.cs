namespace MLNetDistill.Experiments;

/// <summary>
/// What the offline augmentation of a <see cref="DistillationExperiment"/> made (<see cref="DistillationExperimentOptions.Augmentation"/>):
/// the method and its settings, the synthetic rows the teacher labeled, and the teacher's time on them. REPORT.json's <c>augmentation</c>.
/// </summary>
/// <param name="Method">The method: <c>spunge</c>, <c>munge</c> or <c>mixup</c>.</param>
/// <param name="Settings">Each setting by its spec name (<c>factor</c>, <c>max-rows</c>, the method's own, <c>levels</c>, <c>categorical</c> (how many features were treated as categorical), <c>seed</c>).</param>
/// <param name="SyntheticRows">The synthetic rows made and scored by the teacher (once, in batches), added to the distilled students' rows.</param>
/// <param name="TeacherSeconds">Wall-clock seconds spent making and scoring the synthetic rows.</param>
/// <param name="TeacherShare">That time's share of all the teacher's scoring time (training, transfer, test and synthetic rows), in [0, 1].</param>
/// <param name="PlannedRows">The synthetic rows asked for (factor × training rows, at most the cap); more than <paramref name="SyntheticRows"/> only when a time budget stopped the augmentation early.</param>
/// <example>
/// <code language="csharp">
/// if (result.Augmentation is { } a)
/// {
///     Console.WriteLine($"{a.Method}: {a.SyntheticRows:N0} synthetic rows, {a.TeacherShare:P0} of the teacher's {result.TeacherScoring.Seconds:F1} s");
/// }
/// </code>
/// </example>
public sealed record DistillationAugmentation(string Method, IReadOnlyDictionary<string, double> Settings, long SyntheticRows, double TeacherSeconds, double TeacherShare, long PlannedRows = 0)
{
    /// <summary>One sentence for reports: the method and its settings, the synthetic rows and the teacher's time on them.</summary>
    /// <returns>E.g. <c>Augmentation: spunge (factor 5, ...): 5,390 synthetic rows labeled by the teacher in 0.41 s, 62 % of its scoring time.</c></returns>
    public string Describe()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var settings = new System.Text.StringBuilder();
        foreach (var (key, value) in Settings)
        {
            settings.Append(settings.Length == 0 ? "" : ", ").Append(key).Append(' ').Append(value.ToString(c));
        }

        string stopped = PlannedRows > SyntheticRows ? string.Format(c, " (of {0:N0} planned: the time budget stopped it)", PlannedRows) : "";
        return string.Format(c, "Augmentation: {0} ({1}): {2:N0} synthetic rows{3} labeled by the teacher in {4:F2} s, {5:P0} of its scoring time.", Method, settings, SyntheticRows, stopped, TeacherSeconds, TeacherShare);
    }
}
