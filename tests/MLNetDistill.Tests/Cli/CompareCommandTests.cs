using System.Text.Json;
using MLNetDistill.Cli.Commands;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Cli;

[Collection("Console")]
public sealed class CompareCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string[] Args(params string[] extra) =>
    [
        "compare", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"), "--label", "label", .. extra,
    ];

    [Fact]
    public void Compare_BreastCancerThreeStudents_WritesReportsAndModelsAndPrintsThePick()
    {
        string folder = Path.Combine(_temp.Path, "out");

        var (code, output, error) = CliRunner.Run(Args("--students", "sdca;lbfgs:iterations=20;mlp:8:epochs=5,batch=32;sdca", "--within", "5%", "--seed", "1", "--out", folder));

        Assert.True(code == 0, error);
        foreach (string file in new[] { "leaderboard.json", "report.md", "tradeoff.png", "report.html", "sdca.zip", "lbfgs_iterations=20.zip", "mlp_8_epochs=5,batch=32.zip", "mlp_8_epochs=5,batch=32.onnx" })
        {
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        }

        Assert.Contains("warning: 'sdca' is given twice: it is trained once.", error, StringComparison.Ordinal);
        Assert.Contains("mlp:8:epochs=5,batch=32: epoch 1/5, train loss ", error, StringComparison.Ordinal); // redirected output shows the MLP's epochs too
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "leaderboard.json"))).RootElement;
        Assert.Equal(0.05, json.GetProperty("accuracyTolerance").GetDouble(), 12);
        Assert.Equal(3, json.GetProperty("students").GetArrayLength());
        Assert.Equal(["sdca"], json.GetProperty("duplicates").EnumerateArray().Select(d => d.GetString()));
        string chosen = json.GetProperty("chosen").GetString()!; // all three reach 95 % of the teacher on this easy set
        Assert.Contains("teacher ", output, StringComparison.Ordinal);
        Assert.Contains($"pick: {chosen}: the lowest size", output, StringComparison.Ordinal);
        Assert.Contains(output.Split('\n'), line => line.StartsWith(chosen + " ", StringComparison.Ordinal) && line.Contains("<- chosen", StringComparison.Ordinal));
    }

    [Fact]
    public void Compare_UnlabeledTest_RanksOnAgreementAndPicksNone()
    {
        string train = _temp.File("train.csv");
        string test = _temp.File("test.csv");
        FashionCsv.Write(train, 300, "label");
        FashionCsv.Write(test, 100, labelName: null);
        string folder = Path.Combine(_temp.Path, "out");

        var (code, output, error) = CliRunner.Run("compare", "--teacher", TestPaths.FashionTeacher, "--train", train, "--test", test, "--label", "label",
            "--students", "sdca;lbfgs:iterations=10", "--out", folder);

        Assert.True(code == 0, error);
        Assert.Contains("has no label column: students are ranked on agreement", error, StringComparison.Ordinal);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "leaderboard.json"))).RootElement;
        Assert.Equal("agreement", json.GetProperty("quality").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("chosen").ValueKind);
        Assert.Contains(json.GetProperty("students").EnumerateArray(), s => s.GetProperty("pareto").GetBoolean());
        Assert.Contains("No pick: the teacher's accuracy on the test rows is unknown", output, StringComparison.Ordinal);
        Assert.Contains("accuracy is not measured (n/a), the students are ranked on agreement", output, StringComparison.Ordinal);
        string sdcaLine = output.Split('\n').Single(l => l.StartsWith("sdca ", StringComparison.Ordinal));
        Assert.StartsWith("n/a", sdcaLine["sdca".Length..].TrimStart(), StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", output, StringComparison.Ordinal);
        Assert.Contains("front is drawn on agreement", File.ReadAllText(Path.Combine(folder, "report.md")), StringComparison.Ordinal);
        Assert.Contains("<b>The test rows have no labels.</b>", File.ReadAllText(Path.Combine(folder, "report.html")), StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_TrainWithoutLabelsAndPseudoBaseline_RanksOnAgreementAndReportsThePseudoTwins()
    {
        string[] lines = File.ReadAllLines(TestPaths.Fixture("breast_cancer.csv"));
        string train = _temp.Write("unlabeled.csv", string.Concat(lines.Select(l => l[..l.LastIndexOf(',')] + "\n")));
        string folder = Path.Combine(_temp.Path, "out");

        var (code, output, error) = CliRunner.Run("compare", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", train,
            "--students", "sdca;lbfgs:iterations=10", "--pseudo-baseline", "--out", folder);

        Assert.True(code == 0, error);
        Assert.Contains("has no label column: the students learn from the soft labels alone", error, StringComparison.Ordinal);
        Assert.Contains("the held-out test rows have no labels either", error, StringComparison.Ordinal);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "leaderboard.json"))).RootElement;
        Assert.Equal("agreement", json.GetProperty("quality").GetString());
        Assert.All(json.GetProperty("students").EnumerateArray(), s =>
        {
            Assert.Equal("NaN", s.GetProperty("pseudoBaselineAccuracy").GetString());
            Assert.InRange(s.GetProperty("pseudoBaselineAgreement").GetDouble(), 0.8, 1.0);
            Assert.InRange(s.GetProperty("agreement").GetDouble(), 0.8, 1.0);
        });
        Assert.Contains("pseudo agreement", output, StringComparison.Ordinal);
        Assert.Contains("## Soft labels vs pseudo-labels", File.ReadAllText(Path.Combine(folder, "report.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_SweepTemperaturesAndAlphas_WritesOneRecordPerStudentTemperatureAndAlpha()
    {
        string folder = Path.Combine(_temp.Path, "out");

        var (code, _, error) = CliRunner.Run(Args("--students", "sdca;logits:fasttree:trees=5", "--temperatures", "1, 4", "--alphas", "0.5,0.9", "--out", folder));

        Assert.True(code == 0, error);
        Assert.Contains("warning: 'logits:fasttree:trees=5' fits the teacher's raw logits", error, StringComparison.Ordinal);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "leaderboard.json"))).RootElement;
        var records = json.GetProperty("students").EnumerateArray().ToList();
        var sdca = records.Where(r => r.GetProperty("name").GetString()!.StartsWith("sdca@", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, records.Count);
        Assert.Equal([(1.0, 0.5), (1.0, 0.9), (4.0, 0.5), (4.0, 0.9)],
            sdca.Select(r => (r.GetProperty("temperature").GetDouble(), Math.Round(r.GetProperty("alpha").GetDouble(), 6))));
        Assert.Equal("sdca@T=4,alpha=0.9", sdca[3].GetProperty("name").GetString());
        Assert.Equal("sdca_T=4,alpha=0.9.zip", sdca[3].GetProperty("modelFile").GetString());
        Assert.All(sdca, r => Assert.True(File.Exists(Path.Combine(folder, r.GetProperty("modelFile").GetString()!)), r.GetProperty("modelFile").GetString()));
        var logits = Assert.Single(records, r => r.GetProperty("name").GetString() == "logits:fasttree:trees=5");
        Assert.Equal(JsonValueKind.Null, logits.GetProperty("temperature").ValueKind);
        Assert.Equal(JsonValueKind.Null, logits.GetProperty("alpha").ValueKind);

        // The teacher scored every row once (569 breast-cancer rows: training and held-out test), not once per trial.
        Assert.Equal(569, json.GetProperty("teacherRowsScored").GetInt64());

        // report.md gives each trial's own T and alpha, not one T for the run.
        string md = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains("| model | T | alpha | accuracy |", md, StringComparison.Ordinal);
        Assert.Contains("| sdca@T=4,alpha=0.9 | 4 | 0.9 | ", md, StringComparison.Ordinal);
        Assert.Contains("| logits:fasttree:trees=5 | n/a | n/a | ", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_CostLatency_RanksOnP50AndWritesLatencyOfEveryModel()
    {
        string folder = Path.Combine(_temp.Path, "out");

        var (code, output, error) = CliRunner.Run(Args("--students", "sdca;lbfgs:iterations=20", "--cost", "latency", "--within", "5%", "--out", folder));

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "leaderboard.json"))).RootElement;
        Assert.Equal("latency", json.GetProperty("costAxis").GetString());
        var students = json.GetProperty("students").EnumerateArray().ToList();
        Assert.Equal(2, students.Count);
        Assert.All(students, s =>
        {
            Assert.Equal(s.GetProperty("latencyP50Microseconds").GetDouble(), s.GetProperty("cost").GetDouble());
            Assert.True(s.GetProperty("latencyP50Microseconds").GetDouble() > 0);
            Assert.True(s.GetProperty("onnxLatencyP50Microseconds").GetDouble() > 0);
        });
        var teacher = json.GetProperty("teacher");
        Assert.True(teacher.GetProperty("latencyP50Microseconds").GetDouble() > 0);
        Assert.Equal(teacher.GetProperty("latencyP50Microseconds").GetDouble(), json.GetProperty("teacherCost").GetDouble());
        string chosen = json.GetProperty("chosen").GetString()!;
        double fastest = students.Min(s => s.GetProperty("cost").GetDouble());
        Assert.Equal(fastest, students.Single(s => s.GetProperty("name").GetString() == chosen).GetProperty("cost").GetDouble());
        Assert.Contains($"pick: {chosen}: the lowest latency", output, StringComparison.Ordinal);
        Assert.Contains("p50 µs*", output.Split('\n')[0], StringComparison.Ordinal);
        Assert.Single(output.Split('\n')[0].Split("p50 µs")[1..]);
        Assert.Contains("* the cost axis: single-row latency through ML.NET", output, StringComparison.Ordinal);
        Assert.Contains("## Serving cost", File.ReadAllText(Path.Combine(folder, "report.md")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--temperatures", "1,x", "--temperatures 1,x: 'x' is not a number")]
    [InlineData("--temperatures", "1,0", "--temperatures: temperatures[1] is 0, but a temperature must be positive and finite")]
    [InlineData("--alphas", "0,5", "--alphas: alphas[1] is 5, but alpha must be in [0, 1]")]
    [InlineData("--alphas", "0.5;0.9", "--alphas 0.5;0.9: '0.5;0.9' is not a number")]
    [InlineData("--cost", "speed", "--cost speed is not a cost axis")]
    [InlineData("--within", "abc", "--within abc is not a percentage")]
    [InlineData("--within", "100%", "--within 100% is not a percentage")]
    [InlineData("--time-budget", "soon", "--time-budget soon is not a positive duration")]
    [InlineData("--students", " ; ", "names no student")]
    [InlineData("--students", "xgboost", "--students: Unknown student 'xgboost'")]
    public void Compare_BadOption_ExitsNonZeroNamingIt(string option, string value, string expected)
    {
        var (code, _, error) = CliRunner.Run(Args(option, value, "--out", Path.Combine(_temp.Path, "o")));

        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "o")));
    }

    [Fact]
    public void Compare_OutIsAFile_ExitsNonZeroNamingIt()
    {
        string file = _temp.Write("taken.txt", "x");

        var (code, _, error) = CliRunner.Run(Args("--students", "sdca", "--out", file));

        Assert.Equal(2, code);
        Assert.Contains($"--out {file} is a file", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_OutCannotBeWritten_FailsBeforeScoringNamingTheFolder()
    {
        var (code, output, error) = CliRunner.Run(Args("--students", "sdca", "--out", "/proc/mlnetdistill-no-such-folder"));

        Assert.Equal(2, code);
        Assert.Contains("error: The output folder '/proc/mlnetdistill-no-such-folder' cannot be written to", error, StringComparison.Ordinal);
        Assert.DoesNotContain("trial 1", error + output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("1.5h", 5400)]
    [InlineData("00:02:00", 120)]
    public void ParseBudget_Text_GivesDuration(string text, double seconds) => Assert.Equal(seconds, CompareCommand.ParseBudget(text).TotalSeconds);

    [Theory]
    [InlineData("2%", 0.02)]
    [InlineData("2", 0.02)]
    [InlineData("0.5 %", 0.005)]
    public void ParseWithin_Percentage_GivesShare(string text, double share) => Assert.Equal(share, CompareCommand.ParseWithin(text), 12);
}
