using System.Runtime.Intrinsics.X86;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Numerics;

namespace MLNetDistill.Tests.Numerics;

public sealed class GemmTests
{
    public static TheoryData<int, int, int> Sizes => new()
    {
        { 1, 1, 1 },
        { 3, 5, 7 },
        { 1, 784, 10 },
        { 17, 31, 33 },
        { 31, 33, 17 },
        { 33, 1, 65 },
        { 65, 257, 31 },
        { 257, 785, 33 },
        { 8, 256, 32 },
        { 10, 256, 257 },
        { 256, 513, 10 },
    };

    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string> { nameof(GemmKernel.Portable) };
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            data.Add(nameof(GemmKernel.Avx2));
        }

        if (Avx512F.IsSupported)
        {
            data.Add(nameof(GemmKernel.Avx512));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AllTransposes_OddSizes_MatchNaive(int m, int k, int n)
    {
        foreach (GemmKernel kernel in new[] { GemmKernel.Auto, GemmKernel.Portable })
        {
            var context = new GemmContext(ComputePool.Shared, kernel);
            foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
            {
                CheckAgainstNaive(context, ta, tb, m, k, n, withBias: false, accumulate: false);
                CheckAgainstNaive(context, ta, tb, m, k, n, withBias: true, accumulate: false);
                CheckAgainstNaive(context, ta, tb, m, k, n, withBias: true, accumulate: true);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EachKernel_MatchesNaive(string kernel)
    {
        var context = new GemmContext(ComputePool.Shared, Enum.Parse<GemmKernel>(kernel));
        CheckAgainstNaive(context, false, true, 37, 300, 70, withBias: true, accumulate: false);
        CheckAgainstNaive(context, true, false, 70, 37, 41, withBias: false, accumulate: true);
        CheckAgainstNaive(context, false, false, 13, 9, 100, withBias: false, accumulate: false);
    }

    [Fact]
    public void HugeOperands_AreChunked_AndStillMatchNaive()
    {
        // More than the 4M packed floats per operand: chunked over rows, then over columns.
        var context = new GemmContext();
        CheckAgainstNaive(context, true, false, 2100, 2001, 5, withBias: true, accumulate: false);
        CheckAgainstNaive(context, false, true, 5, 2001, 2100, withBias: false, accumulate: true);
    }

    [Fact]
    public void ZeroInnerDimension_GivesBiasOrKeepsC()
    {
        float[] c = [1f, 2f, 3f, 4f];
        Gemm.Multiply([], [], c, 2, 0, 2, bias: [10f, 20f], accumulate: true);
        Assert.Equal([11f, 22f, 13f, 24f], c);
        Gemm.Multiply([], [], c, 2, 0, 2);
        Assert.Equal([0f, 0f, 0f, 0f], c);
    }

    [Fact]
    public void ThreadCount_DoesNotChangeAnyBit()
    {
        var rng = new Random(5);
        int m = 300, k = 700, n = 250;
        float[] a = Random(rng, m * k);
        float[] b = Random(rng, k * n);
        float[] bias = Random(rng, n);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new ComputePool(threads);
            var context = new GemmContext(pool);
            foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false) })
            {
                float[] c = new float[m * n];
                Gemm.Compute(ta, tb, a, b, c, m, k, n, bias, context: context);
                if (ta || tb)
                {
                    continue;
                }

                if (first is null)
                {
                    first = c;
                }
                else
                {
                    Assert.Equal(first, c);
                }
            }
        }
    }

    [Fact]
    public void TooShortSpan_ThrowsNamingSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[5], new float[6], new float[4], 2, 3, 2));
        Assert.Contains("needs 6", ex.Message);
    }

    private static void CheckAgainstNaive(GemmContext context, bool ta, bool tb, int m, int k, int n, bool withBias, bool accumulate)
    {
        var rng = new Random((m * 31) + (k * 7) + n);
        float[] a = Random(rng, m * k);
        float[] b = Random(rng, k * n);
        float[] bias = withBias ? Random(rng, n) : [];
        float[] c = Random(rng, m * n);
        double[] expected = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = ta ? a[(p * m) + i] : a[(i * k) + p];
                    double bv = tb ? b[(j * k) + p] : b[(p * n) + j];
                    sum += av * bv;
                }

                if (withBias)
                {
                    sum += bias[j];
                }

                if (accumulate)
                {
                    sum += c[(i * n) + j];
                }

                expected[(i * n) + j] = sum;
            }
        }

        Gemm.Compute(ta, tb, a, b, c, m, k, n, bias, accumulate, context);
        double tolerance = 2e-6 * Math.Sqrt(k + 1);
        for (int idx = 0; idx < expected.Length; idx++)
        {
            if (Math.Abs(expected[idx] - c[idx]) > tolerance * (1 + Math.Abs(expected[idx])))
            {
                Assert.Fail($"{context.Kernel} {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')} {m}x{k}x{n} bias={withBias} acc={accumulate}: C[{idx / n},{idx % n}] = {c[idx]}, expected {expected[idx]}");
            }
        }
    }

    internal static float[] Random(Random rng, int count)
    {
        float[] x = new float[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return x;
    }
}
