using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Data;
using MLNetDistill.Onnx;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Numerics;

namespace MLNetDistill.Tests.Students.Mlp;

public sealed class OnnxStudentWriterTests
{
    [Theory]
    [InlineData(MlpActivation.ReLU, false, 1)]
    [InlineData(MlpActivation.ReLU, true, 7)]
    [InlineData(MlpActivation.Gelu, false, 33)]
    [InlineData(MlpActivation.Gelu, true, 257)]
    public void ToBytes_RandomInputs_OnnxRuntimeMatchesManagedForward(MlpActivation activation, bool layerNorm, int rows)
    {
        var model = MlpModel.Create(37, [19, 11], 5, activation, layerNorm, seed: 3);
        var rng = new Random(rows);
        if (layerNorm)
        {
            // Move the layer-norm parameters away from their (1, 0) start so the test sees them.
            foreach (var layer in model.Layers)
            {
                foreach (ref float v in layer.LayerNormScale is null ? [] : layer.LayerNormScale.Values)
                {
                    v = (float)(0.5 + rng.NextDouble());
                }

                foreach (ref float v in layer.LayerNormBias is null ? [] : layer.LayerNormBias.Values)
                {
                    v = (float)(rng.NextDouble() - 0.5);
                }
            }
        }

        float[] x = Enumerable.Range(0, rows * 37).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        AssertSame(model, x, rows);
    }

    [Fact]
    public void ToBytes_RealFashionRows_OnnxRuntimeMatchesManagedForward()
    {
        var (pixels, rows, cols, _) = IdxReader.ReadAll(TestPaths.FashionImages);
        var model = MlpModel.Create(cols, [64], 10, seed: 11);
        AssertSame(model, pixels.AsSpan(0, 100 * cols).ToArray(), 100);
        Assert.Equal(10_000, rows);
    }

    [Fact]
    public void ToBytes_Model_HasStandardInputsOutputsAndOpset()
    {
        var model = MlpModel.Create(8, [4], 3, seed: 1);
        string path = TestPaths.TempFile(".onnx");
        File.WriteAllBytes(path, OnnxStudentWriter.ToBytes(model));
        var info = OnnxModelInfo.Load(path);
        Assert.Equal("[batch, 8]", Assert.Single(info.Inputs).ShapeText);
        Assert.Equal(["logits", "probabilities"], info.Outputs.Select(o => o.Name));
        Assert.Equal(13, info.Opset);
        Assert.Equal(8 * 4 + 4 + 4 * 3 + 3, info.ParameterCount);
    }

    private static void AssertSame(MlpModel model, float[] x, int rows)
    {
        int k = model.OutputSize;
        float[] expected = new float[rows * k];
        model.Predict(x, rows, expected);
        using var session = new InferenceSession(OnnxStudentWriter.ToBytes(model));
        using var input = OrtValue.CreateTensorValueFromMemory(x, [rows, model.InputSize]);
        using var outputs = session.Run(new RunOptions(), ["features"], [input], ["logits", "probabilities"]);
        var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var probabilities = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal(expected, logits, new FloatComparer(1e-5));
        float[] p = new float[k];
        for (int r = 0; r < rows; r++)
        {
            MLNetDistill.Numerics.SoftLabelMath.Softmax(expected.AsSpan(r * k, k), 1f, p);
            Assert.Equal(p, probabilities.AsSpan(r * k, k).ToArray(), new FloatComparer(1e-5));
        }
    }
}
