using System.Text.Json;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Reports;
using MLNetDistill.Teachers;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Experiments;

/// <summary>Budgeted teacher labeling on the digits fixtures: the teacher scores only the rows bought, the curves, the selectors' golden picks, the experiment's REPORT.json.</summary>
public sealed class BudgetedLabelingTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly MLContext _ml = new(seed: 0);

    public void Dispose() => _temp.Dispose();

    private static string Teacher => TestPaths.Fixture("digits_teacher.onnx");

    private IDataView Train => DataSourceReader.Load(TestPaths.Fixture("digits_train.csv"), "label");

    private IDataView Test => DataSourceReader.Load(TestPaths.Fixture("digits_test.csv"), "label");

    /// <summary>Rows with the teacher's columns, in memory (scored before the run, so the run's calls can be counted apart).</summary>
    private IDataView Scored(TeacherScoringTransformer teacher, IDataView rows)
    {
        var cached = _ml.Data.Cache(teacher.Transform(rows), [.. teacher.Transform(rows).Schema.Where(c => !c.IsHidden).Select(c => c.Name)]);
        _ = ViewRows.Count(cached);
        return cached;
    }

    [Theory]
    [InlineData(BudgetSelection.Margin)]
    [InlineData(BudgetSelection.Entropy)]
    [InlineData(BudgetSelection.Diverse)]
    [InlineData(BudgetSelection.Random)]
    public void Run_NoRandomComparison_TeacherScoresExactlyTheRowsBought(BudgetSelection selection)
    {
        using var teacher = _ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = Teacher }).Fit(Train);
        var labeled = Scored(teacher, _ml.Data.TakeRows(Train, 60));
        var test = Scored(teacher, Test);
        var pool = _ml.Data.SkipRows(Train, 60);
        long before = teacher.RowsScored;

        var result = new BudgetedLabeling(_ml, new BudgetOptions { Calls = 90, Rounds = 3, Selection = selection, CompareRandom = false, Student = "sdca:iterations=5" })
            .Run(teacher, labeled, pool, test);

        Assert.Equal(90, teacher.RowsScored - before);
        Assert.Equal(90, result.TeacherCalls);
        Assert.Equal(90, result.Bought);
        Assert.Equal(90.0, result.Cost);
        Assert.Equal(3, result.Rounds);
        Assert.Equal(1018, result.PoolRows);
        Assert.Equal(selection.ToString().ToLowerInvariant(), result.Strategy);
        Assert.Equal([0, 30, 60, 90], result.Curve.Select(p => p.Bought));
        Assert.Equal(90, ViewRows.Count(result.BoughtRows));
        Assert.Equal(90, result.BoughtPositions.Distinct().Count());
        Assert.Contains(DataColumnNames.TeacherLogits, ViewRows.ColumnNames(result.BoughtRows));
        Assert.All(result.Curve, p => Assert.InRange(p.Agreement, 0.5, 1.0));
        if (selection == BudgetSelection.Random)
        {
            Assert.Same(result.Curve, result.Random); // random selection is its own comparison: no second curve to pay for
        }
        else
        {
            Assert.Empty(result.Random);
        }
    }

    [Fact]
    public void Run_MarginWithRandomComparison_BothCurvesShareStartAndBudgetsAndEachRowIsScoredOnce()
    {
        using var teacher = _ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = Teacher }).Fit(Train);
        var labeled = Scored(teacher, _ml.Data.TakeRows(Train, 60));
        var test = Scored(teacher, Test);
        long before = teacher.RowsScored;
        var reports = new List<DistillationProgress>();

        var result = new BudgetedLabeling(_ml, new BudgetOptions { PoolFraction = 0.1, Rounds = 4, Student = "sdca:iterations=5", Seed = 3 })
            .Run(teacher, labeled, _ml.Data.SkipRows(Train, 60), test, new Recorder(reports));

        Assert.Equal(102, result.Bought); // 10 % of 1,018 rows, rounded
        Assert.Equal(teacher.RowsScored - before, result.TeacherCalls);
        Assert.InRange(result.TeacherCalls, 103, 204); // the random rows the margin did not buy, each scored once
        Assert.Equal(result.Curve.Select(p => p.Bought), result.Random.Select(p => p.Bought));
        Assert.Equal([0, 25, 51, 76, 102], result.Curve.Select(p => p.Bought));
        Assert.Equal(result.Curve[0], result.Random[0]);
        Assert.Equal(4, reports.Count(r => r.Message.StartsWith("budget round ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Run_MarginOnDigits_AgreesWithTheTeacherMoreThanRandomAtTheFullBudget()
    {
        // Deterministic (seeded SDCA on one thread, seeded permutation): margin's last point beats random's on these rows.
        using var teacher = _ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = Teacher }).Fit(Train);
        var result = new BudgetedLabeling(_ml, new BudgetOptions { Calls = 150, Rounds = 5, Student = "sdca" })
            .Run(teacher, _ml.Data.TakeRows(Train, 50), _ml.Data.SkipRows(Train, 50), Test);

        Assert.True(result.Curve[^1].Agreement > result.Random[^1].Agreement,
            $"margin {result.Curve[^1].Agreement:F4} vs random {result.Random[^1].Agreement:F4}");
        Assert.True(result.Curve[^1].Agreement > result.Curve[0].Agreement);
    }

    [Fact]
    public void Run_SameSeed_SameRowsAndCurves()
    {
        using var teacher = _ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = Teacher }).Fit(Train);
        BudgetedLabelingResult Once() => new BudgetedLabeling(_ml, new BudgetOptions { Calls = 40, Rounds = 2, Selection = BudgetSelection.Diverse, Student = "sdca:iterations=5" })
            .Run(teacher, _ml.Data.TakeRows(Train, 60), _ml.Data.SkipRows(Train, 60), _ml.Data.TakeRows(Test, 200));

        var (a, b) = (Once(), Once());

        Assert.Equal(a.BoughtPositions, b.BoughtPositions);
        Assert.Equal(a.Curve, b.Curve);
        Assert.Equal(a.Random, b.Random);
    }

    [Fact]
    public void Run_LargerBudgetSameBatches_RandomCurveStartsTheSame()
    {
        // The random rows at 40 calls are the same rows in the same (pool) order whether the margin bought 40 or 80 rows
        // first, so the students and their points are the same: a point never depends on when its rows were bought.
        using var teacher = _ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = Teacher }).Fit(Train);
        BudgetedLabelingResult Spend(int calls) => new BudgetedLabeling(_ml, new BudgetOptions { Calls = calls, Rounds = calls / 20, Student = "sdca:iterations=5" })
            .Run(teacher, _ml.Data.TakeRows(Train, 60), _ml.Data.SkipRows(Train, 60), _ml.Data.TakeRows(Test, 300));

        var (small, large) = (Spend(40), Spend(80));

        Assert.Equal(small.Random, large.Random.Take(3));
        Assert.Equal(small.Curve, large.Curve.Take(3));
    }

    [Fact]
    public void Run_BudgetLargerThanPool_ThrowsNamingBothSizes()
    {
        using var teacher = _ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = Teacher }).Fit(Train);
        var budget = new BudgetedLabeling(_ml, new BudgetOptions { Calls = 5000, Student = "sdca" });

        var e = Assert.Throws<ArgumentException>(() => budget.Run(teacher, _ml.Data.TakeRows(Train, 60), _ml.Data.SkipRows(Train, 60), Test));

        Assert.Equal("Calls", e.ParamName);
        Assert.Contains("5,000", e.Message, StringComparison.Ordinal);
        Assert.Contains("1,018", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, "Calls")]
    [InlineData(10, 0.5, "Calls")]
    [InlineData(0, null, "Calls")]
    [InlineData(null, 1.5, "PoolFraction")]
    public void Constructor_BadBudget_ThrowsNamingTheOption(int? calls, double? share, string option)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new BudgetedLabeling(_ml, new BudgetOptions { Calls = calls, PoolFraction = share, Student = "sdca" }));

        Assert.Equal(option, e.ParamName);
    }

    [Fact]
    public void Constructor_NoStudent_ThrowsAskingForASpec()
    {
        var e = Assert.Throws<ArgumentException>(() => new BudgetedLabeling(_ml, new BudgetOptions { Calls = 10 }));

        Assert.Contains("BudgetOptions.Student", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_Margin_PicksTheSmallestMarginsNotBought()
    {
        float[] p =
        [
            0.9f, 0.1f, 0f,     // margin 0.8
            0.5f, 0.45f, 0.05f, // 0.05
            0.4f, 0.3f, 0.3f,   // 0.1
            0.34f, 0.33f, 0.33f, // 0.01, bought
            0.6f, 0.4f, 0f,     // 0.2
        ];

        int[] picked = BudgetRowSelector.Select(p, 3, [false, false, false, true, false], 2, BudgetSelection.Margin, 4);

        Assert.Equal([1, 2], picked);
    }

    [Fact]
    public void Select_Entropy_PicksTheFlattestRows()
    {
        float[] p =
        [
            0.5f, 0.5f, 0f,        // entropy ln 2 = 0.693, margin 0
            0.34f, 0.33f, 0.33f,   // 1.0985
            0.9f, 0.05f, 0.05f,    // 0.394
        ];

        Assert.Equal([1], BudgetRowSelector.Select(p, 3, new bool[3], 1, BudgetSelection.Entropy, 4));
        Assert.Equal([0], BudgetRowSelector.Select(p, 3, new bool[3], 1, BudgetSelection.Margin, 4)); // margin prefers the two-class tie
    }

    [Fact]
    public void Select_Diverse_SpreadsTheBatchOverDifferentConfusions()
    {
        // Three rows torn between classes 0 and 1 (margins 0, 0.02, 0.04) and one torn between 2 and 3 (margin 0.06):
        // margin takes the three 0-vs-1 rows, diverse takes the least sure of them, then the 2-vs-3 row.
        float[] p =
        [
            0.5f, 0.5f, 0f, 0f,
            0.51f, 0.49f, 0f, 0f,
            0.52f, 0.48f, 0f, 0f,
            0f, 0f, 0.53f, 0.47f,
            1f, 0f, 0f, 0f,
        ];

        Assert.Equal([0, 1], BudgetRowSelector.Select(p, 4, new bool[5], 2, BudgetSelection.Margin, 4));
        Assert.Equal([0, 3], BudgetRowSelector.Select(p, 4, new bool[5], 2, BudgetSelection.Diverse, 2));
        Assert.Equal([0, 1], BudgetRowSelector.Select(p, 4, new bool[5], 2, BudgetSelection.Diverse, 1)); // one candidate per pick: plain margin
    }

    [Fact]
    public void Run_ExperimentWithBudget_StudentsLearnFromBoughtRowsAndReportHasTheBudgetObject()
    {
        var options = new DistillationExperimentOptions { TeacherModelFile = Teacher, Budget = new BudgetOptions { Calls = 60, Rounds = 2 } };
        options.Students.Add(DistillationStudent.FromSpec("sdca:iterations=5"));

        using var result = new DistillationExperiment(_ml, options).Run(_ml.Data.TakeRows(Train, 80), Test, transfer: _ml.Data.SkipRows(Train, 80));

        var budget = result.Budget!;
        Assert.Equal(60, result.TransferRows);
        Assert.Equal(budget.TeacherCalls, result.TeacherScoring.TransferRows);
        Assert.Equal("sdca:iterations=5", budget.Student);
        // The experiment's student learned from the same rows as the curve's last point, with the same seed: the same model.
        Assert.Equal(budget.Curve[^1].Agreement, result.Students[0].Distilled.Metrics.Agreement, 12);
        string path = _temp.File("report.json");
        DistillationResultWriter.WriteReport(DistillationReport.From(result, result.Students[0]), path);
        var json = JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("budget");
        Assert.Equal("margin", json.GetProperty("strategy").GetString());
        Assert.Equal(60, json.GetProperty("bought").GetInt32());
        Assert.Equal(2, json.GetProperty("rounds").GetInt32());
        Assert.Equal(budget.TeacherCalls, json.GetProperty("teacherCalls").GetInt64());
        Assert.Equal(budget.TeacherCalls, json.GetProperty("cost").GetDouble());
        Assert.Equal(["bought", "accuracy", "agreement"], json.GetProperty("curve")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(3, json.GetProperty("random").GetArrayLength());
        Assert.False(json.TryGetProperty("boughtRows", out _));
        Assert.Contains("mlnd-budget", result.ToHtmlReport().ToString(), StringComparison.Ordinal); // the experiment's HTML carries the curves
    }

    [Fact]
    public void Run_ExperimentWithBudgetButNoTransferRows_ThrowsAskingForThePool()
    {
        var options = new DistillationExperimentOptions { TeacherModelFile = Teacher, Budget = new BudgetOptions { Calls = 60 } };
        options.Students.Add(DistillationStudent.FromSpec("sdca"));

        var e = Assert.Throws<ArgumentException>(() => new DistillationExperiment(_ml, options).Run(Train, Test));

        Assert.Equal("transfer", e.ParamName);
    }

    [Fact]
    public void Run_NoBudget_ReportBudgetIsNull()
    {
        var options = new DistillationExperimentOptions { TeacherModelFile = Teacher };
        options.Students.Add(DistillationStudent.FromSpec("sdca:iterations=2"));
        using var result = new DistillationExperiment(_ml, options).Run(_ml.Data.TakeRows(Train, 200), Test);
        string path = _temp.File("report.json");

        DistillationResultWriter.WriteReport(DistillationReport.From(result, result.Students[0]), path);

        Assert.Null(result.Budget);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("budget").ValueKind);
    }

    private sealed class Recorder(List<DistillationProgress> reports) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value) => reports.Add(value);
    }
}
