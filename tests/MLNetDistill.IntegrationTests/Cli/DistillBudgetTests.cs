using System.Text.Json;

namespace MLNetDistill.Tests.Cli;

/// <summary><c>distill --budget N --select S</c> in a child process: REPORT.json's budget object, and the teacher asked only for the rows bought.</summary>
public sealed class DistillBudgetTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));

    public DistillBudgetTests()
    {
        // The digits fixture's first 100 rows are the labeled rows, the other 978 the pool.
        Directory.CreateDirectory(_folder);
        string[] lines = File.ReadAllLines(TestPaths.Fixture("digits_train.csv"));
        File.WriteAllLines(Labeled, lines.Take(101));
        File.WriteAllLines(Pool, lines.Take(1).Concat(lines.Skip(101)));
    }

    private string Labeled => Path.Combine(_folder, "labeled.csv");

    private string Pool => Path.Combine(_folder, "pool.csv");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private (int Code, string Out, string Error, string Report) Distill(params string[] budget)
    {
        string report = Path.Combine(_folder, "report.json");
        var (code, output, error) = ChildCli.Run(Timeout, ["distill", "--teacher", TestPaths.Fixture("digits_teacher.onnx"), "--train", Labeled, "--test", TestPaths.Fixture("digits_test.csv"),
            "--transfer", Pool, "--label", "label", "--student", "sdca:iterations=5", "--out", Path.Combine(_folder, "student.zip"), "--report", report, .. budget]);
        return (code, output, error, report);
    }

    [Fact]
    public void Distill_BudgetMargin_ReportHasTheCurvesAndTheTeacherScoredOnlyTheBoughtAndRandomRows()
    {
        var (code, output, error, report) = Distill("--budget", "20%", "--select", "margin", "--budget-rounds", "4");

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        var budget = json.GetProperty("budget");
        Assert.Equal(["strategy", "bought", "rounds", "teacherCalls", "cost", "curve", "random"], budget.EnumerateObject().Select(p => p.Name).Take(7));
        Assert.Equal("margin", budget.GetProperty("strategy").GetString());
        Assert.Equal(196, budget.GetProperty("bought").GetInt32()); // 20 % of 978, rounded
        Assert.Equal(4, budget.GetProperty("rounds").GetInt32());
        long calls = budget.GetProperty("teacherCalls").GetInt64();
        Assert.InRange(calls, 197, 2 * 196); // the random curve's rows the margin did not buy are scored too, once each
        Assert.Equal(calls, budget.GetProperty("cost").GetDouble());
        Assert.Equal([0, 49, 98, 147, 196], budget.GetProperty("curve").EnumerateArray().Select(p => p.GetProperty("bought").GetInt32()));
        Assert.Equal([0, 49, 98, 147, 196], budget.GetProperty("random").EnumerateArray().Select(p => p.GetProperty("bought").GetInt32()));
        Assert.Equal(196, json.GetProperty("transferRows").GetInt64());
        Assert.Equal(100 + 719 + calls, json.GetProperty("teacherRowsScored").GetInt64()); // training, test and the pool rows asked for: no other
        Assert.Equal(json.GetProperty("student").GetProperty("agreement").GetDouble(), budget.GetProperty("curve")[4].GetProperty("agreement").GetDouble(), 12);
        Assert.Contains("budget   margin: 196 of 978 transfer rows bought in 4 rounds", output, StringComparison.Ordinal);
        string chart = Path.ChangeExtension(report, ".budget.png");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(chart)[..4]);
        Assert.Contains($"chart: {chart}", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Distill_BudgetRandom_TeacherAskedExactlyTheRowsBought()
    {
        var (code, _, error, report) = Distill("--budget", "150", "--select", "random", "--budget-rounds", "3");

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        var budget = json.GetProperty("budget");
        Assert.Equal(150, budget.GetProperty("bought").GetInt32());
        Assert.Equal(150, budget.GetProperty("teacherCalls").GetInt64());
        Assert.Equal(100 + 719 + 150, json.GetProperty("teacherRowsScored").GetInt64());
    }

    [Theory]
    [InlineData("--budget", "lots", "--budget: 'lots' is neither a number of teacher calls")]
    [InlineData("--budget", "0%", "--budget: '0%' is not a share of the pool")]
    [InlineData("--budget", "5000", "--budget: The budget of 5,000 teacher calls is larger than the pool of 978 rows")]
    [InlineData("--select", "margin", "--select needs --budget")]
    [InlineData("--budget", "10", "--select", "smallest", "--select: 'smallest' is not a selection strategy")]
    public void Distill_BadBudgetFlags_PrintsOneErrorLineNamingTheFlag(params string[] argsAndMessage)
    {
        var (code, _, error, _) = Distill(argsAndMessage[..^1]);

        Assert.NotEqual(0, code);
        Assert.Contains("error: " + argsAndMessage[^1], error, StringComparison.Ordinal);
    }

    [Fact]
    public void Distill_BudgetWithoutTransfer_SaysTheBudgetNeedsThePool()
    {
        var (code, _, error) = ChildCli.Run(Timeout, "distill", "--teacher", TestPaths.Fixture("digits_teacher.onnx"), "--train", Labeled, "--label", "label",
            "--student", "sdca", "--budget", "10", "--out", Path.Combine(_folder, "s.zip"), "--report", Path.Combine(_folder, "r.json"));

        Assert.NotEqual(0, code);
        Assert.Contains("error: --budget needs --transfer", error, StringComparison.Ordinal);
    }
}
