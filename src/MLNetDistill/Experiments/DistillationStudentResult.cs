using MLNetDistill.Students;

namespace MLNetDistill.Experiments;

/// <summary>One student of a <see cref="DistillationExperiment"/>: the distilled model and, when asked for, its hard-label and pseudo-label twins.</summary>
/// <param name="Name">The student's name (its spec as written, or the estimator's name).</param>
/// <param name="Spec">The parsed spec, or <see langword="null"/> for an estimator student.</param>
/// <param name="Alpha">The weight of the soft labels it was trained with (NaN for an estimator student, whose own options decide).</param>
/// <param name="Distilled">The student trained on the teacher's soft labels.</param>
/// <param name="Baseline">The same student trained on the hard labels alone, or <see langword="null"/>.</param>
public sealed record DistillationStudentResult(string Name, StudentSpec? Spec, float Alpha, DistillationTrainedModel Distilled, DistillationTrainedModel? Baseline)
{
    /// <summary>Gets the spec with its defaults filled in (<c>sdca:iterations=auto</c>), or the name of an estimator student.</summary>
    public string Description => Spec?.ToString() ?? Name;

    /// <summary>Gets the temperature of the soft labels the student was trained on (the experiment's, or its sweep trial's).</summary>
    /// <value>NaN when the result was made without it.</value>
    public float Temperature { get; init; } = float.NaN;

    /// <summary>Gets the same student trained on the teacher's arg-max labels of the rows the distilled student learned from (its pseudo-label twin), when asked for (<see cref="DistillationExperimentOptions.PseudoBaseline"/>).</summary>
    /// <value><see langword="null"/> when not asked for, or for an estimator student made without a hard-label estimator.</value>
    public DistillationTrainedModel? PseudoBaseline { get; init; }

    /// <summary>Gets the student's cascade (the student answers, the teacher takes the rows it is least sure of), with its threshold chosen on held-out training rows and measured on the test rows.</summary>
    /// <value><see langword="null"/> when no cascade was asked for (<see cref="DistillationExperimentOptions.CascadeTarget"/>).</value>
    public DistillationCascade? Cascade { get; init; }
}
