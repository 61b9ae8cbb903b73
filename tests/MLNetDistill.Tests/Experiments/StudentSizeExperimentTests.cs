using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Experiments;

namespace MLNetDistill.Tests.Experiments;

public sealed class StudentSizeExperimentTests
{
    private readonly MLContext _ml = new(seed: 0);

    private IDataView Fashion => _ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 600);

    private static string BinaryTeacher => TestPaths.Fixture("binary_teacher.onnx");

    private IDataView Cancer => DataSourceReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label");

    [Fact]
    public void Run_ThreeFamiliesOnFashion_ScoresTeacherOnceAndRanksEveryStudent()
    {
        var data = Fashion;
        var train = _ml.Data.TakeRows(data, 480);
        var test = _ml.Data.SkipRows(data, 480);
        using var teacher = _ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        var reports = new List<StudentSizeExperimentProgress>();

        using var result = new StudentSizeExperiment(_ml)
            .SetTeacher(teacher)
            .AddStudents("sdca", "lightgbm:trees=5", "mlp:16:epochs=2")
            .Run(train, test, progress: new ListProgress(reports));

        // One teacher pass per data set, whatever the number of students.
        Assert.Equal(600, teacher.RowsScored);
        Assert.Equal(600, result.Experiment.TeacherScoring.TotalRows);
        var board = result.Leaderboard;
        Assert.Equal(["sdca", "lightgbm:trees=5", "mlp:16:epochs=2"], board.Entries.Select(e => e.Name));
        Assert.InRange(board.Entries[0].Accuracy, 0.6, 1.0);
        Assert.All(board.Entries, e => Assert.InRange(e.Accuracy, 0.1, 1.0)); // mlp:16 after 2 epochs on 480 rows is barely trained
        Assert.All(board.Entries, e => Assert.True(e.ModelBytes > 0 && e.Cost == e.ModelBytes));
        Assert.Contains(board.Entries, e => e.Pareto);
        Assert.Equal((784 + 1L) * 10, board.Entries[0].Parameters);
        Assert.True(board.Entries[1].Parameters > 0); // thresholds and leaf values of the 5 × 10 trees
        Assert.Equal((785L * 16) + (17 * 10), board.Entries[2].Parameters);
        Assert.Equal(result.Experiment.Students[2].Distilled.ModelBytes, board.Entries[2].ModelBytes);
        Assert.Equal(((MLNetDistill.Students.Mlp.MlpStudentTransformer)result.Experiment.Students[2].Distilled.Model).OnnxModel.Length, board.Entries[2].ModelBytes);
        Assert.Equal(result.Experiment.Teacher!.Accuracy, board.TeacherAccuracy);
        Assert.Equal(result.Experiment.TeacherModelBytes, board.TeacherCost);
        Assert.Equal(board.Chosen is null ? 0 : 1, board.Entries.Count(e => e.Chosen));
        Assert.Empty(board.Skipped);
        Assert.Equal(3, reports.Count(r => r.Trial is not null));
        Assert.Equal(board.Choice, reports[^1].Message);
    }

    [Fact]
    public void Run_DuplicateSpecs_TrainsOnceAndWarns()
    {
        var reports = new List<StudentSizeExperimentProgress>();
        using var result = new StudentSizeExperiment(_ml)
            .SetTeacher(BinaryTeacher)
            .AddStudents("sdca", "SDCA:iterations=auto", "lbfgs:iterations=20")
            .Run(_ml.Data.TakeRows(Cancer, 400), _ml.Data.SkipRows(Cancer, 400), progress: new ListProgress(reports));

        Assert.Equal(["sdca", "lbfgs:iterations=20"], result.Leaderboard.Entries.Select(e => e.Name));
        Assert.Equal(["SDCA:iterations=auto"], result.Duplicates);
        var warning = Assert.Single(reports, r => r.IsWarning);
        Assert.Contains("'SDCA:iterations=auto' is the same student as 'sdca'", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_TimeBudgetSpentOnScoring_KeepsNoTrialsAndListsSkipped()
    {
        var reports = new List<StudentSizeExperimentProgress>();
        using var result = new StudentSizeExperiment(_ml)
            .SetTeacher(BinaryTeacher)
            .AddStudents("sdca", "lbfgs:iterations=20")
            .SetTimeBudget(TimeSpan.FromTicks(1))
            .Run(Cancer, progress: new ListProgress(reports));

        Assert.Empty(result.Leaderboard.Entries);
        Assert.Equal(["sdca", "lbfgs:iterations=20"], result.Leaderboard.Skipped);
        Assert.Null(result.Leaderboard.Chosen);
        Assert.Contains(reports, r => r.IsWarning && r.Message.Contains("2 students not trained (sdca, lbfgs:iterations=20)", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_TimeBudgetRunsOutAfterFirstTrial_KeepsItAndSkipsTheRest()
    {
        var budget = TimeSpan.FromSeconds(5);
        var reports = new List<StudentSizeExperimentProgress>();
        var progress = new ActionProgress(r =>
        {
            reports.Add(r);
            if (r.Trial is not null)
            {
                Thread.Sleep(budget + TimeSpan.FromMilliseconds(200)); // the first trial (started in time) outlasts the budget
            }
        });

        using var result = new StudentSizeExperiment(_ml)
            .SetTeacher(BinaryTeacher)
            .AddStudents("sdca", "lbfgs:iterations=20", "lightgbm:trees=5")
            .SetTimeBudget(budget)
            .Run(Cancer, progress: progress);

        Assert.Equal(["sdca"], result.Leaderboard.Entries.Select(e => e.Name));
        Assert.Equal(["lbfgs:iterations=20", "lightgbm:trees=5"], result.Leaderboard.Skipped);
        Assert.Single(reports, r => r.IsWarning && r.Message.Contains("2 students not trained", StringComparison.Ordinal));
        Assert.Contains("Not trained (time budget ran out): `lbfgs:iterations=20`, `lightgbm:trees=5`.", MLNetDistill.Reports.LeaderboardMarkdown.Render(result), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Augmentation_LeaderboardJsonMarkdownAndHtmlRecordIt()
    {
        using var result = new StudentSizeExperiment(_ml)
            .SetTeacher(BinaryTeacher)
            .AddStudents("sdca:iterations=5")
            .SetAugmentation(MLNetDistill.Augmentation.AugmentationOptions.Parse("mixup:factor=2"))
            .Run(Cancer);

        long expected = 2 * result.Experiment.TrainRows;
        var augmentation = System.Text.Json.JsonDocument.Parse(MLNetDistill.Reports.LeaderboardJson.Serialize(result)).RootElement.GetProperty("augmentation");
        Assert.Equal("mixup", augmentation.GetProperty("method").GetString());
        Assert.Equal(expected, augmentation.GetProperty("syntheticRows").GetInt64());
        Assert.Equal(expected, augmentation.GetProperty("plannedRows").GetInt64());
        Assert.Equal(0.2, augmentation.GetProperty("settings").GetProperty("a").GetDouble(), 6);
        Assert.InRange(augmentation.GetProperty("teacherShare").GetDouble(), 0.01, 1);
        string sentence = $"Augmentation: mixup (factor 2, max-rows 100000, a 0.2, levels 10, categorical 0, seed 0): {expected:N0} synthetic rows labeled by the teacher in";
        Assert.Contains(sentence, MLNetDistill.Reports.LeaderboardMarkdown.Render(result), StringComparison.Ordinal);
        using var html = new StringWriter();
        new MLNetDistill.Reports.StudentSizeHtmlReport(result).WriteTo(html, System.Text.Encodings.Web.HtmlEncoder.Default);
        Assert.Contains(sentence, html.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_AugmentationLongerThanHalfTheBudget_StopsThereKeepsTheRowsAndTrainsTheStudent()
    {
        var budget = TimeSpan.FromSeconds(4);
        var reports = new List<StudentSizeExperimentProgress>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var result = new StudentSizeExperiment(_ml)
            .SetTeacher(TestPaths.FashionTeacher)
            .AddStudents("sdca:iterations=1")
            .SetTimeBudget(budget)
            .SetAugmentation(MLNetDistill.Augmentation.AugmentationOptions.Parse("spunge:factor=1000,max-rows=10000000"))
            .Run(Fashion, progress: new ListProgress(reports));
        var augmentation = result.Experiment.Augmentation!;

        // The training rows (about 480 once the test rows are held out) × 1000 planned: the CNN teacher scores some 15k rows/s here, so half a minute of work.
        long planned = 1000 * result.Experiment.TrainRows;
        Assert.Equal(planned, augmentation.PlannedRows);
        Assert.InRange(augmentation.SyntheticRows, 256, augmentation.PlannedRows - 1);
        Assert.InRange(augmentation.TeacherSeconds, 0.05, (budget.TotalSeconds / 2) + 0.5); // the budget counts from the start, teacher scoring of the real rows included
        Assert.Contains(reports, r => r.Message.Contains($"the time budget stopped the augmentation after {augmentation.SyntheticRows:N0} of {planned:N0} synthetic rows", StringComparison.Ordinal));
        Assert.Equal(["sdca:iterations=1"], result.Leaderboard.Entries.Select(e => e.Name));
        Assert.Contains($"of {planned:N0} planned: the time budget stopped it", MLNetDistill.Reports.LeaderboardMarkdown.Render(result), StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void Run_Cancelled_Throws()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => new StudentSizeExperiment(_ml).SetTeacher(BinaryTeacher).AddStudents("sdca").Run(Cancer, cancellationToken: cancelled.Token));
    }

    [Fact]
    public void Run_NoCandidates_ThrowsNamingTheFix()
    {
        var e = Assert.Throws<ArgumentException>(() => new StudentSizeExperiment(_ml).SetTeacher(BinaryTeacher).Run(Cancer));

        Assert.Equal("Students", e.ParamName);
        Assert.Contains("No candidate students", e.Message, StringComparison.Ordinal);
        Assert.Contains("AddStudents(", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_EstimatorNamedLikeASpec_ThrowsNamingIt()
    {
        var estimator = _ml.MulticlassClassification.Trainers.SoftLabel(_ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(exampleWeightColumnName: "Weight"));
        var experiment = new StudentSizeExperiment(_ml).SetTeacher(BinaryTeacher).AddStudents("sdca").AddStudent(DistillationStudent.FromEstimator("sdca", estimator));

        var e = Assert.Throws<ArgumentException>(() => experiment.Run(Cancer));
        Assert.Contains("Two different students are named 'sdca'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddDefaultStudents_Empty_AddsAFewSizesPerFamily()
    {
        var experiment = new StudentSizeExperiment(_ml).AddDefaultStudents();

        Assert.Equal(["sdca", "lightgbm:trees=10", "lightgbm:trees=30", "mlp:32", "mlp:128"], experiment.Options.Students.Select(s => s.Name));
        Assert.Equal(["sdca", "lightgbm", "lightgbm", "mlp", "mlp"], experiment.Options.Students.Select(s => s.Spec!.Family));
    }

    [Fact]
    public void Run_LatencyAxisWithoutMeasureLatency_ThrowsNamingTheFix()
    {
        var experiment = new StudentSizeExperiment(_ml).SetTeacher(BinaryTeacher).AddStudents("sdca").SetCostAxis(LeaderboardCostAxis.Latency);
        experiment.Options.MeasureLatency = false;

        var e = Assert.Throws<ArgumentException>(() => experiment.Run(Cancer));

        Assert.Equal(nameof(StudentSizeExperimentOptions.MeasureLatency), e.ParamName);
        Assert.Contains("CostAxis is Latency but MeasureLatency is false", e.Message, StringComparison.Ordinal);
        Assert.Contains("set MeasureLatency to true", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 50, "LatencyRows must be at least 1 but was 0")]
    [InlineData(500, -1, "LatencyWarmupRows must be at least 0 but was -1")]
    public void Run_LatencyRowsOutOfRange_ThrowsQuotingTheValue(int rows, int warmup, string expected)
    {
        var experiment = new StudentSizeExperiment(_ml).SetTeacher(BinaryTeacher).AddStudents("sdca");
        experiment.Options.LatencyRows = rows;
        experiment.Options.LatencyWarmupRows = warmup;

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => experiment.Run(Cancer));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_MeasureLatencyFalse_LatencyIsNaNOrNullAndNoted()
    {
        var experiment = new StudentSizeExperiment(_ml).SetTeacher(BinaryTeacher).AddStudents("sdca");
        experiment.Options.MeasureLatency = false;

        using var result = experiment.Run(_ml.Data.TakeRows(Cancer, 400), _ml.Data.SkipRows(Cancer, 400));

        var e = Assert.Single(result.Leaderboard.Entries);
        Assert.True(double.IsNaN(e.LatencyP50Microseconds) && double.IsNaN(e.LatencyP99Microseconds) && double.IsNaN(e.ThroughputRowsPerSecond));
        Assert.Null(e.OnnxLatencyP50Microseconds);
        Assert.Equal("not measured: MeasureLatency is false", e.OnnxNote);
        Assert.True(double.IsNaN(e.LatencySpeedUp));
        Assert.Null(result.Leaderboard.TeacherCostDetail);
        Assert.Equal(0, e.CostSeconds);
        Assert.Equal(e.ModelBytes, e.Cost); // the size axis is unaffected
    }

    [Fact]
    public void Run_ParametersAxis_CostIsTheParameterCountOfEveryFamily()
    {
        using var result = new StudentSizeExperiment(_ml)
            .SetTeacher(BinaryTeacher)
            .AddStudents("lightgbm:trees=5", "sdca")
            .SetCostAxis(LeaderboardCostAxis.Parameters)
            .SetAccuracyTolerance(0.5)
            .Run(_ml.Data.TakeRows(Cancer, 400), _ml.Data.SkipRows(Cancer, 400));

        var board = result.Leaderboard;
        Assert.All(board.Entries, e => Assert.Equal(e.Parameters, (long)e.Cost));
        Assert.Equal((30 * 2) + 2, board.Entries[1].Cost); // 30 features x 2 classes + 2 biases
        Assert.True(board.Entries[0].Cost > 0);
        Assert.Equal(board.Entries.MinBy(e => e.Cost)!.Name, board.Chosen!.Name);
        Assert.NotNull(board.TeacherCost);
        Assert.Contains("parameter count", board.Choice, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_SweepTwoTemperaturesTwoAlphas_ScoresTeacherAsManyRowsAsOneTrial()
    {
        var data = Fashion;
        var train = _ml.Data.TakeRows(data, 480);
        var test = _ml.Data.SkipRows(data, 480);
        using var singleTeacher = _ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        using var sweepTeacher = _ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);

        using var single = new StudentSizeExperiment(_ml).SetTeacher(singleTeacher).AddStudents("sdca:iterations=5").Run(train, test);
        using var sweep = new StudentSizeExperiment(_ml).SetTeacher(sweepTeacher).AddStudents("sdca:iterations=5", "mlp:8:epochs=2")
            .SetTemperatures(1, 4).SetAlphas(0.5f, 0.9f).Run(train, test);

        // One teacher pass per data set for the whole sweep: the same rows as one trial.
        Assert.Equal(600, singleTeacher.RowsScored);
        Assert.Equal(singleTeacher.RowsScored, sweepTeacher.RowsScored);
        Assert.Equal(single.Experiment.TeacherScoring.TotalRows, sweep.Experiment.TeacherScoring.TotalRows);
        var entries = sweep.Leaderboard.Entries;
        Assert.Equal(["sdca:iterations=5@T=1,alpha=0.5", "sdca:iterations=5@T=1,alpha=0.9", "sdca:iterations=5@T=4,alpha=0.5", "sdca:iterations=5@T=4,alpha=0.9",
            "mlp:8:epochs=2@T=1,alpha=0.5", "mlp:8:epochs=2@T=1,alpha=0.9", "mlp:8:epochs=2@T=4,alpha=0.5", "mlp:8:epochs=2@T=4,alpha=0.9"], entries.Select(e => e.Name));
        Assert.Equal([1f, 1f, 4f, 4f, 1f, 1f, 4f, 4f], entries.Select(e => e.Temperature!.Value));
        Assert.Equal([0.5f, 0.9f, 0.5f, 0.9f, 0.5f, 0.9f, 0.5f, 0.9f], entries.Select(e => e.Alpha!.Value));
        Assert.Equal([1f, 1f, 4f, 4f, 1f, 1f, 4f, 4f], sweep.Experiment.Students.Select(s => s.Temperature));
        Assert.Equal(1f, single.Leaderboard.Entries[0].Temperature);
        Assert.Equal(0.5f, single.Leaderboard.Entries[0].Alpha);

        // The trial at T = 1, alpha = 0.5 is the single run's student; at T = 4 the soft labels, so the model, differ.
        var atOne = Scores(sweep.Experiment.Students[0].Distilled.Model, test);
        Assert.Equal(Scores(single.Experiment.Students[0].Distilled.Model, test), atOne, new FloatComparer(1e-6));
        var atFour = Scores(sweep.Experiment.Students[2].Distilled.Model, test);
        Assert.True(MaxDifference(atOne, atFour) > 1e-3, $"the T = 4 student scores like the T = 1 one (max difference {MaxDifference(atOne, atFour):G3})");
        Assert.True(MaxDifference(atOne, Scores(sweep.Experiment.Students[1].Distilled.Model, test)) > 1e-3, "alpha 0.9 trains like alpha 0.5");
        Assert.All(entries.Take(4), e => Assert.InRange(e.Accuracy, 0.5, 1.0));

        // The MLP applies the trial's temperature itself, to the cached logits.
        Assert.True(MaxDifference(Scores(sweep.Experiment.Students[4].Distilled.Model, test), Scores(sweep.Experiment.Students[6].Distilled.Model, test)) > 1e-4,
            "the mlp at T = 4 scores like the one at T = 1");
    }

    [Fact]
    public void Run_SweepWithLogitMatchingAndRepeatedValue_TrainsWhatChangesOnceEachAndWarns()
    {
        var reports = new List<StudentSizeExperimentProgress>();
        using var result = new StudentSizeExperiment(_ml)
            .SetTeacher(BinaryTeacher)
            .AddStudents("logits:fasttree:trees=5", "lbfgs:iterations=10")
            .SetTemperatures(1, 4, 4)
            .SetAlphas(0.5f, 0.9f)
            .Run(_ml.Data.TakeRows(Cancer, 400), _ml.Data.SkipRows(Cancer, 400), progress: new ListProgress(reports));

        var entries = result.Leaderboard.Entries;
        Assert.Equal(["logits:fasttree:trees=5", "lbfgs:iterations=10@T=1,alpha=0.5", "lbfgs:iterations=10@T=1,alpha=0.9", "lbfgs:iterations=10@T=4,alpha=0.5", "lbfgs:iterations=10@T=4,alpha=0.9"],
            entries.Select(e => e.Name));
        Assert.Null(entries[0].Temperature);
        Assert.Null(entries[0].Alpha);
        Assert.Contains(reports, r => r.IsWarning && r.Message == "'logits:fasttree:trees=5' fits the teacher's raw logits, which no temperature or alpha changes: it is trained once, not once per T = 1, 4 and alpha = 0.5, 0.9.");
        Assert.Contains(reports, r => r.IsWarning && r.Message.StartsWith("the temperature 4 is given twice", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_SweepOverEstimatorStudent_SweepsTemperatureOnlyAndWarns()
    {
        var reports = new List<StudentSizeExperimentProgress>();
        var estimator = _ml.MulticlassClassification.Trainers.SoftLabel(_ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(exampleWeightColumnName: "Weight", maximumNumberOfIterations: 5));
        using var result = new StudentSizeExperiment(_ml)
            .SetTeacher(BinaryTeacher)
            .AddStudent(DistillationStudent.FromEstimator("mine", estimator))
            .SetTemperatures(1, 4)
            .SetAlphas(0.5f, 0.9f)
            .Run(_ml.Data.TakeRows(Cancer, 400), _ml.Data.SkipRows(Cancer, 400), progress: new ListProgress(reports));

        Assert.Equal(["mine@T=1", "mine@T=4"], result.Leaderboard.Entries.Select(e => e.Name));
        Assert.All(result.Leaderboard.Entries, e => Assert.Null(e.Alpha));
        Assert.Contains(reports, r => r.IsWarning && r.Message.Contains("'mine' is an estimator of your own, whose options decide alpha: it is trained once, not once per alpha = 0.5, 0.9", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0f, "temperatures[1] is 0")]
    [InlineData(-2f, "temperatures[1] is -2")]
    [InlineData(float.PositiveInfinity, "temperatures[1] is Infinity")]
    [InlineData(float.NaN, "temperatures[1] is NaN")]
    public void SetTemperatures_NotPositiveFinite_ThrowsQuotingTheValue(float bad, string expected)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new StudentSizeExperiment(_ml).SetTemperatures(1, bad));

        Assert.Equal("temperatures", e.ParamName);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("positive and finite", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-0.1f, "alphas[0] is -0.1")]
    [InlineData(1.5f, "alphas[0] is 1.5")]
    [InlineData(float.NaN, "alphas[0] is NaN")]
    public void SetAlphas_OutsideZeroToOne_ThrowsQuotingTheValue(float bad, string expected)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new StudentSizeExperiment(_ml).SetAlphas(bad));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("in [0, 1]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_TemperatureAndTemperaturesBothSet_ThrowsNamingBoth()
    {
        var options = new StudentSizeExperimentOptions { Distillation = { TeacherModelFile = BinaryTeacher, Temperature = 2f } };
        options.Temperatures.Add(4f);
        var experiment = new StudentSizeExperiment(_ml, options).AddStudents("sdca");

        var e = Assert.Throws<ArgumentException>(() => experiment.Run(Cancer));
        Assert.Equal("Temperatures", e.ParamName);
        Assert.Contains("Both Temperature (2) and Temperatures (4) are set", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_BadAlphaInOptions_ThrowsQuotingIt()
    {
        var options = new StudentSizeExperimentOptions { Distillation = { TeacherModelFile = BinaryTeacher } };
        options.Alphas.Add(0.5f);
        options.Alphas.Add(2f);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new StudentSizeExperiment(_ml, options).AddStudents("sdca").Run(Cancer));
        Assert.Equal("Alphas", e.ParamName);
        Assert.Contains("Alphas[1] is 2", e.Message, StringComparison.Ordinal);
    }

    private static float[] Scores(ITransformer model, IDataView test) =>
        model.Transform(test).GetColumn<float[]>(DataColumnNames.Score).SelectMany(v => v).ToArray();

    private static double MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }

    private sealed class ListProgress(List<StudentSizeExperimentProgress> reports) : IProgress<StudentSizeExperimentProgress>
    {
        public void Report(StudentSizeExperimentProgress value) => reports.Add(value);
    }

    private sealed class ActionProgress(Action<StudentSizeExperimentProgress> report) : IProgress<StudentSizeExperimentProgress>
    {
        public void Report(StudentSizeExperimentProgress value) => report(value);
    }
}
