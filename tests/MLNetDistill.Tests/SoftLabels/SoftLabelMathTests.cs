using MLNetDistill.SoftLabels;

namespace MLNetDistill.Tests.SoftLabels;

public sealed class SoftLabelMathTests
{
    private static readonly FloatComparer Tol = new(1e-6);

    [Fact]
    public void Softmax_GoldenValues_MatchesPyTorch()
    {
        // torch.softmax(torch.tensor([1., 2., 3.]) / 2, 0)
        float[] dst = new float[3];
        SoftLabelMath.Softmax([1f, 2f, 3f], 2f, dst);
        Assert.Equal([0.18632372f, 0.30719590f, 0.50648040f], dst, Tol);
    }

    [Theory]
    [InlineData(1, 1f)]
    [InlineData(7, 0.5f)]
    [InlineData(13, 4f)]
    [InlineData(37, 20f)]
    public void Softmax_AnySize_SumsToOneAndMatchesLogSoftmax(int size, float temperature)
    {
        var rng = new Random(size);
        float[] z = new float[size];
        for (int i = 0; i < size; i++)
        {
            z[i] = (float)(rng.NextDouble() * 40 - 20);
        }

        float[] p = new float[size];
        float[] logp = new float[size];
        SoftLabelMath.Softmax(z, temperature, p);
        SoftLabelMath.LogSoftmax(z, temperature, logp);
        Assert.Equal(1.0, p.Sum(), 1e-5);
        for (int i = 0; i < size; i++)
        {
            Assert.Equal(p[i], MathF.Exp(logp[i]), 1e-5f);
        }
    }

    [Fact]
    public void Softmax_HugeLogits_DoesNotOverflow()
    {
        float[] p = new float[2];
        SoftLabelMath.Softmax([1e30f, -1e30f], 1f, p);
        Assert.Equal([1f, 0f], p, Tol);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Softmax_BadTemperature_ThrowsNamingValue(float temperature)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SoftLabelMath.Softmax([1f, 2f], temperature, new float[2]));
        Assert.Contains("positive finite", ex.Message);
    }

    [Fact]
    public void KlDivergence_GoldenValue_MatchesHandComputed()
    {
        // 0.5 ln(0.5/0.25) + 0.5 ln(0.5/0.75)
        double expected = 0.5 * Math.Log(2) + 0.5 * Math.Log(0.5 / 0.75);
        Assert.Equal(expected, SoftLabelMath.KlDivergence([0.5f, 0.5f], [0.25f, 0.75f]), 1e-7);
        Assert.Equal(0, SoftLabelMath.KlDivergence([1f, 0f], [1f, 0f]), 1e-12);
    }

    [Fact]
    public void MixWithHardLabel_HalfAlpha_AveragesWithOneHot()
    {
        float[] soft = [0.2f, 0.8f, 0f];
        SoftLabelMath.MixWithHardLabel(soft, 2, 0.5f);
        Assert.Equal([0.1f, 0.4f, 0.5f], soft, Tol);
    }

    [Fact]
    public void MixWithHardLabel_LabelOutOfRange_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SoftLabelMath.MixWithHardLabel(new float[3], 3, 0.5f));
        Assert.Contains("[0, 2]", ex.Message);
    }
}
