using System.Text.Json;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Cli;

/// <summary>The user story "the teacher labels synthetic rows too": <c>distill --augment</c> on breast cancer with the binary teacher.</summary>
[Collection("Console")]
public sealed class DistillAugmentTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Distill_AugmentSpunge_ReportHasAugmentationAndCountsTheSyntheticRows()
    {
        var (code, output, error) = Distill("spunge:factor=5", "--baseline");

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(_temp.File("r.json"))).RootElement;
        var augmentation = json.GetProperty("augmentation");
        Assert.Equal("spunge", augmentation.GetProperty("method").GetString());
        Assert.Equal(2260, augmentation.GetProperty("syntheticRows").GetInt64()); // 5 × the 452 training rows left after holding out 117
        Assert.Equal(0.5, augmentation.GetProperty("settings").GetProperty("resample").GetDouble());
        Assert.Equal(5, augmentation.GetProperty("settings").GetProperty("factor").GetDouble());
        Assert.InRange(augmentation.GetProperty("teacherSeconds").GetDouble(), 0, 60);
        Assert.InRange(augmentation.GetProperty("teacherShare").GetDouble(), 0, 1);
        Assert.Equal(569 + 2260, json.GetProperty("teacherRowsScored").GetInt64());
        Assert.Contains("generating 2,260 synthetic rows by spunge", error, StringComparison.Ordinal);
        Assert.Contains("augment  spunge: 2,260 synthetic rows", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Distill_WithoutAugment_ReportHasNullAugmentation()
    {
        var (code, _, error) = Distill(null);

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(_temp.File("r.json"))).RootElement;
        Assert.Equal(JsonValueKind.Null, json.GetProperty("augmentation").ValueKind);
        Assert.Equal(569, json.GetProperty("teacherRowsScored").GetInt64());
    }

    [Theory]
    [InlineData("smote", "Unknown augmentation 'smote'")]
    [InlineData("mixup:a=0", "but was 0")]
    [InlineData("spunge:factor=0", "but was 0")]
    [InlineData("munge:a=1", "Unknown option 'a' for munge")]
    public void Distill_BadAugmentSpec_OneLineErrorNamingTheFlagAndMethods(string spec, string expected)
    {
        var (code, _, error) = Distill(spec);

        Assert.NotEqual(0, code);
        Assert.Contains("error: --augment: '" + spec + "'", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter", error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.File("r.json")));
    }

    [Fact]
    public void Distill_AugmentWithSoftLabelsOnly_ErrorSaysTheCacheCannotLabelNewRows()
    {
        string data = TestPaths.Fixture("breast_cancer.csv");
        string cache = _temp.File("cache.parquet");
        Assert.Equal(0, CliRunner.Run("score", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--data", data, "--label", "label", "--out", cache).ExitCode);

        var (code, _, error) = CliRunner.Run("distill", "--soft-labels", cache, "--train", data, "--label", "label", "--student", "sdca",
            "--augment", "spunge", "--out", _temp.File("s.zip"), "--report", _temp.File("r.json"));

        Assert.NotEqual(0, code);
        Assert.Contains("--augment needs --teacher: soft labels from a cache (--soft-labels) cannot label new rows", error, StringComparison.Ordinal);
    }

    private (int Code, string Output, string Error) Distill(string? augment, params string[] extra)
    {
        var args = new List<string>
        {
            "distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"), "--label", "label",
            "--student", "sdca:iterations=10", "--out", _temp.File("s.zip"), "--report", _temp.File("r.json"),
        };
        if (augment is not null)
        {
            args.AddRange(["--augment", augment]);
        }

        args.AddRange(extra);
        return CliRunner.Run([.. args]);
    }
}
