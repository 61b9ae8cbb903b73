using Microsoft.ML;
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
            .AddStudents("sdca", "SDCA:iterations=20", "lbfgs:iterations=20")
            .Run(_ml.Data.TakeRows(Cancer, 400), _ml.Data.SkipRows(Cancer, 400), progress: new ListProgress(reports));

        Assert.Equal(["sdca", "lbfgs:iterations=20"], result.Leaderboard.Entries.Select(e => e.Name));
        Assert.Equal(["SDCA:iterations=20"], result.Duplicates);
        var warning = Assert.Single(reports, r => r.IsWarning);
        Assert.Contains("'SDCA:iterations=20' is the same student as 'sdca'", warning.Message, StringComparison.Ordinal);
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
    public void Run_LatencyAxis_IsRefusedAsNotYetMeasured()
    {
        var e = Assert.Throws<NotSupportedException>(() => new StudentSizeExperiment(_ml).SetTeacher(BinaryTeacher).AddStudents("sdca").SetCostAxis(LeaderboardCostAxis.Latency).Run(Cancer));

        Assert.Contains("not measured yet", e.Message, StringComparison.Ordinal);
        Assert.Contains("LeaderboardCostAxis.Size", e.Message, StringComparison.Ordinal);
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

    private sealed class ListProgress(List<StudentSizeExperimentProgress> reports) : IProgress<StudentSizeExperimentProgress>
    {
        public void Report(StudentSizeExperimentProgress value) => reports.Add(value);
    }

    private sealed class ActionProgress(Action<StudentSizeExperimentProgress> report) : IProgress<StudentSizeExperimentProgress>
    {
        public void Report(StudentSizeExperimentProgress value) => report(value);
    }
}
