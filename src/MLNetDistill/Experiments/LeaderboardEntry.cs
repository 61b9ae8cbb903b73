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
/// var entry = new LeaderboardEntry("sdca", "sdca:iterations=auto", 0.81, 0.80, 0.55, 0.86, 0.21, 1.2, 70_000, 7_850, 70_000);
/// </code>
/// </example>
public sealed record LeaderboardEntry(string Name, string Spec, double Accuracy, double MacroF1, double LogLoss, double Agreement, double KlToTeacher,
    double TrainSeconds, long ModelBytes, long? Parameters, double Cost)
{
    /// <summary>Gets the student's accuracy over the teacher's on the same rows (NaN when either is unknown).</summary>
    public double RetainedAccuracy { get; init; } = double.NaN;

    /// <summary>Gets the test accuracy of the student's pseudo-label twin: the same spec trained on the teacher's arg-max labels of the same rows (<see cref="DistillationExperimentOptions.PseudoBaseline"/>). <see cref="Accuracy"/> minus it is what soft labels add over pseudo-labels.</summary>
    /// <value><see langword="null"/> when no pseudo-label twin was trained; NaN when the test rows have no labels.</value>
    public double? PseudoBaselineAccuracy { get; init; }

    /// <summary>Gets the pseudo-label twin's agreement with the teacher on the test rows.</summary>
    /// <value><see langword="null"/> when no pseudo-label twin was trained; NaN when the test rows have no teacher outputs.</value>
    public double? PseudoBaselineAgreement { get; init; }

    /// <summary>Gets the share of the test rows the student's cascade sends to the teacher to reach the target (<see cref="DistillationExperimentOptions.CascadeTarget"/>; the threshold chosen on held-out training rows): the lower, the cheaper the cascade.</summary>
    /// <value><see langword="null"/> when no cascade was asked for.</value>
    public double? CascadeDeferredShare { get; init; }

    /// <summary>Gets the student's cascade on the test rows: threshold, deferred share, accuracy, agreement and the curve.</summary>
    /// <value><see langword="null"/> when no cascade was asked for.</value>
    public DistillationCascade? Cascade { get; init; }

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

    /// <summary>Gets the median single-row latency of the ML.NET model, in µs: one row through the row-to-row mapper a <c>PredictionEngine</c> uses, after warm-up, on the test rows. The cost on <see cref="LeaderboardCostAxis.Latency"/>.</summary>
    /// <value>Defaults to NaN: not measured (<see cref="StudentSizeExperimentOptions.MeasureLatency"/> is false, or the model has no row-to-row mapper).</value>
    public double LatencyP50Microseconds { get; init; } = double.NaN;

    /// <summary>Gets the 99th percentile (nearest rank) of the same single-row times, in µs.</summary>
    /// <value>Defaults to NaN: not measured.</value>
    public double LatencyP99Microseconds { get; init; } = double.NaN;

    /// <summary>Gets the ML.NET model's batch throughput: rows per second of one <c>Transform</c> pass over the timed test rows.</summary>
    /// <value>Defaults to NaN: not measured.</value>
    public double ThroughputRowsPerSecond { get; init; } = double.NaN;

    /// <summary>Gets the median single-row latency of the student's ONNX export in ONNX Runtime, in µs, after warm-up.</summary>
    /// <value>Defaults to <see langword="null"/>: the student does not convert to ONNX, or latency was not measured (<see cref="OnnxNote"/> says which).</value>
    public double? OnnxLatencyP50Microseconds { get; init; }

    /// <summary>Gets the 99th percentile of the ONNX export's single-row times, in µs.</summary>
    /// <value>Defaults to <see langword="null"/>, as <see cref="OnnxLatencyP50Microseconds"/>.</value>
    public double? OnnxLatencyP99Microseconds { get; init; }

    /// <summary>Gets the ONNX export's batch throughput in ONNX Runtime (batches of 256 rows), rows per second.</summary>
    /// <value>Defaults to <see langword="null"/>, as <see cref="OnnxLatencyP50Microseconds"/>.</value>
    public double? OnnxThroughputRowsPerSecond { get; init; }

    /// <summary>Gets why the ML.NET form has no latency (a model that reads more than the features, or has no row-to-row mapper), or <see langword="null"/> when it was measured or latency was not asked for.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public string? LatencyNote { get; init; }

    /// <summary>Gets why the ONNX form has no latency (<c>does not convert: ...</c>, or not measured), or <see langword="null"/> when it was measured.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public string? OnnxNote { get; init; }

    /// <summary>Gets how many times faster the student answers one row than the teacher, both through ML.NET: teacher p50 / student p50.</summary>
    /// <value>Defaults to NaN; <see cref="Leaderboard.Create"/> sets it from <see cref="Leaderboard.TeacherCostDetail"/> when both were measured.</value>
    public double LatencySpeedUp { get; init; } = double.NaN;

    /// <summary>Gets how many times smaller the student's deployable file is than the teacher's <c>.onnx</c>: teacher bytes / <see cref="ModelBytes"/>.</summary>
    /// <value>Defaults to NaN; <see cref="Leaderboard.Create"/> sets it when the teacher's size is known.</value>
    public double SizeReduction { get; init; } = double.NaN;

    /// <summary>Gets the wall time spent measuring the student's latency in both forms (the ONNX export included), in seconds: what the cost side adds to a trial.</summary>
    /// <value>Defaults to 0: not measured.</value>
    public double CostSeconds { get; init; }
}
