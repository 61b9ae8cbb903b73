using System.Globalization;

namespace MLNetDistill.Evaluation;

/// <summary>Options of <c>mlContext.Model.MeasureDistillationCost</c> (<see cref="DistillationEvaluationCatalog"/>): how many rows to time and what is known about the model already.</summary>
/// <remarks>The evaluator reads a copy made when it is called.</remarks>
/// <example>
/// <code language="csharp">
/// var options = new DistillationCostOptions { LatencyRows = 2_000, ModelBytes = new FileInfo("student.onnx").Length };
/// var cost = mlContext.Model.MeasureDistillationCost(model, testRows, options);
/// </code>
/// </example>
public sealed class DistillationCostOptions
{
    /// <summary>Gets or sets the rows run one at a time, untimed, before timing starts (JIT, caches, ONNX Runtime's first run); at least 0.</summary>
    /// <value>Defaults to 50.</value>
    public int WarmupRows { get; set; } = 50;

    /// <summary>Gets or sets the rows timed one at a time; the data's rows are read again from the start when it has fewer; at least 1.</summary>
    /// <value>Defaults to 1000, enough for a stable 99th percentile (its nearest rank is the 990th time).</value>
    public int LatencyRows { get; set; } = 1000;

    /// <summary>Gets or sets the columns read from each scored row; <see langword="null"/> for every column the model adds to the data.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public IReadOnlyList<string>? OutputColumnNames { get; set; }

    /// <summary>Gets or sets the model's size in bytes when the caller knows it (the file it ships as, e.g. its <c>.onnx</c>); <see langword="null"/> to measure it.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public long? ModelBytes { get; set; }

    /// <summary>Gets or sets the model's parameter count when the caller knows it; <see langword="null"/> to count it where the model type is known.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public long? ParameterCount { get; set; }

    /// <summary>A checked copy.</summary>
    internal DistillationCostOptions Validated()
    {
        if (WarmupRows < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(WarmupRows), WarmupRows,
                $"WarmupRows must be at least 0 but was {WarmupRows.ToString(CultureInfo.InvariantCulture)}; use 0 to time from the first row.");
        }

        if (LatencyRows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(LatencyRows), LatencyRows,
                $"LatencyRows must be at least 1 but was {LatencyRows.ToString(CultureInfo.InvariantCulture)}; the default is 1000.");
        }

        if (ModelBytes is < 0 || ParameterCount is < 0)
        {
            throw new ArgumentOutOfRangeException(ModelBytes is < 0 ? nameof(ModelBytes) : nameof(ParameterCount),
                $"ModelBytes and ParameterCount must be null or at least 0 but were {ModelBytes} and {ParameterCount}.");
        }

        var copy = (DistillationCostOptions)MemberwiseClone();
        copy.OutputColumnNames = OutputColumnNames?.ToArray();
        return copy;
    }
}
