using MLNetDistill.Evaluation;

namespace MLNetDistill.Experiments;

/// <summary>One student's row of a <see cref="Leaderboard"/>: its quality on the test rows, its cost, and whether it is on the Pareto front or the pick (JSON fields in camelCase).</summary>
/// <param name="Name">The student's name (its spec as written, or the estimator's name).</param>
/// <param name="Spec">The spec with its defaults filled in, or the name of an estimator student.</param>
/// <param name="Accuracy">Test accuracy (NaN when the test rows have no labels).</param>
/// <param name="MacroF1">Test macro-averaged F1.</param>
/// <param name="LogLoss">Test log-loss.</param>
/// <param name="Agreement">Share of test rows where the student and the teacher predict the same class.</param>
/// <param name="KlToTeacher">Mean KL(teacher ‖ student) on the test rows, in nats.</param>
/// <param name="TrainSeconds">Wall-clock training time.</param>
/// <param name="ModelBytes">The size of the deployable file: the ONNX graph for MLP students, the ML.NET zip otherwise.</param>
/// <param name="Parameters">Learned parameters where they are counted (linear: weights and biases; trees: split thresholds and leaf values; MLP: every weight and bias), else <see langword="null"/>.</param>
/// <param name="Cost">The cost on the leaderboard's axis (<see cref="LeaderboardCostAxis"/>); NaN when unknown on that axis.</param>
/// <example>
/// <code language="csharp">
/// var entry = new LeaderboardEntry("sdca", "sdca:iterations=20", 0.81, 0.80, 0.55, 0.86, 0.21, 1.2, 70_000, 7_850, 70_000);
/// </code>
/// </example>
public sealed record LeaderboardEntry(string Name, string Spec, double Accuracy, double MacroF1, double LogLoss, double Agreement, double KlToTeacher,
    double TrainSeconds, long ModelBytes, long? Parameters, double Cost)
{
    /// <summary>Gets the student's accuracy over the teacher's on the same rows (NaN when either is unknown).</summary>
    public double RetainedAccuracy { get; init; } = double.NaN;

    /// <summary>Gets whether no other entry has quality at least as good at a cost at most as high, one of them strictly.</summary>
    public bool Pareto { get; init; }

    /// <summary>Gets every quality metric of the student on the test rows: top-3 agreement, calibration (ECE) of student and teacher, per-class accuracy and agreement, and the inheritance table of the teacher's mistakes.</summary>
    /// <value><see langword="null"/> for entries made without the evaluator's detail (<see cref="Leaderboard.Create"/> callers of their own).</value>
    public DistillationQuality? Quality { get; init; }

    /// <summary>Gets whether this is the pick: the lowest-cost student within the tolerance of the teacher's accuracy.</summary>
    public bool Chosen { get; init; }

    /// <summary>Gets the temperature of the soft labels the student was trained on (a sweep's trial's, or the experiment's).</summary>
    /// <value><see langword="null"/> when the student does not use it (logit matching fits the raw logits) or for entries made without it.</value>
    public float? Temperature { get; init; }

    /// <summary>Gets alpha, the weight of the soft labels against the hard labels, the student was trained with.</summary>
    /// <value><see langword="null"/> when the student does not use it (logit matching) or its own options decide (an estimator student), or for entries made without it.</value>
    public float? Alpha { get; init; }
}
