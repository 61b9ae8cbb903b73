namespace MLNetDistill.SoftLabels;

/// <summary>How <see cref="MultiTeacherSoftLabels"/> weighs its teachers.</summary>
internal enum TeacherWeighting
{
    /// <summary>Fixed weights, the same for every row.</summary>
    Fixed,

    /// <summary>Per row, each teacher's fixed weight times its confidence there (its largest probability).</summary>
    Confidence,
}

/// <summary>
/// Combines several teachers' soft labels into one distribution per row, for <see cref="Losses.KdLoss"/>: the average of the
/// teachers' probabilities with fixed weights (as Hinton et al. 2015 average an ensemble's predictions; You, Xu, Xu and
/// Tao 2017, "Learning from Multiple Teacher Networks"), or with per-row weights proportional to each teacher's
/// confidence, max_k p_t(k), so that the teacher that is sure of a row speaks loudest there.
/// </summary>
/// <remarks>
/// p(k) = sum_t w_t p_t(k) / sum_t w_t, where w_t is the fixed weight (Fixed) or the fixed weight times max_k p_t(k)
/// (Confidence). A convex combination of distributions, so the result is a distribution. All teachers' probabilities
/// must be at the same temperature.
/// </remarks>
internal sealed class MultiTeacherSoftLabels
{
    private readonly float[] _weights;

    /// <summary>Creates the combiner.</summary>
    /// <param name="classes">Classes per row.</param>
    /// <param name="weights">One weight per teacher, each finite and &gt;= 0, not all 0 (they need not sum to 1).</param>
    /// <param name="weighting">Fixed or confidence-weighted.</param>
    public MultiTeacherSoftLabels(int classes, ReadOnlySpan<float> weights, TeacherWeighting weighting = TeacherWeighting.Fixed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (weights.IsEmpty)
        {
            throw new ArgumentException("Combining teachers needs at least one teacher weight.", nameof(weights));
        }

        float sum = 0f;
        foreach (float w in weights)
        {
            if (!(w >= 0f) || float.IsInfinity(w))
            {
                throw new ArgumentOutOfRangeException(nameof(weights), w, $"Teacher weights must be finite and >= 0 but one was {w}.");
            }

            sum += w;
        }

        if (sum <= 0f)
        {
            throw new ArgumentException("At least one teacher weight must be positive.", nameof(weights));
        }

        Classes = classes;
        Weighting = weighting;
        _weights = weights.ToArray();
    }

    /// <summary>Classes per row.</summary>
    public int Classes { get; }

    /// <summary>The number of teachers.</summary>
    public int TeacherCount => _weights.Length;

    /// <summary>The weighting.</summary>
    public TeacherWeighting Weighting { get; }

    /// <summary>Combines <paramref name="rows"/> rows of every teacher's probabilities into <paramref name="destination"/>.</summary>
    /// <param name="teachers">One span of rows x classes probabilities per teacher, in the order of the weights.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="destination">Receives rows x classes combined probabilities.</param>
    public void Combine(IReadOnlyList<ReadOnlyMemory<float>> teachers, int rows, Span<float> destination)
    {
        if (teachers.Count != _weights.Length)
        {
            throw new ArgumentException($"Expected soft labels from {_weights.Length} teachers but got {teachers.Count}.", nameof(teachers));
        }

        long size = (long)rows * Classes;
        for (int t = 0; t < teachers.Count; t++)
        {
            if (teachers[t].Length != size)
            {
                throw new ArgumentException($"Teacher {t} gave {teachers[t].Length} probabilities but {rows} rows x {Classes} classes need {size}.", nameof(teachers));
            }
        }

        if (destination.Length != size)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values but {rows} rows x {Classes} classes need {size}.", nameof(destination));
        }

        Span<float> rowWeights = _weights.Length <= 64 ? stackalloc float[_weights.Length] : new float[_weights.Length];
        int k = Classes;
        for (int r = 0; r < rows; r++)
        {
            Span<float> dst = destination.Slice(r * k, k);
            float total = 0f;
            for (int t = 0; t < teachers.Count; t++)
            {
                float w = _weights[t];
                if (Weighting == TeacherWeighting.Confidence && w > 0f)
                {
                    w *= System.Numerics.Tensors.TensorPrimitives.Max(teachers[t].Span.Slice(r * k, k));
                }

                rowWeights[t] = w;
                total += w;
            }

            dst.Clear();
            if (!(total > 0f))
            {
                // Every weighted teacher gave all zeros (not a distribution): fall back to the fixed weights.
                total = 0f;
                for (int t = 0; t < teachers.Count; t++)
                {
                    rowWeights[t] = _weights[t];
                    total += _weights[t];
                }
            }

            for (int t = 0; t < teachers.Count; t++)
            {
                if (rowWeights[t] > 0f)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(teachers[t].Span.Slice(r * k, k), rowWeights[t] / total, dst, dst);
                }
            }
        }
    }
}
