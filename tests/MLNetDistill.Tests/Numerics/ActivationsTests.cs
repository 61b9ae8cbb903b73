using MLNetDistill.Students.Mlp;
using MLNetDistill.Numerics;

using MLNetDistill.Tests.Students.Mlp;

namespace MLNetDistill.Tests.Numerics;

public sealed class ActivationsTests
{
    // torch.nn.functional.gelu (erf form) and its derivative, PyTorch 1.13 (Fixtures/make_mlp_golden.py).
    private static readonly float[] X = [-5.0f, -2.5f, -1.0f, -0.3f, 0.0f, 0.2f, 0.7f, 1.5f, 3.0f, 6.0f];
    private static readonly float[] Gelu = [-1.4901161e-06f, -0.015524179f, -0.15865529f, -0.11462659f, 0f, 0.11585195f, 0.53062546f, 1.3997891f, 2.9959502f, 6f];
    private static readonly float[] GeluGrad = [-7.1227551e-06f, -0.037611067f, -0.083315432f, 0.26767227f, 0.5f, 0.65746832f, 0.97661412f, 1.1274692f, 1.0119456f, 1f];

    [Fact]
    public void Gelu_MatchesPyTorch()
    {
        float[] y = new float[X.Length];
        Activations.Gelu(X, y);
        Assert.Equal(Gelu, y, new FloatComparer(2e-6));
        float[] g = Enumerable.Repeat(1f, X.Length).ToArray();
        Activations.GeluBackward(X, g);
        Assert.Equal(GeluGrad, g, new FloatComparer(2e-6));
    }

    [Fact]
    public void Gelu_SameValueWhereverTheElementSits()
    {
        // 37 elements: two full vectors and a tail; each value must not depend on its position.
        float[] x = MlpGradientTests.Random(new Random(1), 37, 4);
        float[] y = new float[37];
        Activations.Gelu(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            float[] one = new float[1];
            Activations.Gelu([x[i]], one);
            Assert.Equal(one[0], y[i]);
        }
    }

    [Fact]
    public void Erf_IsWithinFiveTenMillionthsOfTheSeries()
    {
        for (double x = -5; x <= 5; x += 0.01)
        {
            Assert.Equal(MlpGradientTests.Erf(x), Activations.Erf((float)x), 5e-7);
        }
    }

    [Fact]
    public void Relu_AndBackward()
    {
        float[] x = [-1f, 0f, 2f, float.NaN];
        float[] y = new float[4];
        Activations.Relu(x, y);
        Assert.Equal(0f, y[0]);
        Assert.Equal(2f, y[2]);
        Assert.True(float.IsNaN(y[3]), "NaN must survive so that divergence is seen");
        float[] g = [5f, 5f, 5f, 5f];
        Activations.ReluBackward(y, g);
        Assert.Equal([0f, 0f, 5f, 0f], g);
    }
}
