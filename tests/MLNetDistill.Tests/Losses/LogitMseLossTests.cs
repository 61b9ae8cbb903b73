using MLNetDistill.Losses;

namespace MLNetDistill.Tests.Losses;

public sealed class LogitMseLossTests
{
    private static readonly FloatComparer Tol = new(1e-6);

    [Fact]
    public void MatchesPyTorchMseLoss()
    {
        // F.mse_loss(s, t) and its gradient, from Fixtures/make_mlp_golden.py (PyTorch 1.13).
        float[] s = [1.0f, -0.5f, 2.0f, 0.3f, 0.8f, -1.2f];
        float[] t = [2.0f, 0.5f, 1.0f, -0.4f, 1.5f, 0.2f];
        float[] grad = new float[6];
        float value = new LogitMseLoss(3).Forward(new LossBatch { Rows = 2, Classes = 3, StudentLogits = s, TeacherLogits = t }, 1f, new LossGradients { Logits = grad });
        Assert.Equal(0.99000007f, value, Tol);
        Assert.Equal([-0.33333334f, -0.33333334f, 0.33333334f, 0.23333335f, -0.23333333f, -0.4666667f], grad, Tol);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var rng = new Random(9);
        float[] s = KdLossTests.Random(rng, 12, 2);
        float[] t = KdLossTests.Random(rng, 12, 2);
        var loss = new LogitMseLoss(4);
        float[] grad = new float[12];
        loss.Forward(new LossBatch { Rows = 3, Classes = 4, StudentLogits = s, TeacherLogits = t }, 1f, new LossGradients { Logits = grad });
        GradientCheck.AssertMatches(
            () => loss.Forward(new LossBatch { Rows = 3, Classes = 4, StudentLogits = s, TeacherLogits = t }, 1f, new LossGradients { Logits = new float[12] }),
            s, grad, "d MSE / d logits");
    }

    [Fact]
    public void WithoutTeacherLogits_ThrowsSayingSo()
    {
        var ex = Assert.Throws<ArgumentException>(() => new LogitMseLoss(3).Forward(
            new LossBatch { Rows = 1, Classes = 3, StudentLogits = new float[3], TeacherProbabilities = new float[3] }, 1f, new LossGradients { Logits = new float[3] }));
        Assert.Contains("teacher's logits", ex.Message);
    }
}
