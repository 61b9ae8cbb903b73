using System.Text.Json;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Cli;

/// <summary><c>distill</c> and <c>compare</c> with <c>--cascade-target</c> / <c>--cascade-max-deferred</c> on the digits teacher: the cascade in REPORT.json and leaderboard.json, the chart, and the errors.</summary>
[Collection("Console")]
public sealed class CascadeCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string[] Digits(string command) =>
    [
        command, "--teacher", TestPaths.Fixture("digits_teacher.onnx"), "--train", TestPaths.Fixture("digits_train.csv"),
        "--test", TestPaths.Fixture("digits_test.csv"), "--label", "label",
    ];

    [Fact]
    public void Distill_CascadeTarget_ReportHasTheCascadeAndItsPointIsOnTheCurve()
    {
        string report = _temp.File("REPORT.json");

        var (code, output, error) = CliRunner.Run([.. Digits("distill"), "--student", "sdca", "--cascade-target", "99.5%", "--out", _temp.File("s.zip"), "--report", report]);

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        var cascade = json.GetProperty("cascade");
        Assert.Equal("topProbability", cascade.GetProperty("rule").GetString());
        Assert.Equal(JsonValueKind.Number, cascade.GetProperty("threshold").ValueKind);
        double deferred = cascade.GetProperty("deferredShare").GetDouble();
        double accuracy = cascade.GetProperty("accuracy").GetDouble();
        Assert.InRange(deferred, 0.001, 0.5);
        Assert.Equal(deferred * 1000, cascade.GetProperty("teacherCallsPer1000").GetDouble(), 3);
        Assert.Equal(JsonValueKind.Null, cascade.GetProperty("costPer1000").ValueKind);
        Assert.True(cascade.GetProperty("targetMet").GetBoolean());
        Assert.True(accuracy > json.GetProperty("student").GetProperty("accuracy").GetDouble());
        Assert.InRange(cascade.GetProperty("agreement").GetDouble(), json.GetProperty("student").GetProperty("agreement").GetDouble(), 1.0);
        // At least 20 points from 0 to 100 % deferred: the student alone, then the teacher alone.
        var curve = cascade.GetProperty("curve").EnumerateArray().ToList();
        Assert.True(curve.Count >= 21);
        Assert.Equal(0, curve[0].GetProperty("deferredShare").GetDouble());
        Assert.Equal(json.GetProperty("student").GetProperty("accuracy").GetDouble(), curve[0].GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(1, curve[^1].GetProperty("deferredShare").GetDouble());
        Assert.Equal(json.GetProperty("teacher").GetProperty("accuracy").GetDouble(), curve[^1].GetProperty("accuracy").GetDouble(), 12);
        // The chosen threshold's deferred share and accuracy are the curve's at that threshold.
        var chosen = Assert.Single(curve, p => p.GetProperty("threshold").ValueKind == JsonValueKind.Number
            && p.GetProperty("threshold").GetSingle() == cascade.GetProperty("threshold").GetSingle());
        Assert.Equal(deferred, chosen.GetProperty("deferredShare").GetDouble());
        Assert.Equal(accuracy, chosen.GetProperty("accuracy").GetDouble());
        // A tenth of the 1,078 training rows chose the threshold; the student learned from the rest.
        Assert.Equal(1078, json.GetProperty("trainRows").GetInt64() + cascade.GetProperty("heldOutRows").GetInt64());
        Assert.Contains("cascade  topProbability: ", output, StringComparison.Ordinal);
        Assert.Contains("of the test rows to the teacher", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Distill_NoCascadeFlag_ReportCascadeIsNullAndEveryTrainingRowIsUsed()
    {
        string report = _temp.File("plain.json");

        var (code, _, error) = CliRunner.Run([.. Digits("distill"), "--student", "sdca:iterations=5", "--out", _temp.File("p.zip"), "--report", report]);

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        Assert.Equal(JsonValueKind.Null, json.GetProperty("cascade").ValueKind);
        Assert.Equal(1078, json.GetProperty("trainRows").GetInt64());
    }

    [Fact]
    public void Compare_CascadeMaxDeferred_LeaderboardHasEachStudentsCascadeCostAndChart()
    {
        string folder = _temp.File("compare");

        var (code, output, error) = CliRunner.Run([.. Digits("compare"), "--students", "sdca:iterations=5;lightgbm:trees=10", "--cascade-max-deferred", "0.2", "--out", folder]);

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "leaderboard.json"))).RootElement;
        var students = json.GetProperty("students").EnumerateArray().ToList();
        Assert.Equal(2, students.Count);
        foreach (var student in students)
        {
            var cascade = student.GetProperty("cascade");
            Assert.Equal(cascade.GetProperty("deferredShare").GetDouble(), student.GetProperty("cascadeDeferredShare").GetDouble());
            Assert.InRange(cascade.GetProperty("heldOutDeferredShare").GetDouble(), 0, 0.2);
            // Latency is measured by compare: the cascade's cost is the student's p50 plus the deferred share of the teacher's.
            double expected = student.GetProperty("latencyP50Microseconds").GetDouble()
                + (cascade.GetProperty("deferredShare").GetDouble() * json.GetProperty("teacher").GetProperty("latencyP50Microseconds").GetDouble());
            Assert.Equal(expected, cascade.GetProperty("costPer1000").GetDouble(), 2);
            Assert.True(cascade.GetProperty("curve").GetArrayLength() >= 21);
        }

        byte[] png = File.ReadAllBytes(Path.Combine(folder, "cascade.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.Contains("<h3>Cascades</h3>", File.ReadAllText(Path.Combine(folder, "report.html")), StringComparison.Ordinal);
        string markdown = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains("## Cascades", markdown, StringComparison.Ordinal);
        Assert.Contains("![cascades](cascade.png)", markdown, StringComparison.Ordinal);
        Assert.Contains("ms per 1,000", output, StringComparison.Ordinal);
        Assert.Contains("tradeoff.png, cascade.png, report.html", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--cascade-target", "abc")]
    [InlineData("--cascade-target", "0%")]
    [InlineData("--cascade-target", "150%")]
    [InlineData("--cascade-max-deferred", "-5%")]
    public void Distill_CascadeShareNotAShare_ErrorLineNamesTheFlag(string flag, string value)
    {
        var (code, _, error) = CliRunner.Run([.. Digits("distill"), "--student", "sdca", flag, value, "--out", _temp.File("e.zip"), "--report", _temp.File("e.json")]);

        Assert.NotEqual(0, code);
        Assert.StartsWith($"error: {flag} {value} is not a share", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Compare_BothCascadeFlags_ErrorSaysGiveOne()
    {
        var (code, _, error) = CliRunner.Run([.. Digits("compare"), "--students", "sdca", "--cascade-target", "99%", "--cascade-max-deferred", "20%", "--out", _temp.File("both")]);

        Assert.NotEqual(0, code);
        Assert.StartsWith("error: --cascade-target 99% and --cascade-max-deferred 20% are both given", error, StringComparison.Ordinal);
    }
}
