using System.Globalization;
using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>
/// One shard of a data set split across machines: shard <see cref="Index"/> of <see cref="Count"/> holds the rows whose
/// 0-based index r has r mod Count == Index. Written <c>i/n</c>, e.g. <c>0/4</c>.
/// </summary>
public sealed record ShardSpec
{
    /// <summary>Creates shard <paramref name="index"/> of <paramref name="count"/>.</summary>
    /// <param name="index">The shard's 0-based index, in [0, <paramref name="count"/>).</param>
    /// <param name="count">The number of shards, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">The count is not positive or the index is outside [0, count).</exception>
    public ShardSpec(int index, int count)
    {
        if (count <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"The shard count must be at least 1 but was {count}.");
        }

        if (index < 0 || index >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index,
                $"Shard index {index} is outside [0, {count - 1}] for {count} shards: indices are 0-based, so shard {count}/{count} does not exist.");
        }

        Index = index;
        Count = count;
    }

    /// <summary>The whole data set: shard 0 of 1.</summary>
    public static ShardSpec Whole { get; } = new(0, 1);

    /// <summary>The 0-based shard index.</summary>
    public int Index { get; }

    /// <summary>The number of shards.</summary>
    public int Count { get; }

    /// <summary>Parses <c>i/n</c>, such as <c>2/8</c>.</summary>
    /// <param name="text">The shard as <c>index/count</c> with a 0-based index.</param>
    /// <returns>The shard.</returns>
    /// <exception cref="ArgumentException">The text is not <c>i/n</c> with 0 &lt;= i &lt; n.</exception>
    public static ShardSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ReadOnlySpan<char> span = text.AsSpan().Trim();
        int slash = span.IndexOf('/');
        if (slash < 0
            || !int.TryParse(span[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || !int.TryParse(span[(slash + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int count))
        {
            throw new ArgumentException(
                $"Shard '{text}' is not of the form i/n (for example 0/4: the first of four shards). Use 'auto' to take it from Kubernetes or Slurm.",
                nameof(text));
        }

        if (count <= 0)
        {
            throw new ArgumentException($"Shard '{text}' has {count} shards: the count n in i/n must be at least 1.", nameof(text));
        }

        if (index >= count)
        {
            throw new ArgumentException(
                $"Shard '{text}' has index {index} but only {count} shards: i in i/n is 0-based and must be less than n (the last shard is {count - 1}/{count}).",
                nameof(text));
        }

        return new ShardSpec(index, count);
    }

    /// <summary>
    /// Parses <c>i/n</c>, or <c>auto</c>: the shard given by the scheduler running this process.
    /// </summary>
    /// <param name="text"><c>i/n</c> or <c>auto</c>.</param>
    /// <param name="shardsOption">
    /// The shard count from the command line (<c>--shards N</c>), if given. Kubernetes does not tell a pod the number of
    /// completions, so it is required there; with <c>i/n</c> or Slurm it must agree with n when given.
    /// </param>
    /// <param name="getEnvironmentVariable">Reads an environment variable (null when unset); <see cref="Environment.GetEnvironmentVariable(string)"/> in production.</param>
    /// <returns>
    /// For <c>auto</c>: in a Kubernetes Indexed Job, <c>JOB_COMPLETION_INDEX</c> of <paramref name="shardsOption"/>; in a Slurm
    /// job array, (<c>SLURM_ARRAY_TASK_ID</c> - <c>SLURM_ARRAY_TASK_MIN</c>) / <c>SLURM_ARRAY_TASK_STEP</c> of
    /// <c>SLURM_ARRAY_TASK_COUNT</c>.
    /// </returns>
    /// <exception cref="ArgumentException">The text or a variable is malformed, or the counts disagree.</exception>
    /// <exception cref="InvalidOperationException"><c>auto</c> was asked for but no scheduler variable is set, or Kubernetes runs without <paramref name="shardsOption"/>.</exception>
    public static ShardSpec Parse(string text, int? shardsOption, Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        if (shardsOption is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(shardsOption), shardsOption, $"--shards must be at least 1 but was {shardsOption}.");
        }

        if (!text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            ShardSpec explicitShard = Parse(text);
            if (shardsOption is int n && n != explicitShard.Count)
            {
                throw new ArgumentException($"Shard '{text}' says {explicitShard.Count} shards but --shards says {n}: give one or make them agree.", nameof(shardsOption));
            }

            return explicitShard;
        }

        string? kubernetes = getEnvironmentVariable("JOB_COMPLETION_INDEX");
        if (!string.IsNullOrWhiteSpace(kubernetes))
        {
            int index = ParseVariable("JOB_COMPLETION_INDEX", kubernetes);
            if (shardsOption is not int count)
            {
                throw new InvalidOperationException(
                    $"JOB_COMPLETION_INDEX={kubernetes} says this is a Kubernetes Indexed Job, but Kubernetes does not tell a pod how many completions there are: " +
                    "pass --shards N with N equal to the Job's spec.completions.");
            }

            if (index >= count)
            {
                throw new ArgumentException(
                    $"JOB_COMPLETION_INDEX={index} is not below --shards {count}: set --shards to the Job's spec.completions.", nameof(shardsOption));
            }

            return new ShardSpec(index, count);
        }

        string? slurmId = getEnvironmentVariable("SLURM_ARRAY_TASK_ID");
        if (!string.IsNullOrWhiteSpace(slurmId))
        {
            int id = ParseVariable("SLURM_ARRAY_TASK_ID", slurmId);
            string? countText = getEnvironmentVariable("SLURM_ARRAY_TASK_COUNT");
            string? minText = getEnvironmentVariable("SLURM_ARRAY_TASK_MIN");
            string? stepText = getEnvironmentVariable("SLURM_ARRAY_TASK_STEP");
            int min = string.IsNullOrWhiteSpace(minText) ? 0 : ParseVariable("SLURM_ARRAY_TASK_MIN", minText);
            int step = string.IsNullOrWhiteSpace(stepText) ? 1 : ParseVariable("SLURM_ARRAY_TASK_STEP", stepText);
            int? slurmCount = string.IsNullOrWhiteSpace(countText) ? null : ParseVariable("SLURM_ARRAY_TASK_COUNT", countText);
            int count = slurmCount ?? shardsOption ?? throw new InvalidOperationException(
                $"SLURM_ARRAY_TASK_ID={id} is set but SLURM_ARRAY_TASK_COUNT is not: pass --shards N with N the number of array tasks.");
            if (slurmCount is int s && shardsOption is int option && s != option)
            {
                throw new ArgumentException($"SLURM_ARRAY_TASK_COUNT={s} but --shards says {option}: drop --shards or make them agree.", nameof(shardsOption));
            }

            if (step <= 0 || id < min || (id - min) % step != 0)
            {
                throw new ArgumentException(
                    $"SLURM_ARRAY_TASK_ID={id} does not fit SLURM_ARRAY_TASK_MIN={min} and SLURM_ARRAY_TASK_STEP={step}: " +
                    "the array must be a range such as --array=0-7 or --array=1-8 (a list with gaps cannot be mapped to shards).",
                    nameof(getEnvironmentVariable));
            }

            int slurmIndex = (id - min) / step;
            if (count <= 0 || slurmIndex >= count)
            {
                throw new ArgumentException(
                    $"Slurm task {id} is array element {slurmIndex} but SLURM_ARRAY_TASK_COUNT is {count}: the array must be a range such as --array=0-{Math.Max(count, 1) - 1}.",
                    nameof(getEnvironmentVariable));
            }

            return new ShardSpec(slurmIndex, count);
        }

        throw new InvalidOperationException(
            "Shard 'auto' found no scheduler: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT " +
            "(Slurm job array) is set. Run under one of them, or pass the shard explicitly as i/n.");
    }

    /// <summary>How many of <paramref name="totalRows"/> rows this shard holds: ceil((total - index) / count), or 0.</summary>
    /// <param name="totalRows">The rows of the whole data set.</param>
    /// <returns>The number of rows r &lt; totalRows with r mod Count == Index.</returns>
    public long RowsOf(long totalRows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalRows);
        return totalRows <= Index ? 0 : (totalRows - Index + Count - 1) / Count;
    }

    /// <summary>Keeps this shard's rows of <paramref name="data"/>: a lazy filter, nothing is copied.</summary>
    /// <param name="data">The whole data set.</param>
    /// <returns>The rows whose 0-based index r has r mod <see cref="Count"/> == <see cref="Index"/>, in order; <paramref name="data"/> itself for 0/1.</returns>
    public IDataView Apply(IDataView data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Count == 1 ? data : new ShardFilterDataView(data, this);
    }

    /// <summary>The shard as <c>i/n</c>.</summary>
    /// <returns>For example <c>2/8</c>.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");

    private static int ParseVariable(string name, string value) =>
        int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new ArgumentException($"Environment variable {name}='{value}' is not a non-negative integer.", nameof(value));
}
