using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Cli;

[Collection("Console")]
public sealed class DistillCommandTests
{
    [Fact]
    public void Distill_OutInFolderThatCannotBeWritten_FailsBeforeScoringNamingTheFolder()
    {
        string report = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"), "report.json");

        var (code, output, error) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"),
            "--label", "label", "--student", "sdca", "--out", "/proc/mlnetdistill-no-such-folder/student.zip", "--report", report);

        Assert.NotEqual(0, code);
        Assert.Contains("error: The output folder '/proc/mlnetdistill-no-such-folder' cannot be written to", error, StringComparison.Ordinal);
        Assert.DoesNotContain("scoring", error + output, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(report));
    }

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
    public void Distill_TransferWithCacheButNoTeacher_ExitsNamingTeacher()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string cache = Path.Combine(folder, "cache.parquet");
        string data = TestPaths.Fixture("breast_cancer.csv");
        Assert.Equal(0, CliRunner.Run("score", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--data", data, "--label", "label", "--out", cache).ExitCode);
        var (code, _, error) = CliRunner.Run("distill", "--train", data, "--label", "label", "--soft-labels", cache, "--transfer", data, "--student", "sdca",
            "--out", Path.Combine(folder, "s.zip"), "--report", Path.Combine(folder, "r.json"));
        Assert.NotEqual(0, code);
        Assert.StartsWith("error: --transfer needs --teacher", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder, "r.json")));
    }

    [Theory]
    [InlineData("sdca", ".parquet")]
    [InlineData("lightgbm:trees=20", ".csv")]
    [InlineData("mlp:16:epochs=10,batch=32", ".parquet")]
    public void Distill_FromScoreCache_MatchesRunningTheTeacher(string student, string cacheExtension)
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string cache = Path.Combine(folder, "cache" + cacheExtension);
        string teacher = TestPaths.Fixture("binary_teacher.onnx");
        string data = TestPaths.Fixture("breast_cancer.csv");
        Assert.Equal(0, CliRunner.Run("score", "--teacher", teacher, "--data", data, "--label", "label", "--out", cache).ExitCode);
        string[] common = ["distill", "--teacher", teacher, "--train", data, "--test", data, "--label", "label", "--student", student, "--seed", "7"];
        var (code1, _, error1) = CliRunner.Run([.. common, "--out", Path.Combine(folder, "a.zip"), "--report", Path.Combine(folder, "a.json")]);
        var (code2, _, error2) = CliRunner.Run([.. common, "--soft-labels", cache, "--out", Path.Combine(folder, "b.zip"), "--report", Path.Combine(folder, "b.json")]);
        Assert.True(code1 == 0, error1);
        Assert.True(code2 == 0, error2);

        // One code path: the cache read back is the teacher's live output, so the same model and the same figures.
        Assert.Equal(ReportFigures(Path.Combine(folder, "a.json"), "student"), ReportFigures(Path.Combine(folder, "b.json"), "student"));
        Assert.Equal(ReportFigures(Path.Combine(folder, "a.json"), "teacher"), ReportFigures(Path.Combine(folder, "b.json"), "teacher"));
        Assert.Equal(ZipEntries(Path.Combine(folder, "a.zip")), ZipEntries(Path.Combine(folder, "b.zip")));
        var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "b.json"))).RootElement;
        Assert.Equal(569, b.GetProperty("teacherRowsScored").GetInt64()); // the test rows only: the training rows came from the cache
    }

    [Fact]
    public void Distill_CacheWithoutTest_HoldsOutRowsOfTheCachedData()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string cache = Path.Combine(folder, "cache.parquet");
        string teacher = TestPaths.Fixture("binary_teacher.onnx");
        string data = TestPaths.Fixture("breast_cancer.csv");
        Assert.Equal(0, CliRunner.Run("score", "--teacher", teacher, "--data", data, "--label", "label", "--out", cache).ExitCode);
        string[] common = ["distill", "--train", data, "--label", "label", "--student", "sdca", "--seed", "5"];
        var (code1, _, error1) = CliRunner.Run([.. common, "--teacher", teacher, "--out", Path.Combine(folder, "a.zip"), "--report", Path.Combine(folder, "a.json")]);
        var (code2, _, error2) = CliRunner.Run([.. common, "--soft-labels", cache, "--out", Path.Combine(folder, "b.zip"), "--report", Path.Combine(folder, "b.json")]);
        Assert.True(code1 == 0, error1);
        Assert.True(code2 == 0, error2);
        Assert.Equal(ReportFigures(Path.Combine(folder, "a.json"), "student"), ReportFigures(Path.Combine(folder, "b.json"), "student"));

        // The held-out rows carry the cached teacher outputs, so the teacher is measured without its model (whose size is then unknown).
        Assert.Equal(ReportFigures(Path.Combine(folder, "a.json"), "teacher").Replace("modelBytes=1501", "", StringComparison.Ordinal),
            ReportFigures(Path.Combine(folder, "b.json"), "teacher").Replace("modelBytes=0", "", StringComparison.Ordinal));
        var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "a.json"))).RootElement;
        var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "b.json"))).RootElement;
        Assert.Equal(569, a.GetProperty("teacherRowsScored").GetInt64());
        Assert.Equal(0, b.GetProperty("teacherRowsScored").GetInt64());
        Assert.True(b.GetProperty("testHeldOut").GetBoolean());
        Assert.Equal(569, b.GetProperty("trainRows").GetInt64() + b.GetProperty("testRows").GetInt64());
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
        var student = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "r.json"))).RootElement.GetProperty("student");
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
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains(FileFingerprint.Sha256(TestPaths.Fixture("binary_teacher.onnx")), error, StringComparison.Ordinal);
        Assert.Contains(FileFingerprint.Sha256(TestPaths.FashionTeacher), error, StringComparison.Ordinal);
    }

    [Fact]
    public void Distill_CacheFromOtherData_FailsNamingBothFingerprints()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string cache = Path.Combine(folder, "cache.parquet");
        string teacher = TestPaths.Fixture("binary_teacher.onnx");
        string data = TestPaths.Fixture("breast_cancer.csv");
        Assert.Equal(0, CliRunner.Run("score", "--teacher", teacher, "--data", data, "--label", "label", "--out", cache).ExitCode);

        // The same rows but one value changed: another file, so another fingerprint.
        string[] lines = File.ReadAllLines(data);
        lines[1] = "2" + lines[1][1..];
        string other = Path.Combine(folder, "other.csv");
        File.WriteAllLines(other, lines);
        var (code, _, error) = CliRunner.Run("distill", "--teacher", teacher, "--train", other, "--label", "label", "--student", "sdca",
            "--soft-labels", cache, "--out", Path.Combine(folder, "s.zip"), "--report", Path.Combine(folder, "r.json"));
        Assert.NotEqual(0, code);
        Assert.Contains(FileFingerprint.Data(data, 569), error, StringComparison.Ordinal);
        Assert.Contains(FileFingerprint.Data(other, 569), error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder, "s.zip")));
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
            var s = JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("student");
            return $"{s.GetProperty("accuracy").GetDouble()} {s.GetProperty("logLoss").GetDouble()} {s.GetProperty("agreement").GetDouble()} {s.GetProperty("modelBytes").GetInt64()}";
        }

        Assert.Equal(Metrics(Path.Combine(folder, "a.json")), Metrics(Path.Combine(folder, "b.json")));
    }

    /// <summary>Every figure of one report entry but the training time, as text: two equal models give equal strings.</summary>
    internal static string ReportFigures(string reportPath, string who)
    {
        var entry = JsonDocument.Parse(File.ReadAllText(reportPath)).RootElement.GetProperty(who);
        return string.Join(" ", new[] { "accuracy", "macroF1", "logLoss", "agreement", "klToTeacher", "modelBytes" }.Select(f => $"{f}={entry.GetProperty(f).GetRawText()}"));
    }

    /// <summary>
    /// The entries of a model zip (names and contents), to compare two models byte for byte. ML.NET writes the blocks of a
    /// binary data view (<c>.idv</c>, such as a MapValue table) from parallel workers in whichever order they finish, so those
    /// are compared by their rows instead.
    /// </summary>
    internal static List<string> ZipEntries(string zipPath)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        return [.. zip.Entries.Select(e =>
        {
            using var stream = e.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return e.FullName + ":" + (e.FullName.EndsWith(".idv", StringComparison.Ordinal)
                ? IdvRows(buffer.ToArray())
                : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(buffer.ToArray())));
        })];
    }

    private static string IdvRows(byte[] idv)
    {
        string path = TestPaths.TempFile(".idv");
        File.WriteAllBytes(path, idv);
        try
        {
            var preview = new MLContext(0).Data.LoadFromBinary(path).Preview(maxRows: 10_000);
            Assert.NotEmpty(preview.RowView);
            return string.Join(";", preview.RowView.Select(r => string.Join(",", r.Values.Select(v => $"{v.Key}={v.Value}"))));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
