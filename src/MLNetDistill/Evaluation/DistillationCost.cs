namespace MLNetDistill.Evaluation;

/// <summary>
/// What a model costs to ship and to run, measured on this machine: size, parameters, single-row latency as a service
/// calls it (a <c>PredictionEngine</c>'s row-to-row mapper, after warm-up) and batch throughput.
/// </summary>
/// <param name="ModelBytes">The model's size: the bytes <c>mlContext.Model.Save</c> writes, or the scoring graph's bytes for an ONNX teacher, or the value given in the options.</param>
/// <param name="ParameterCount">The number of learned parameters where known (linear models: weights and biases; tree ensembles, one-versus-all included: split thresholds and leaf values; ONNX teachers and MLP students: initializer elements), else <see langword="null"/>.</param>
/// <param name="LatencyP50Microseconds">The median time of one row through the row-to-row mapper, in µs: the model's output getters for that row, as a <c>PredictionEngine</c> calls them, not the reading of the input row (NaN when the model has no row-to-row mapper).</param>
/// <param name="LatencyP99Microseconds">The 99th percentile (nearest rank) of the same times, in µs.</param>
/// <param name="LatencyRows">The rows timed one at a time (after the warm-up rows).</param>
/// <param name="ThroughputRowsPerSecond">Rows per second of one pass of <c>Transform</c> over the data, reading every column the model adds.</param>
/// <param name="ThroughputRows">The rows of that pass.</param>
/// <example>
/// <code language="csharp">
/// DistillationCost student = mlContext.Model.MeasureDistillationCost(studentModel, testRows);
/// DistillationCost teacher = mlContext.Model.MeasureDistillationCost(teacherTransformer, testRows);
/// Console.WriteLine($"{student.LatencySpeedUp(teacher):F1}x faster per row, {student.ThroughputSpeedUp(teacher):F1}x in batches, {student.SizeReduction(teacher):F0}x smaller");
/// </code>
/// </example>
public sealed record DistillationCost(long ModelBytes, long? ParameterCount, double LatencyP50Microseconds, double LatencyP99Microseconds, int LatencyRows,
    double ThroughputRowsPerSecond, long ThroughputRows)
{
    /// <summary>How many times faster this model answers one row than <paramref name="baseline"/> (usually the teacher): the ratio of their median latencies.</summary>
    /// <param name="baseline">The cost of the model compared with.</param>
    /// <returns><c>baseline.LatencyP50Microseconds / LatencyP50Microseconds</c>; NaN when either was not measured.</returns>
    public double LatencySpeedUp(DistillationCost baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        return baseline.LatencyP50Microseconds / LatencyP50Microseconds;
    }

    /// <summary>How many times more rows per second this model scores in batches than <paramref name="baseline"/>.</summary>
    /// <param name="baseline">The cost of the model compared with.</param>
    /// <returns><c>ThroughputRowsPerSecond / baseline.ThroughputRowsPerSecond</c>.</returns>
    public double ThroughputSpeedUp(DistillationCost baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        return ThroughputRowsPerSecond / baseline.ThroughputRowsPerSecond;
    }

    /// <summary>How many times smaller this model is than <paramref name="baseline"/>, in bytes.</summary>
    /// <param name="baseline">The cost of the model compared with.</param>
    /// <returns><c>baseline.ModelBytes / ModelBytes</c> (infinity for a model of 0 bytes).</returns>
    public double SizeReduction(DistillationCost baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        return (double)baseline.ModelBytes / ModelBytes;
    }
}
