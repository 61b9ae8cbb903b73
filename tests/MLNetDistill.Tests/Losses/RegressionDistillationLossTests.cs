using MLNetDistill.Losses;

namespace MLNetDistill.Tests.Losses;

public sealed class RegressionDistillationLossTests
{
    private static readonly FloatComparer Tol = new(1e-6);

    [Fact]
    public void Forward_HandComputedBatch_MatchesValueAndGradient()
    {
        // s - t = (-1, -1, 1): teacher term 0.7 * mean(1, 1, 1) = 0.7. Row 2 has no target (NaN); rows 1 and 3 give
        // s - y = (-0.5, -1): hard term 0.3 * mean(0.25, 1) = 0.1875. Loss 0.8875.
        // Gradient: 2 * 0.7 * (s - t) / 3 + 2 * 0.3 * (s - y) / 2 on labeled rows = (-0.61667, -0.46667, 0.16667).
        float[] s = [1.0f, -0.5f, 2.0f];
        float[] t = [2.0f, 0.5f, 1.0f];
        float[] y = [1.5f, float.NaN, 3.0f];
        float[] grad = new float[3];
        float value = new RegressionDistillationLoss(0.7f).Forward(new LossBatch { Rows = 3, Classes = 1, StudentLogits = s, TeacherLogits = t, Targets = y }, 1f, new LossGradients { Logits = grad });
        Assert.Equal(0.8875f, value, Tol);
        Assert.Equal([-0.6166667f, -0.4666667f, 0.1666667f], grad, Tol);
    }

    [Fact]
    public void Forward_NoTargets_IsTeacherMseAlone()
    {
        float[] s = [1.0f, -0.5f, 2.0f];
        float[] t = [2.0f, 0.5f, 1.0f];
        float[] grad = new float[3];
        float value = new RegressionDistillationLoss(0.2f).Forward(new LossBatch { Rows = 3, Classes = 1, StudentLogits = s, TeacherLogits = t, Targets = [float.NaN, float.NaN, float.NaN] }, 1f, new LossGradients { Logits = grad });
        Assert.Equal(1f, value, Tol);
        Assert.Equal([-0.6666667f, -0.6666667f, 0.6666667f], grad, Tol);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.3f)]
    [InlineData(1f)]
    public void Gradient_MatchesFiniteDifferences(float alpha)
    {
        var rng = new Random(13);
        float[] s = KdLossTests.Random(rng, 7, 2);
        float[] t = KdLossTests.Random(rng, 7, 2);
        float[] y = KdLossTests.Random(rng, 7, 2);
        y[3] = float.NaN;
        var loss = new RegressionDistillationLoss(alpha);
        float[] grad = new float[7];
        loss.Forward(new LossBatch { Rows = 7, Classes = 1, StudentLogits = s, TeacherLogits = t, Targets = y }, 1f, new LossGradients { Logits = grad });
        GradientCheck.AssertMatches(
            () => loss.Forward(new LossBatch { Rows = 7, Classes = 1, StudentLogits = s, TeacherLogits = t, Targets = y }, 1f, new LossGradients { Logits = new float[7] }),
            s, grad, "d regression KD / d prediction");
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void Constructor_AlphaOutsideUnitInterval_ThrowsQuotingIt(float alpha)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new RegressionDistillationLoss(alpha));
        Assert.Equal("alpha", ex.ParamName);
        Assert.Contains("alpha must be in [0, 1]", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"but was {alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}", ex.Message, StringComparison.Ordinal);
    }
}
