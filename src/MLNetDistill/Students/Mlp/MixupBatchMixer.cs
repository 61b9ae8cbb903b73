using System.Numerics.Tensors;
using MLNetDistill.Numerics;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// Mixes a training batch in place of the un-mixed one for consistent teaching: one λ ~ Beta(a, a) per batch and a random
/// permutation π of the batch's rows, x̃_i = λ x_i + (1 − λ) x_π(i).
/// </summary>
/// <remarks>
/// Zhang et al. 2018, "mixup: Beyond Empirical Risk Minimization" (ICLR), as Beyer et al. 2022, "Knowledge distillation:
/// A good teacher is patient and consistent" (CVPR) use it for function matching: per batch, one λ and a permutation of the
/// batch (their reference code mixes a batch with itself shuffled). Beta(a, a) is drawn as G1 / (G1 + G2) with
/// G1, G2 ~ Gamma(a, 1) (Marsaglia and Tsang 2000; for a &lt; 1, Gamma(a) = Gamma(a + 1) · U^(1/a)). Everything comes from one
/// seeded <see cref="DeterministicRandom"/> stream: the same seed gives the same λs and permutations. Buffers are allocated
/// once, for the largest batch.
/// </remarks>
internal sealed class MixupBatchMixer
{
    private readonly int[] _permutation;
    private DeterministicRandom _random;

    /// <summary>Creates a mixer.</summary>
    /// <param name="alpha">a of Beta(a, a), positive and finite.</param>
    /// <param name="batchSize">The most rows per batch.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="stream">The random stream (so the mixer draws independently of shuffling and dropout).</param>
    public MixupBatchMixer(float alpha, int batchSize, int seed, ulong stream)
    {
        if (!(alpha > 0f) || !float.IsFinite(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"The mixup a of Beta(a, a) must be a positive finite number (typically 0.1 to 1) but was {alpha}.");
        }

        Alpha = alpha;
        _permutation = new int[batchSize];
        _random = new DeterministicRandom(seed, stream);
    }

    /// <summary>Gets a of Beta(a, a).</summary>
    public float Alpha { get; }

    /// <summary>Gets the λ of the last <see cref="Mix"/>.</summary>
    public float Lambda { get; private set; }

    /// <summary>Gets the permutation of the last <see cref="Mix"/> (its first rows entries).</summary>
    public ReadOnlySpan<int> Permutation => _permutation;

    /// <summary>Draws λ and a permutation, and writes the mixed batch.</summary>
    /// <param name="x">rows x features, row-major.</param>
    /// <param name="rows">Rows in the batch.</param>
    /// <param name="features">Features per row.</param>
    /// <param name="mixed">Receives rows x features mixed rows.</param>
    public void Mix(ReadOnlySpan<float> x, int rows, int features, Span<float> mixed)
    {
        Lambda = (float)NextBeta(ref _random, Alpha);
        Span<int> perm = _permutation.AsSpan(0, rows);
        for (int i = 0; i < rows; i++)
        {
            perm[i] = i;
        }

        _random.Shuffle(perm);
        float lambda = Lambda;
        float rest = 1f - lambda;
        for (int i = 0; i < rows; i++)
        {
            Span<float> destination = mixed.Slice(i * features, features);
            TensorPrimitives.Multiply(x.Slice(i * features, features), lambda, destination);
            TensorPrimitives.MultiplyAdd(x.Slice(perm[i] * features, features), rest, destination, destination);
        }
    }

    /// <summary>One draw of Beta(a, a).</summary>
    internal static double NextBeta(ref DeterministicRandom random, double a)
    {
        double g1 = NextGamma(ref random, a);
        double g2 = NextGamma(ref random, a);
        double sum = g1 + g2;
        return sum > 0 ? g1 / sum : 0.5;
    }

    /// <summary>One draw of Gamma(a, 1) (Marsaglia and Tsang 2000).</summary>
    internal static double NextGamma(ref DeterministicRandom random, double a)
    {
        if (a < 1)
        {
            return NextGamma(ref random, a + 1) * Math.Pow(NextOpenUnit(ref random), 1 / a);
        }

        double d = a - (1.0 / 3);
        double c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double z;
            double v;
            do
            {
                // Box-Muller for one standard normal.
                z = Math.Sqrt(-2 * Math.Log(NextOpenUnit(ref random))) * Math.Cos(2 * Math.PI * NextOpenUnit(ref random));
                v = 1 + (c * z);
            }
            while (v <= 0);

            v = v * v * v;
            double u = NextOpenUnit(ref random);
            if (Math.Log(u) < (0.5 * z * z) + d - (d * v) + (d * Math.Log(v)))
            {
                return d * v;
            }
        }
    }

    /// <summary>A uniform draw in (0, 1).</summary>
    private static double NextOpenUnit(ref DeterministicRandom random) => ((random.NextUInt64() >> 11) + 0.5) * (1.0 / (1UL << 53));
}
