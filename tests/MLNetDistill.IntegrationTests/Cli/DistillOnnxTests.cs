using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLNetDistill.Tests.Cli;

/// <summary><c>distill</c> ships tree and linear students as ONNX too: STUDENT.onnx beside STUDENT.zip, named in the report.</summary>
[Collection("Console")]
public sealed class DistillOnnxTests
{
    [Fact]
    public void Distill_SdcaStudent_WritesOnnxBesideZipAndNamesItInReport()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string model = Path.Combine(folder, "student.zip");
        string report = Path.Combine(folder, "report.json");
        var (code, text, error) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"),
            "--label", "label", "--student", "sdca", "--seed", "3", "--out", model, "--report", report);

        Assert.True(code == 0, error);
        string onnx = Path.Combine(folder, "student.onnx");
        Assert.True(File.Exists(model));
        Assert.True(File.Exists(onnx), text);
        Assert.Contains($"onnx     {onnx}", text, StringComparison.Ordinal);
        var json = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        Assert.Equal("student.onnx", json.GetProperty("onnx").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("onnxNote").ValueKind);

        // The file is a model ONNX Runtime serves: one input Features [N, 30].
        using var session = new InferenceSession(onnx);
        Assert.Equal("Features", Assert.Single(session.InputMetadata).Key);
        var rows = new DenseTensor<float>(new float[2 * 30], [2, 30]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", rows)]);
        // The binary teacher's two classes: a score per class per row, as the zip's Score column.
        Assert.Equal([2, 2], results.Single(r => r.Name == "Score.output").AsTensor<float>().Dimensions.ToArray());
    }

    [Fact]
    public void Distill_LogitMatchingStudent_WritesOnnxWithArgMaxAndNoNote()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string model = Path.Combine(folder, "student.zip");
        string report = Path.Combine(folder, "report.json");
        var (code, text, error) = CliRunner.Run("distill", "--teacher", TestPaths.FashionTeacher, "--train", TestPaths.FashionImages,
            "--student", "logits:fasttree:trees=2,leaves=4", "--seed", "3", "--out", model, "--report", report);

        Assert.True(code == 0, error);
        string onnx = Path.Combine(folder, "student.onnx");
        Assert.True(File.Exists(onnx), text);
        var json = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        Assert.Equal("student.onnx", json.GetProperty("onnx").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("onnxNote").ValueKind);
        using var session = new InferenceSession(onnx);
        Assert.Equal(["PredictedLabel.output", "Score.output"], session.OutputMetadata.Keys.Order(StringComparer.Ordinal));
    }
}
