namespace MLNetDistill.Tests.Losses;

/// <summary>Central finite differences of a float function, for gradient checks.</summary>
internal static class GradientCheck
{
    /// <summary>Asserts that <paramref name="analytic"/> matches the central difference of <paramref name="f"/> at every coordinate of <paramref name="x"/>.</summary>
    public static void AssertMatches(Func<float> f, float[] x, ReadOnlySpan<float> analytic, string what, float h = 1e-3f, double tolerance = 2e-3)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float saved = x[i];
            x[i] = saved + h;
            double plus = f();
            x[i] = saved - h;
            double minus = f();
            x[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            double diff = Math.Abs(numeric - analytic[i]);
            if (diff > tolerance * (1 + Math.Abs(numeric)))
            {
                Assert.Fail($"{what}[{i}]: analytic {analytic[i]} but finite difference {numeric}");
            }
        }
    }
}
