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
/// <example>
/// <code language="csharp">
/// if (result.Augmentation is { } a)
/// {
///     Console.WriteLine($"{a.Method}: {a.SyntheticRows:N0} synthetic rows, {a.TeacherShare:P0} of the teacher's {result.TeacherScoring.Seconds:F1} s");
/// }
/// </code>
/// </example>
public sealed record DistillationAugmentation(string Method, IReadOnlyDictionary<string, double> Settings, long SyntheticRows, double TeacherSeconds, double TeacherShare);
