using System.Text.Json;

namespace MLNetDistill.Tests.Cli;

[Collection("Console")]
public sealed class DistillCommandTests
{
    [Theory]
    [InlineData("lbfgs:iterations=30")]
    [InlineData("mlp:32:epochs=20,batch=32")]
    public void Distill_BreastCancerWithBaseline_WritesModelAndReportFields(string student)
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string model = Path.Combine(folder, "student.zip");
        string report = Path.Combine(folder, "report.json");
        var (code, _, error) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"),
            "--label", "label", "--student", student, "--baseline", "--seed", "3", "--out", model, "--report", report);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(model));
        var json = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        foreach (string who in new[] { "teacher", "student", "baseline" })
        {
            var entry = json.GetProperty(who);
            foreach (string field in new[] { "accuracy", "macroF1", "logLoss", "agreement", "klToTeacher", "trainSeconds", "modelBytes" })
            {
                Assert.True(entry.TryGetProperty(field, out _), $"{who}.{field} missing");
            }
        }

        Assert.InRange(json.GetProperty("student").GetProperty("accuracy").GetDouble(), 0.8, 1.0);
        Assert.True(json.GetProperty("retainedAccuracy").GetDouble() > 0.8);
        if (student.StartsWith("mlp", StringComparison.Ordinal))
        {
            Assert.True(File.Exists(Path.ChangeExtension(model, ".onnx")));
        }
    }

    [Theory]
    [InlineData("--alpha", "1.5", "--alpha")]
    [InlineData("--student", "xgboost", "Unknown student")]
    [InlineData("--temperature", "-1", "temperature")]
    public void Distill_BadOption_ExitsNonZeroNamingIt(string option, string value, string expected)
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        var args = new List<string> { "distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"), "--label", "label",
            "--out", Path.Combine(folder, "s.zip"), "--report", Path.Combine(folder, "r.json") };
        if (option != "--student")
        {
            args.AddRange(["--student", "sdca"]);
        }

        args.AddRange([option, value]);
        var (code, _, error) = CliRunner.Run(args.ToArray());
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error, StringComparison.OrdinalIgnoreCase);
    }
}
