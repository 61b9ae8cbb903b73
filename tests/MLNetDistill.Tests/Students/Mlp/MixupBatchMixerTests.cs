using MLNetDistill.Numerics;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Tests.Students.Mlp;

public sealed class MixupBatchMixerTests
{
    private static readonly FloatComparer Close = new(1e-6);

    [Fact]
    public void Mix_AnyBatch_RowsAreLambdaTimesRowPlusOneMinusLambdaTimesPermutedRow()
    {
        const int rows = 37;
        const int features = 19;
        var random = new Random(3);
        float[] x = Enumerable.Range(0, rows * features).Select(_ => (float)random.NextDouble()).ToArray();
        float[] mixed = new float[rows * features];
        var mixer = new MixupBatchMixer(0.4f, 64, seed: 11, stream: 4);
        for (int batch = 0; batch < 5; batch++)
        {
            mixer.Mix(x, rows, features, mixed);
            float lambda = mixer.Lambda;
            int[] perm = mixer.Permutation[..rows].ToArray();
            Assert.InRange(lambda, 0f, 1f);
            Assert.Equal(Enumerable.Range(0, rows), perm.Order());
            Assert.NotEqual(Enumerable.Range(0, rows), perm);
            for (int i = 0; i < rows; i++)
            {
                for (int f = 0; f < features; f++)
                {
                    float expected = (lambda * x[(i * features) + f]) + ((1 - lambda) * x[(perm[i] * features) + f]);
                    Assert.Equal(expected, mixed[(i * features) + f], Close);
                }
            }
        }
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(1.0)]
    [InlineData(3.0)]
    public void NextBeta_SymmetricA_MeanHalfAndVarianceOfBeta(double a)
    {
        // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)).
        var random = new DeterministicRandom(5, 9);
        const int n = 40_000;
        double sum = 0;
        double squares = 0;
        for (int i = 0; i < n; i++)
        {
            double v = MixupBatchMixer.NextBeta(ref random, a);
            Assert.InRange(v, 0.0, 1.0);
            sum += v;
            squares += v * v;
        }

        double mean = sum / n;
        double variance = (squares / n) - (mean * mean);
        Assert.Equal(0.5, mean, new FloatComparer(0.01));
        Assert.Equal(1 / (4 * ((2 * a) + 1)), variance, new FloatComparer(0.006));
    }

    [Fact]
    public void Mix_SameSeed_SameLambdasAndPermutations()
    {
        float[] x = Enumerable.Range(0, 32 * 4).Select(i => (float)i).ToArray();
        float[] first = new float[x.Length];
        float[] second = new float[x.Length];
        var a = new MixupBatchMixer(0.2f, 32, seed: 7, stream: 4);
        var b = new MixupBatchMixer(0.2f, 32, seed: 7, stream: 4);
        var other = new MixupBatchMixer(0.2f, 32, seed: 8, stream: 4);
        var lambdas = new List<float>();
        for (int i = 0; i < 10; i++)
        {
            a.Mix(x, 32, 4, first);
            b.Mix(x, 32, 4, second);
            other.Mix(x, 32, 4, new float[x.Length]);
            Assert.Equal(a.Lambda, b.Lambda);
            Assert.Equal(first, second);
            lambdas.Add(a.Lambda - other.Lambda);
        }

        Assert.Contains(lambdas, d => d != 0f);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.5f)]
    [InlineData(float.NaN)]
    public void Constructor_NonPositiveAlpha_ThrowsQuotingValue(float alpha)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MixupBatchMixer(alpha, 8, 1, 4));
        Assert.Contains(alpha.ToString(System.Globalization.CultureInfo.CurrentCulture), ex.Message, StringComparison.Ordinal);
        Assert.Contains("positive", ex.Message, StringComparison.Ordinal);
    }
}
