using Microsoft.ML;
using MLNetDistill.Students;

namespace MLNetDistill.Experiments;

/// <summary>
/// A student a <see cref="DistillationExperiment"/> trains: a spec string parsed by the student registry
/// (<see cref="FromSpec"/>), or any estimator of your own (<see cref="FromEstimator"/>).
/// </summary>
/// <example>
/// <code language="csharp">
/// options.Students.Add(DistillationStudent.FromSpec("lightgbm:trees=100"));
/// options.Students.Add(DistillationStudent.FromEstimator("sdca (mine)",
///     mlContext.MulticlassClassification.Trainers.SoftLabel(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy(exampleWeightColumnName: "Weight"))));
/// </code>
/// </example>
public sealed class DistillationStudent
{
    private DistillationStudent(string name, StudentSpec? spec, IEstimator<ITransformer>? estimator, IEstimator<ITransformer>? hardLabelEstimator, bool scoresAreLogits)
    {
        Name = name;
        Spec = spec;
        Estimator = estimator;
        HardLabelEstimator = hardLabelEstimator;
        ScoresAreLogits = scoresAreLogits;
    }

    /// <summary>Gets the student's name in results and reports: the spec as written, or the name given with the estimator.</summary>
    public string Name { get; }

    /// <summary>Gets the parsed spec, or <see langword="null"/> for an estimator student.</summary>
    public StudentSpec? Spec { get; }

    internal IEstimator<ITransformer>? Estimator { get; }

    internal IEstimator<ITransformer>? HardLabelEstimator { get; }

    internal bool ScoresAreLogits { get; }

    /// <summary>Gets the temperature this trial's soft labels are made at, or <see langword="null"/> for the experiment's (a sweep's trial sets it).</summary>
    internal float? Temperature { get; private init; }

    /// <summary>Gets the weight of the soft labels this trial uses, or <see langword="null"/> for the experiment's (a sweep's trial sets it).</summary>
    internal float? Alpha { get; private init; }

    /// <summary>A student described by a spec such as <c>sdca</c>, <c>lightgbm:trees=100</c> or <c>mlp:128</c>.</summary>
    /// <param name="spec">The spec; parsed now, so a bad one fails here (the message lists the families and their options).</param>
    /// <returns>The student.</returns>
    /// <exception cref="ArgumentException">The spec is not valid.</exception>
    public static DistillationStudent FromSpec(string spec) => new(spec?.Trim() ?? "", StudentSpec.Parse(spec!), null, null, false);

    /// <summary>A student of your own: any estimator that reads the teacher-scored columns (<c>SoftLabels</c>, <c>TeacherLogits</c>, <c>Label</c>, <c>Features</c>).</summary>
    /// <param name="name">The student's name in results and reports.</param>
    /// <param name="estimator">The trainer; its model must add <c>Score</c> (K probabilities, or logits with <paramref name="scoresAreLogits"/>).</param>
    /// <param name="hardLabelEstimator">The twin trained on hard labels when baselines are asked for, or <see langword="null"/> for none.</param>
    /// <param name="scoresAreLogits">Whether the model's <c>Score</c> holds logits rather than probabilities.</param>
    /// <returns>The student.</returns>
    public static DistillationStudent FromEstimator(string name, IEstimator<ITransformer> estimator, IEstimator<ITransformer>? hardLabelEstimator = null, bool scoresAreLogits = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(estimator);
        return new(name, null, estimator, hardLabelEstimator, scoresAreLogits);
    }

    /// <summary>The same student as one trial of a sweep: another name, its own temperature and alpha (null keeps the experiment's).</summary>
    internal DistillationStudent ForTrial(string name, float? temperature, float? alpha) =>
        new(name, Spec, Estimator, HardLabelEstimator, ScoresAreLogits) { Temperature = temperature, Alpha = alpha };

    /// <inheritdoc/>
    public override string ToString() => Name;
}
