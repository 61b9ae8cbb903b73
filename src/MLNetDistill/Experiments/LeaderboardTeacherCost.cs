namespace MLNetDistill.Experiments;

/// <summary>
/// What the teacher costs to serve, measured on the same test rows and in the same two forms as each student of a
/// <see cref="Leaderboard"/>: through ML.NET (its scoring graph in <c>ApplyOnnxModel</c>, one row at a time through the
/// row-to-row mapper a <c>PredictionEngine</c> uses, after warm-up) and its own <c>.onnx</c> file in ONNX Runtime.
/// </summary>
/// <param name="ModelBytes">The size of the teacher's <c>.onnx</c> file.</param>
/// <param name="Parameters">Its parameter count (initializer elements), or <see langword="null"/> when unknown.</param>
/// <param name="LatencyP50Microseconds">The median single-row latency through ML.NET, in µs (NaN when not measured: <see cref="Note"/>).</param>
/// <param name="LatencyP99Microseconds">The 99th percentile of the same times, in µs.</param>
/// <param name="ThroughputRowsPerSecond">Rows per second of the batched scoring transformer over the test rows.</param>
/// <param name="OnnxLatencyP50Microseconds">The median single-row latency of the <c>.onnx</c> file in ONNX Runtime, in µs, or <see langword="null"/> (<see cref="OnnxNote"/>).</param>
/// <param name="OnnxLatencyP99Microseconds">The 99th percentile of those times, in µs.</param>
/// <param name="OnnxThroughputRowsPerSecond">Rows per second of the <c>.onnx</c> file in ONNX Runtime in batches of 256.</param>
/// <example>
/// <code language="csharp">
/// if (result.Leaderboard.TeacherCostDetail is { } teacher)
/// {
///     Console.WriteLine($"teacher: p50 {teacher.LatencyP50Microseconds:F0} µs (ONNX Runtime {teacher.OnnxLatencyP50Microseconds:F0} µs), {teacher.ThroughputRowsPerSecond:N0} rows/s");
/// }
/// </code>
/// </example>
public sealed record LeaderboardTeacherCost(long ModelBytes, long? Parameters, double LatencyP50Microseconds, double LatencyP99Microseconds, double ThroughputRowsPerSecond,
    double? OnnxLatencyP50Microseconds, double? OnnxLatencyP99Microseconds, double? OnnxThroughputRowsPerSecond)
{
    /// <summary>Gets why the ML.NET form was not measured, or <see langword="null"/> when it was.</summary>
    public string? Note { get; init; }

    /// <summary>Gets why the ONNX Runtime form was not measured, or <see langword="null"/> when it was.</summary>
    public string? OnnxNote { get; init; }

    /// <summary>Gets the wall time the measurement took, in seconds.</summary>
    public double CostSeconds { get; init; }
}
