using System.Text.Json;

namespace MLNetDistill.Tests.Cli;

[Collection("Console")]
public sealed class DistillCommandTests
{
    [Theory]
    [InlineData("lbfgs:iterations=30")]
    [InlineData("mlp:32:epochs=20,batch=32")]
    [InlineData("mlp:16:epochs=20,batch=32,loss=hint")]
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

[Collection("Console")]
public sealed class DistillCacheAndSeedTests
{
    [Fact]
    public void Distill_FromScoreCache_MatchesRunningTheTeacher()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string cache = Path.Combine(folder, "cache.parquet");
        string teacher = TestPaths.Fixture("binary_teacher.onnx");
        string data = TestPaths.Fixture("breast_cancer.csv");
        Assert.Equal(0, CliRunner.Run("score", "--teacher", teacher, "--data", data, "--label", "label", "--out", cache).ExitCode);
        string[] common = ["distill", "--teacher", teacher, "--train", data, "--test", data, "--label", "label", "--student", "sdca", "--seed", "7"];
        var (code1, _, error1) = CliRunner.Run([.. common, "--out", Path.Combine(folder, "a.zip"), "--report", Path.Combine(folder, "a.json")]);
        var (code2, _, error2) = CliRunner.Run([.. common, "--soft-labels", cache, "--out", Path.Combine(folder, "b.zip"), "--report", Path.Combine(folder, "b.json")]);
        Assert.True(code1 == 0, error1);
        Assert.True(code2 == 0, error2);
        var a = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "a.json"))).RootElement.GetProperty("student");
        var b = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "b.json"))).RootElement.GetProperty("student");
        // Same soft labels through the cache; SDCA may still end a row or two apart, so the metrics agree to 1%.
        Assert.InRange(Math.Abs(a.GetProperty("accuracy").GetDouble() - b.GetProperty("accuracy").GetDouble()), 0, 0.01);
        Assert.InRange(Math.Abs(a.GetProperty("agreement").GetDouble() - b.GetProperty("agreement").GetDouble()), 0, 0.01);
    }

    [Fact]
    public void Distill_SoftLabelsMadeElsewhereWithoutTeacher_TrainsAndReportsLabelMetrics()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string cache = Path.Combine(folder, "cache.csv");
        Assert.Equal(0, CliRunner.Run("score", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--data", TestPaths.Fixture("breast_cancer.csv"), "--label", "label", "--out", cache).ExitCode);
        var (code, _, error) = CliRunner.Run("distill", "--train", TestPaths.Fixture("breast_cancer.csv"), "--test", TestPaths.Fixture("breast_cancer.csv"), "--label", "label",
            "--student", "sdca", "--soft-labels", cache, "--out", Path.Combine(folder, "s.zip"), "--report", Path.Combine(folder, "r.json"));
        Assert.True(code == 0, error);
        var student = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "r.json"))).RootElement.GetProperty("student");
        Assert.InRange(student.GetProperty("accuracy").GetDouble(), 0.9, 1.0);
        Assert.Equal("NaN", student.GetProperty("agreement").GetString());
    }

    [Fact]
    public void Distill_CacheFromOtherTeacher_FailsNamingBothHashes()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string cache = Path.Combine(folder, "cache.parquet");
        Assert.Equal(0, CliRunner.Run("score", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--data", TestPaths.Fixture("breast_cancer.csv"), "--label", "label", "--out", cache).ExitCode);
        var (code, _, error) = CliRunner.Run("distill", "--teacher", TestPaths.FashionTeacher, "--train", TestPaths.Fixture("breast_cancer.csv"), "--test", TestPaths.Fixture("breast_cancer.csv"),
            "--label", "label", "--student", "sdca", "--soft-labels", cache, "--out", Path.Combine(folder, "s.zip"), "--report", Path.Combine(folder, "r.json"));
        Assert.NotEqual(0, code);
        Assert.Contains("teacher", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Distill_SameSeedTwice_SameModelAndMetrics()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string[] common = ["distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"), "--label", "label",
            "--student", "lightgbm:trees=20", "--seed", "11"];
        Assert.Equal(0, CliRunner.Run([.. common, "--out", Path.Combine(folder, "a.zip"), "--report", Path.Combine(folder, "a.json")]).ExitCode);
        Assert.Equal(0, CliRunner.Run([.. common, "--out", Path.Combine(folder, "b.zip"), "--report", Path.Combine(folder, "b.json")]).ExitCode);
        static string Metrics(string path)
        {
            var s = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("student");
            return $"{s.GetProperty("accuracy").GetDouble()} {s.GetProperty("logLoss").GetDouble()} {s.GetProperty("agreement").GetDouble()} {s.GetProperty("modelBytes").GetInt64()}";
        }

        Assert.Equal(Metrics(Path.Combine(folder, "a.json")), Metrics(Path.Combine(folder, "b.json")));
    }
}
