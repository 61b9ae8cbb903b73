using System.Globalization;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// What an MLP student's training will hold in memory, estimated before any row is read, and the refusal when it will not
/// fit: the MLP reads its features as one dense float matrix (rows × feature slots × 4 bytes), so a sparse feature vector
/// of hundreds of thousands of slots (FeaturizeText's n-grams over a few thousand emails) becomes gigabytes.
/// </summary>
/// <param name="Rows">The training rows.</param>
/// <param name="Features">The feature slots of a row.</param>
/// <param name="Parameters">The network's learned parameters.</param>
internal readonly record struct MlpMemoryEstimate(long Rows, long Features, long Parameters)
{
    /// <summary>Copies of the parameters training keeps: the weights, their gradients, AdamW's two moments, the best and the last good weights.</summary>
    private const int ParameterCopies = 6;

    /// <summary>The share of the memory available to the process that a trial may plan to take (the rest is the data views', the teacher's, the runtime's).</summary>
    private const double Share = 0.8;

    private static readonly AsyncLocal<long?> LimitOverride = new();

    /// <summary>Gets the dense feature matrix, in bytes.</summary>
    public long FeatureBytes => Rows * Features * sizeof(float);

    /// <summary>Gets the network's weights with their gradients and optimizer state, in bytes.</summary>
    public long ParameterBytes => Parameters * ParameterCopies * sizeof(float);

    /// <summary>Gets the whole estimate, in bytes.</summary>
    public long Bytes => FeatureBytes + ParameterBytes;

    /// <summary>
    /// Gets or sets (tests only; on this asynchronous flow) the bytes a trial may take instead of <see cref="Share"/> of what
    /// <see cref="GC.GetGCMemoryInfo()"/> reports available; null for that.
    /// </summary>
    internal static long? LimitForTests
    {
        get => LimitOverride.Value;
        set => LimitOverride.Value = value;
    }

    /// <summary>Gets the bytes a trial may plan to take here.</summary>
    public static long Limit => LimitForTests ?? (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * Share);

    /// <summary>The estimate for <paramref name="rows"/> rows of <paramref name="features"/> slots into these layers.</summary>
    public static MlpMemoryEstimate For(long rows, int features, int classes, IReadOnlyList<int> hidden)
    {
        long parameters = 0;
        long input = features;
        foreach (int width in hidden)
        {
            parameters += (input + 1) * width;
            input = width;
        }

        parameters += (input + 1) * classes;
        return new MlpMemoryEstimate(rows, features, parameters);
    }

    /// <summary>Throws when the estimate exceeds <see cref="Limit"/>, naming the estimate, the limit and the fix.</summary>
    /// <exception cref="InvalidOperationException">The training would not fit in memory.</exception>
    public void ThrowIfTooLarge()
    {
        long limit = Limit;
        bool oneArray = Rows * Features <= Array.MaxLength;
        if (Bytes <= limit && oneArray)
        {
            return;
        }

        var c = CultureInfo.InvariantCulture;
        throw new InvalidOperationException(string.Format(c,
            "An MLP student would need about {0} to train ({1:N0} rows x {2:N0} feature slots x 4 bytes = {3} of dense features, plus {4} for {5:N0} weights with their gradients and optimizer state), " +
            "more than {6}: it was not started. An MLP reads every feature slot of every row densely; for text, FeaturizeText's n-grams give hundreds of thousands of slots. " +
            "Use a student that reads sparse features (sdca, lbfgs, lightgbm), fewer n-grams (text=word1, or chars=N), or fewer rows.",
            Format(Bytes), Rows, Features, Format(FeatureBytes), Format(ParameterBytes), Parameters,
            oneArray ? $"the {Format(limit)} this process may take" : $"one .NET array holds ({Array.MaxLength:N0} floats)"));
    }

    /// <summary>Bytes in words: <c>7.1 GB</c>, <c>350.0 MB</c>, <c>12.0 KB</c>.</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("F1", CultureInfo.InvariantCulture) + " GB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("F1", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KB",
    };
}
