using MLNetDistill.Students.Mlp;
using MLNetDistill.Numerics;

namespace MLNetDistill.Tests.Students.Mlp;

public sealed class OptimizerTests
{
    private static readonly FloatComparer Tol = new(1e-6);
    private static readonly float[][] Grads = [[0.1f, -0.2f, 0.3f], [0.05f, 0.4f, -0.1f], [-0.3f, 0.0f, 0.2f]];

    [Fact]
    public void AdamW_MatchesPyTorch()
    {
        // torch.optim.AdamW([p], lr=0.1, weight_decay=0.01), three steps (Fixtures/make_mlp_golden.py, PyTorch 1.13).
        var store = Store(out _);
        using var pool = new ComputePool(1);
        var adam = new AdamWOptimizer(store, pool, weightDecay: 0.01f);
        foreach (float[] g in Grads)
        {
            g.CopyTo(store.Gradients, 0);
            adam.Step(0.1f);
        }

        Assert.Equal([0.83880049f, -1.9590796f, 0.29841092f], store.Values, Tol);
    }

    [Fact]
    public void SgdNesterov_MatchesPyTorch()
    {
        // torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01), three steps.
        var store = Store(out _);
        using var pool = new ComputePool(1);
        var sgd = new SgdOptimizer(store, pool, momentum: 0.9f, nesterov: true, weightDecay: 0.01f);
        foreach (float[] g in Grads)
        {
            g.CopyTo(store.Gradients, 0);
            sgd.Step(0.1f);
        }

        Assert.Equal([1.0011458f, -2.0236111f, 0.3821851f], store.Values, Tol);
    }

    [Theory]
    [InlineData("adamw")]
    [InlineData("sgd")]
    public void Goldens_HoldOnTheVectorPathToo(string which)
    {
        // The 3-value golden case repeated 33 times (99 values: six full vectors and a tail), two threads.
        var builder = new ParameterStore.Builder();
        builder.Matrix(1, 99);
        var store = builder.Build();
        for (int i = 0; i < 99; i++)
        {
            store.Values[i] = new[] { 1.0f, -2.0f, 0.5f }[i % 3];
        }

        using var pool = new ComputePool(2);
        IOptimizer optimizer = which == "adamw"
            ? new AdamWOptimizer(store, pool, weightDecay: 0.01f)
            : new SgdOptimizer(store, pool, momentum: 0.9f, nesterov: true, weightDecay: 0.01f);
        foreach (float[] g in Grads)
        {
            for (int i = 0; i < 99; i++)
            {
                store.Gradients[i] = g[i % 3];
            }

            optimizer.Step(0.1f);
        }

        float[] expected = which == "adamw" ? [0.83880049f, -1.9590796f, 0.29841092f] : [1.0011458f, -2.0236111f, 0.3821851f];
        for (int i = 0; i < 99; i++)
        {
            Assert.Equal(expected[i % 3], store.Values[i], Tol);
        }
    }

    [Fact]
    public void AdamW_LongVectors_VectorAndScalarPathsAgree_AndBiasesAreNotDecayed()
    {
        var builder = new ParameterStore.Builder();
        var weight = builder.Matrix(7, 9);
        var bias = builder.Vector(40000);
        var store = builder.Build();
        var rng = new Random(3);
        float[] values = MlpGradientTests.Random(rng, store.Length, 1);
        values.CopyTo(store.Values, 0);
        using var pool = new ComputePool(2);
        var adam = new AdamWOptimizer(store, pool, weightDecay: 0.5f);
        store.Gradients.AsSpan().Clear();
        adam.Step(0.1f);

        // Zero gradient: Adam's step is 0, so only decay moves anything, and only the weight matrix.
        for (int i = 0; i < weight.Length; i++)
        {
            Assert.Equal(values[weight.Offset + i] * (1f - 0.05f), weight.Values[i], Tol);
        }

        Assert.Equal(values.AsSpan(bias.Offset, bias.Length).ToArray(), bias.Values.ToArray());
    }

    [Fact]
    public void Schedule_WarmsUpLinearly_ThenFollowsCosine()
    {
        var schedule = new LearningRateSchedule(1f, warmupSteps: 4, totalSteps: 14, cosine: true);
        Assert.Equal(0.25f, schedule.At(0), Tol);
        Assert.Equal(1f, schedule.At(3), Tol);
        Assert.Equal(1f, schedule.At(4), Tol);
        Assert.Equal(0.5f, schedule.At(9), Tol); // half-way through the 10 decay steps: (1 + cos(pi / 2)) / 2
        Assert.Equal(0f, schedule.At(14), Tol);
        Assert.Equal(0.3f, new LearningRateSchedule(0.3f, 0, 10, cosine: false).At(7), Tol);
    }

    private static ParameterStore Store(out ParameterTensor tensor)
    {
        var builder = new ParameterStore.Builder();
        tensor = builder.Matrix(1, 3);
        var store = builder.Build();
        new float[] { 1.0f, -2.0f, 0.5f }.CopyTo(store.Values, 0);
        return store;
    }
}
