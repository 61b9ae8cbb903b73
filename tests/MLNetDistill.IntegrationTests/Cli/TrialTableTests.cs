using Microsoft.ML;
using MLNetDistill.Cli;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace MLNetDistill.Tests.Cli;

/// <summary>The live table of <c>compare</c> and <c>demo</c>, driven by the reports of real experiments on the embedded Fashion-MNIST images and CNN teacher.</summary>
public sealed class TrialTableTests
{
    private readonly MLContext _ml = new(seed: 0);

    private IDataView Fashion => _ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 400);

    [Fact]
    public void Apply_RealExperimentReports_EachRowMovesThroughTrainingAndEvaluatingToDoneWithItsValues()
    {
        string[] students = ["sdca", "lbfgs:iterations=10", "mlp:8:epochs=2"];
        var table = new TrialTable(students, () => TimeSpan.Zero);
        Assert.All(table.Rows, r => Assert.Equal(TrialStatus.Waiting, r.Status));
        Assert.Equal("teacher: scoring...", table.Header);
        var seen = students.ToDictionary(s => s, _ => new List<TrialStatus>());
        var experiment = new StudentSizeExperiment(_ml).SetTeacher(TestPaths.FashionTeacher).AddStudents(students).SetAccuracyTolerance(0.5);

        using var result = experiment.Run(_ml.Data.TakeRows(Fashion, 300), _ml.Data.SkipRows(Fashion, 300), progress: new Recorder(p =>
        {
            table.Apply(p);
            foreach (var row in table.Rows)
            {
                var statuses = seen[row.Name];
                if (statuses.Count == 0 || statuses[^1] != row.Status)
                {
                    statuses.Add(row.Status);
                }
            }
        }));

        foreach (string student in students)
        {
            Assert.Equal([TrialStatus.Waiting, TrialStatus.Training, TrialStatus.Evaluating, TrialStatus.Done], seen[student]);
        }

        var rows = table.Rows;
        Assert.Equal(students, rows.Select(r => r.Name));
        foreach (var entry in result.Leaderboard.Entries)
        {
            var trial = rows.Single(r => r.Name == entry.Name).Trial!;
            Assert.Equal(entry.Accuracy, trial.Accuracy, 12);
            Assert.Equal(entry.Agreement, trial.Agreement, 12);
            Assert.Equal(entry.ModelBytes, trial.ModelBytes);
        }

        Assert.StartsWith("teacher 'fashion_cnn.onnx' (T = 1): 300 training rows scored in", table.Header, StringComparison.Ordinal);
        Assert.Contains("100 test rows scored in", table.Header, StringComparison.Ordinal);
        Assert.DoesNotContain("scoring...", table.Header, StringComparison.Ordinal);
        Assert.Equal(result.Leaderboard.Choice, table.Footer);
    }

    [Fact]
    public void Render_FinishedTrials_ShowsOneLinePerCandidateWithStatusAndValues()
    {
        var table = new TrialTable(["sdca", "lbfgs:iterations=10"], () => TimeSpan.FromSeconds(3));
        var experiment = new StudentSizeExperiment(_ml).SetTeacher(TestPaths.FashionTeacher).AddStudents("sdca", "lbfgs:iterations=10");
        using var result = experiment.Run(_ml.Data.TakeRows(Fashion, 300), _ml.Data.SkipRows(Fashion, 300), progress: new Recorder(table.Apply));

        string text = RenderText(table.Render());

        string[] lines = text.Split('\n');
        Assert.StartsWith("teacher 'fashion_cnn.onnx' (T = 1): 300 training rows scored in", lines[0], StringComparison.Ordinal);
        foreach (string header in new[] { "student", "status", "accuracy", "agreement", "size", "train s", "p50 µs" })
        {
            Assert.Contains(header, text, StringComparison.Ordinal);
        }

        foreach (var entry in result.Leaderboard.Entries)
        {
            string line = Assert.Single(lines, l => l.StartsWith("│ " + entry.Name + " ", StringComparison.Ordinal));
            Assert.Contains(" done ", line, StringComparison.Ordinal);
            Assert.Contains(entry.Accuracy.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), line, StringComparison.Ordinal);
            Assert.Contains(entry.Agreement.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), line, StringComparison.Ordinal);
            Assert.Contains(entry.ModelBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " B", line, StringComparison.Ordinal);
            Assert.Contains(entry.TrainSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture), line, StringComparison.Ordinal);
            Assert.Contains(" " + entry.LatencyP50Microseconds.ToString("N1", System.Globalization.CultureInfo.InvariantCulture) + " │", line, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(result.Leaderboard.Choice[..30], text, StringComparison.Ordinal); // the command prints the pick under the leaderboard
    }

    [Fact]
    public void Render_MidRun_ShowsWaitingTrainingWithEpochAndElapsedSeconds()
    {
        var clock = TimeSpan.FromSeconds(10);
        var table = new TrialTable(["sdca", "mlp:8:epochs=2"], () => clock);
        table.Apply(new StudentSizeExperimentProgress("8,036 training rows scored by the teacher in 0.69 s", Detail: new DistillationProgress(DistillationStage.ScoringTeacher, "8,036 training rows scored by the teacher in 0.69 s")));
        Assert.Equal("teacher: 8,036 training rows scored in 0.69 s; scoring...", table.Header);
        table.Apply(new StudentSizeExperimentProgress("trial 1/2: mlp:8:epochs=2", "mlp:8:epochs=2"));
        var epoch = new MLNetDistill.Students.Mlp.MlpEpochProgress(1, 2, 1.5, null, null, 1e-3, 0.1, true);
        table.Apply(new StudentSizeExperimentProgress("epoch", "mlp:8:epochs=2", Detail: new DistillationProgress(DistillationStage.Training, "epoch", "mlp:8:epochs=2", epoch)));
        clock = TimeSpan.FromSeconds(12.5);

        string text = RenderText(table.Render());

        Assert.Equal("teacher: 8,036 training rows scored in 0.69 s", table.Header);
        string sdca = Assert.Single(text.Split('\n'), l => l.StartsWith("│ sdca ", StringComparison.Ordinal));
        Assert.Contains(" waiting ", sdca, StringComparison.Ordinal);
        string mlp = Assert.Single(text.Split('\n'), l => l.StartsWith("│ mlp:8:epochs=2 ", StringComparison.Ordinal));
        Assert.Contains("training, epoch 1/2", mlp, StringComparison.Ordinal);
        Assert.Contains(" 2.5 ", mlp, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_TimeBudgetSpentOnScoring_MarksEveryCandidateSkipped()
    {
        string[] students = ["sdca", "lbfgs:iterations=10"];
        var table = new TrialTable(students, () => TimeSpan.Zero);

        using var result = new StudentSizeExperiment(_ml).SetTeacher(TestPaths.FashionTeacher).AddStudents(students).SetTimeBudget(TimeSpan.FromTicks(1))
            .Run(_ml.Data.TakeRows(Fashion, 200), progress: new Recorder(table.Apply));
        table.Finish(result);

        Assert.Empty(result.Leaderboard.Entries);
        Assert.All(table.Rows, r => Assert.Equal((TrialStatus.Skipped, "time budget"), (r.Status, r.Note)));
        Assert.Contains(table.Notes, n => n.StartsWith("warning: the time budget", StringComparison.Ordinal));
        string text = RenderText(table.Render());
        Assert.Equal(2, text.Split('\n').Count(l => l.Contains("skipped (time budget)", StringComparison.Ordinal)));
    }

    [Fact]
    public void Apply_SameStudentUnderTwoNames_MarksTheSecondSkippedAsDuplicate()
    {
        string[] students = ["sdca", "SDCA:iterations=auto", "sdca"];
        var table = new TrialTable(students, () => TimeSpan.Zero);

        using var result = new StudentSizeExperiment(_ml).SetTeacher(TestPaths.FashionTeacher).AddStudents(students)
            .Run(_ml.Data.TakeRows(Fashion, 300), _ml.Data.SkipRows(Fashion, 300), progress: new Recorder(table.Apply));
        table.Finish(result);

        Assert.Equal(["sdca", "SDCA:iterations=auto"], table.Rows.Select(r => r.Name)); // a name given twice has one row
        Assert.Equal(TrialStatus.Done, table.Rows[0].Status);
        Assert.Equal((TrialStatus.Skipped, "duplicate"), (table.Rows[1].Status, table.Rows[1].Note));
        Assert.Equal(2, table.Notes.Count(n => n.StartsWith("warning: ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Apply_TemperatureSweep_EachTrialGetsItsRowInItsCandidatesPlaceAndIgnoringStudentsStayOne()
    {
        string[] students = ["sdca", "logits:fasttree:trees=5", "lbfgs:iterations=10"];
        var table = new TrialTable(students, () => TimeSpan.Zero);

        using var result = new StudentSizeExperiment(_ml).SetTeacher(TestPaths.FashionTeacher).AddStudents(students).SetTemperatures(1, 4)
            .Run(_ml.Data.TakeRows(Fashion, 300), _ml.Data.SkipRows(Fashion, 300), progress: new Recorder(table.Apply));
        table.Finish(result);

        Assert.Equal(["sdca@T=1", "sdca@T=4", "logits:fasttree:trees=5", "lbfgs:iterations=10@T=1", "lbfgs:iterations=10@T=4"], table.Rows.Select(r => r.Name));
        Assert.Equal(result.Leaderboard.Entries.Select(e => e.Name).Order(), table.Rows.Select(r => r.Name).Order());
        Assert.All(table.Rows, r => Assert.Equal(TrialStatus.Done, r.Status));
        Assert.All(table.Rows, r => Assert.Equal(result.Leaderboard.Entries.Single(e => e.Name == r.Name).Accuracy, r.Trial!.Accuracy, 12));
        Assert.Contains(table.Notes, n => n.StartsWith("warning: 'logits:fasttree:trees=5'", StringComparison.Ordinal));
    }

    private static string RenderText(IRenderable renderable)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 160;
        console.Write(renderable);
        return writer.ToString().Replace("\r", "", StringComparison.Ordinal);
    }

    private sealed class Recorder(Action<StudentSizeExperimentProgress> report) : IProgress<StudentSizeExperimentProgress>
    {
        public void Report(StudentSizeExperimentProgress value) => report(value);
    }
}
