namespace MLNetDistill.Experiments;

/// <summary>What a <see cref="Leaderboard"/> counts as a student's cost: the axis of the Pareto front and of the pick.</summary>
/// <example>
/// <code language="csharp">
/// var experiment = new StudentSizeExperiment(mlContext).SetTeacher("teacher.onnx").AddStudents("sdca", "mlp:32").SetCostAxis(LeaderboardCostAxis.Parameters);
/// </code>
/// </example>
public enum LeaderboardCostAxis
{
    /// <summary>The size in bytes of the deployable file (the ONNX graph for MLP students, the ML.NET zip otherwise). The default.</summary>
    Size,

    /// <summary>The number of learned parameters, where it is counted (linear, tree and MLP students); a student without a count (an estimator of your own may have none) is left out of the front and the pick.</summary>
    Parameters,

    /// <summary>
    /// Single-row latency: the median (p50) time in µs of one test row through the ML.NET model's row-to-row mapper, as a
    /// <c>PredictionEngine</c> calls it, after warm-up (<see cref="LeaderboardEntry.LatencyP50Microseconds"/>). Timings are of
    /// this machine and run; needs <see cref="StudentSizeExperimentOptions.MeasureLatency"/> (the default).
    /// </summary>
    Latency,
}
