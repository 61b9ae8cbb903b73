using MLNetDistill.Losses;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Numerics;

namespace MLNetDistill.Tests.Students.Mlp;

/// <summary>
/// The whole network's gradients (every weight, bias and layer-norm parameter) against central differences of an
/// independent double-precision reference of the same network and loss.
/// </summary>
public sealed class MlpGradientTests
{
    private const int Inputs = 5;
    private const int Classes = 4;
    private const int Rows = 3;
    private const float T = 2f;
    private const float Alpha = 0.6f;

    [Theory]
    [InlineData(MlpActivation.ReLU, false)]
    [InlineData(MlpActivation.ReLU, true)]
    [InlineData(MlpActivation.Gelu, false)]
    [InlineData(MlpActivation.Gelu, true)]
    public void Backward_MatchesDoublePrecisionFiniteDifferences(MlpActivation activation, bool layerNorm)
    {
        int[] hidden = [7, 6];
        var model = MlpModel.Create(Inputs, hidden, Classes, activation, layerNorm, 0f, seed: 3);
        var rng = new Random(1);
        if (layerNorm)
        {
            // Move gain and shift away from 1 and 0 so that their gradients are tested in general position.
            foreach (var layer in model.Layers)
            {
                if (layer.LayerNormScale is { } g)
                {
                    foreach (ref float v in g.Values)
                    {
                        v = 1f + (float)((rng.NextDouble() - 0.5) * 0.6);
                    }

                    foreach (ref float v in layer.LayerNormBias!.Values)
                    {
                        v = (float)((rng.NextDouble() - 0.5) * 0.6);
                    }
                }
            }
        }

        float[] x = Random(rng, Rows * Inputs, 1.5);
        float[] teacher = new float[Rows * Classes];
        for (int r = 0; r < Rows; r++)
        {
            SoftLabelMath.Softmax(Random(rng, Classes, 2), T, teacher.AsSpan(r * Classes, Classes));
        }

        int[] labels = [2, -1, 0];
        const int guided = 0;
        double[] c = Array.ConvertAll(Random(rng, Rows * hidden[guided], 1), v => (double)v);

        // Analytic: our float forward, KD loss, an extra linear term sum(C * act) on hidden layer 0, backward.
        var net = new MlpPropagator(model, Rows, new GemmContext(), training: true);
        net.HiddenGradient(guided, Rows);
        net.Forward(x, Rows, training: true, dropoutKey: 0);
        Span<float> logitGrad = net.LogitGradients(Rows);
        logitGrad.Clear();
        new KdLoss(T, Alpha, Classes).Forward(
            new LossBatch { Rows = Rows, Classes = Classes, StudentLogits = net.Logits(Rows), TeacherProbabilities = teacher, Labels = labels },
            1f, new LossGradients { Logits = logitGrad });
        Span<float> hiddenGrad = net.HiddenGradient(guided, Rows);
        for (int i = 0; i < hiddenGrad.Length; i++)
        {
            hiddenGrad[i] = (float)c[i];
        }

        net.Backward(x, Rows);
        float[] analytic = model.Parameters.Gradients.ToArray();

        // Numeric, in double.
        double[] theta = Array.ConvertAll(model.Parameters.Values, v => (double)v);
        double maxAbs = analytic.Max(Math.Abs);
        const double h = 1e-6;
        for (int i = 0; i < theta.Length; i++)
        {
            double saved = theta[i];
            theta[i] = saved + h;
            double plus = ReferenceLoss(model, theta, x, teacher, labels, guided, c);
            theta[i] = saved - h;
            double minus = ReferenceLoss(model, theta, x, teacher, labels, guided, c);
            theta[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            double tolerance = (2e-4 * Math.Abs(numeric)) + (2e-5 * maxAbs) + 1e-6;
            if (Math.Abs(numeric - analytic[i]) > tolerance)
            {
                Assert.Fail($"{activation}, layer norm {layerNorm}: parameter {i} ({Describe(model, i)}) analytic {analytic[i]} vs numeric {numeric}");
            }
        }

        // And the forward pass itself agrees with the reference.
        double reference = ReferenceLoss(model, theta, x, teacher, labels, guided, new double[c.Length]);
        net.Forward(x, Rows, training: false, 0);
        float ours = new KdLoss(T, Alpha, Classes).Forward(
            new LossBatch { Rows = Rows, Classes = Classes, StudentLogits = net.Logits(Rows), TeacherProbabilities = teacher, Labels = labels },
            1f, new LossGradients { Logits = new float[Rows * Classes] });
        Assert.Equal(reference, ours, 1e-5);
    }

    [Fact]
    public void Dropout_BackwardMatchesItsOwnForward_AndDropsAboutTheRate()
    {
        var model = MlpModel.Create(6, [64, 32], 3, MlpActivation.Gelu, layerNorm: true, dropoutRate: 0.3f, seed: 5);
        var rng = new Random(2);
        const int rows = 8;
        float[] x = Random(rng, rows * 6, 1);
        float[] teacher = new float[rows * 3];
        for (int r = 0; r < rows; r++)
        {
            SoftLabelMath.Softmax(Random(rng, 3, 2), 1f, teacher.AsSpan(r * 3, 3));
        }

        var net = new MlpPropagator(model, rows, new GemmContext(), training: true);
        var loss = new KdLoss(1f, 1f, 3);
        float Loss(bool backward)
        {
            net.Forward(x, rows, training: true, dropoutKey: 1234);
            Span<float> g = net.LogitGradients(rows);
            g.Clear();
            float value = loss.Forward(new LossBatch { Rows = rows, Classes = 3, StudentLogits = net.Logits(rows), TeacherProbabilities = teacher }, 1f,
                new LossGradients { Logits = g });
            if (backward)
            {
                net.Backward(x, rows);
            }

            return value;
        }

        Loss(backward: true);
        float[] grad = model.Parameters.Gradients.ToArray();
        double norm = Math.Sqrt(grad.Sum(g => (double)g * g));
        float[] theta = model.Parameters.Values;
        float[] saved = theta.ToArray();
        const float h = 1e-3f;
        for (int i = 0; i < theta.Length; i++)
        {
            theta[i] = saved[i] + (float)(h * grad[i] / norm);
        }

        double plus = Loss(false);
        for (int i = 0; i < theta.Length; i++)
        {
            theta[i] = saved[i] - (float)(h * grad[i] / norm);
        }

        double minus = Loss(false);
        saved.CopyTo(theta, 0);
        Assert.Equal(norm, (plus - minus) / (2 * h), norm * 2e-2);

        // The masks: about 30% zeros, the rest 1 / 0.7; and inference applies none.
        net.Forward(x, rows, training: true, dropoutKey: 99);
        float[] trainingLogits = net.Logits(rows).ToArray();
        net.Forward(x, rows, training: false, 0);
        Assert.NotEqual(trainingLogits, net.Logits(rows).ToArray());
        float[] big = Random(rng, 4000 * 6, 1);
        var wide = MlpModel.Create(6, [100], 3, MlpActivation.ReLU, false, 0.3f, seed: 1);
        var wideNet = new MlpPropagator(wide, 4000, new GemmContext(), training: true);
        wideNet.Forward(big, 4000, training: true, dropoutKey: 7);
        float[] dropped = wideNet.HiddenOutput(0, 4000).ToArray();
        wideNet.Forward(big, 4000, training: false, 0);
        float[] kept = wideNet.HiddenOutput(0, 4000).ToArray();
        Assert.Equal(kept, dropped); // HiddenOutput is before dropout
    }

    [Fact]
    public void DropoutMasks_DropAboutTheRate_AndDoNotDependOnTheSplit()
    {
        const int n = 100_003;
        float[] act = Enumerable.Repeat(2f, n).ToArray();
        float[] mask = new float[n];
        float[] output = new float[n];
        MlpPropagator.DropoutForward(act, mask, output, 0.3f, key: 12345, firstElement: 0);
        int zeros = mask.Count(m => m == 0f);
        Assert.InRange(zeros / (double)n, 0.29, 0.31);
        Assert.All(mask, m => Assert.True(m == 0f || m == 1f / 0.7f));
        Assert.Equal(output, Array.ConvertAll(mask, m => 2f * m));

        // Two pieces, split at an odd place, give the same masks as one piece.
        float[] pieces = new float[n];
        float[] scratch = new float[n];
        MlpPropagator.DropoutForward(act.AsSpan(0, 777), pieces.AsSpan(0, 777), scratch.AsSpan(0, 777), 0.3f, 12345, 0);
        MlpPropagator.DropoutForward(act.AsSpan(777), pieces.AsSpan(777), scratch.AsSpan(777), 0.3f, 12345, 777);
        Assert.Equal(mask, pieces);
    }

    internal static double ReferenceLoss(MlpModel model, double[] theta, float[] x, float[] teacher, int[] labels, int guided, double[] c)
    {
        int rows = x.Length / model.InputSize;
        double[] input = Array.ConvertAll(x, v => (double)v);
        double extra = 0;
        foreach (var layer in model.Layers)
        {
            int inSize = layer.InputSize, outSize = layer.OutputSize;
            double[] z = new double[rows * outSize];
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < outSize; j++)
                {
                    double sum = theta[layer.Bias.Offset + j];
                    for (int p = 0; p < inSize; p++)
                    {
                        sum += input[(r * inSize) + p] * theta[layer.Weight.Offset + (j * inSize) + p];
                    }

                    z[(r * outSize) + j] = sum;
                }
            }

            if (layer.IsOutput)
            {
                input = z;
                break;
            }

            if (layer.LayerNormScale is { } gamma)
            {
                for (int r = 0; r < rows; r++)
                {
                    double mean = 0, variance = 0;
                    for (int j = 0; j < outSize; j++)
                    {
                        mean += z[(r * outSize) + j];
                    }

                    mean /= outSize;
                    for (int j = 0; j < outSize; j++)
                    {
                        variance += Math.Pow(z[(r * outSize) + j] - mean, 2);
                    }

                    variance /= outSize;
                    for (int j = 0; j < outSize; j++)
                    {
                        double xhat = (z[(r * outSize) + j] - mean) / Math.Sqrt(variance + 1e-5);
                        z[(r * outSize) + j] = (theta[gamma.Offset + j] * xhat) + theta[layer.LayerNormBias!.Offset + j];
                    }
                }
            }

            for (int i = 0; i < z.Length; i++)
            {
                z[i] = layer.Activation == MlpActivation.ReLU ? Math.Max(z[i], 0) : 0.5 * z[i] * (1 + Erf(z[i] / Math.Sqrt(2)));
            }

            if (layer.Index == guided)
            {
                for (int i = 0; i < z.Length; i++)
                {
                    extra += c[i] * z[i];
                }
            }

            input = z;
        }

        int k = model.OutputSize;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            double[] s = input[(r * k)..((r + 1) * k)];
            double[] logQ = LogSoftmax(s, T);
            double kl = 0;
            for (int j = 0; j < k; j++)
            {
                double p = teacher[(r * k) + j];
                kl += p > 0 ? p * (Math.Log(p) - logQ[j]) : 0;
            }

            int label = labels[r];
            double alpha = label < 0 ? 1 : Alpha;
            total += alpha * T * T * kl;
            if (label >= 0)
            {
                total += (1 - alpha) * -LogSoftmax(s, 1)[label];
            }
        }

        return (total / rows) + extra;
    }

    private static double[] LogSoftmax(double[] s, double t)
    {
        double max = s.Max();
        double sum = s.Sum(v => Math.Exp((v - max) / t));
        return Array.ConvertAll(s, v => ((v - max) / t) - Math.Log(sum));
    }

    /// <summary>erf by its Maclaurin series (exact to double rounding for |x| &lt;= 3), +-1 beyond 6.</summary>
    internal static double Erf(double x)
    {
        if (Math.Abs(x) > 6)
        {
            return Math.Sign(x);
        }

        double sum = 0, term = x;
        for (int n = 0; n < 200; n++)
        {
            sum += term / ((2 * n) + 1);
            term *= -x * x / (n + 1);
        }

        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    private static string Describe(MlpModel model, int index)
    {
        foreach (var layer in model.Layers)
        {
            foreach (var (name, tensor) in new[] { ("weight", layer.Weight), ("bias", layer.Bias), ("ln gain", layer.LayerNormScale), ("ln shift", layer.LayerNormBias) })
            {
                if (tensor is not null && index >= tensor.Offset && index < tensor.Offset + tensor.Length)
                {
                    return $"layer {layer.Index} {name}[{index - tensor.Offset}]";
                }
            }
        }

        return "?";
    }

    internal static float[] Random(Random rng, int count, double scale)
    {
        float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(((rng.NextDouble() * 2) - 1) * scale);
        }

        return values;
    }
}
