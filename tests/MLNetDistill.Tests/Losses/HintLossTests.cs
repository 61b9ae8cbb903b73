using MLNetDistill.Losses;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Numerics;

namespace MLNetDistill.Tests.Losses;

public sealed class HintLossTests
{
    private static readonly FloatComparer Tol = new(2e-6);

    [Fact]
    public void MatchesPyTorchMseOfLinearProjection()
    {
        // F.mse_loss(F.linear(h, W, b), hint) and its gradients, from Fixtures/make_mlp_golden.py (PyTorch 1.13).
        var (loss, _) = Create(4, 3, 2);
        float[] h = [0.5f, -1.0f, 2.0f, 0.0f, 1.5f, 0.25f, -0.5f, 1.0f];
        float[] hint = [0.3f, -0.2f, 1.0f, 0.0f, 0.5f, -0.7f];
        new float[] { 0.1f, 0.2f, -0.3f, 0.4f, -0.5f, 0.6f, 0.7f, -0.8f, 0.9f, -1.0f, 0.0f, 0.5f }.CopyTo(loss.Weight.Values);
        new float[] { 0.05f, -0.1f, 0.2f }.CopyTo(loss.Bias.Values);
        float[] gradH = new float[8];
        float value = loss.Forward(Batch(h, hint), 1f, new LossGradients { Logits = new float[2], Hidden = gradH });
        Assert.Equal(2.3762498f, value, Tol);
        Assert.Equal([0.053333357f, -0.15333337f, 0.25166667f, -0.19833332f, 1.1683333f, -1.25f, -0.62833333f, 1.1500001f], gradH, Tol);
        Assert.Equal([0.23333335f, 0.40000001f, -0.80000001f, 0.26666668f, -1.0666666f, -0.41249999f, 0.82499999f, -0.7833333f, 1.3583333f, -0.0083333552f, 0.01666671f, 0.83333337f],
            loss.Weight.Gradients.ToArray(), Tol);
        Assert.Equal([-0.066666663f, -0.5666666f, 1.0500001f], loss.Bias.Gradients.ToArray(), Tol);
    }

    [Fact]
    public void Gradients_MatchFiniteDifferences()
    {
        var rng = new Random(4);
        var (loss, store) = Create(6, 5, 4);
        loss.Initialize(7);
        float[] h = KdLossTests.Random(rng, 4 * 6, 1.5);
        float[] hint = KdLossTests.Random(rng, 4 * 5, 1);
        float[] gradH = new float[h.Length];
        loss.Forward(Batch(h, hint, 6, 5), 1f, new LossGradients { Logits = new float[4], Hidden = gradH });
        float[] gradParams = store.Gradients.ToArray();
        float Value() => loss.Forward(Batch(h, hint, 6, 5), 1f, new LossGradients { Logits = new float[4], Hidden = new float[h.Length] });
        GradientCheck.AssertMatches(Value, h, gradH, "d hint / d h");
        GradientCheck.AssertMatches(Value, store.Values, gradParams, "d hint / d projection");
    }

    [Fact]
    public void WrongHintSize_ThrowsNamingBoth()
    {
        var (loss, _) = Create(4, 3, 2);
        var ex = Assert.Throws<ArgumentException>(() => loss.Forward(Batch(new float[8], new float[4], 4, 2), 1f, new LossGradients { Logits = new float[2], Hidden = new float[8] }));
        Assert.Contains("hint of 3", ex.Message);
    }

    private static (HintLoss Loss, ParameterStore Store) Create(int hidden, int hint, int rows)
    {
        var builder = new ParameterStore.Builder();
        var loss = new HintLoss(hidden, hint, rows, builder);
        return (loss, builder.Build());
    }

    private static LossBatch Batch(float[] h, float[] hint, int hidden = 4, int hintSize = 3) => new()
    {
        Rows = h.Length / hidden,
        Classes = 1,
        StudentLogits = new float[h.Length / hidden],
        StudentHidden = h,
        HiddenSize = hidden,
        TeacherHint = hint,
        HintSize = hintSize,
    };
}
