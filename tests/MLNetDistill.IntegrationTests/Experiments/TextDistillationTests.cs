using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Cache;
using MLNetDistill.Experiments;
using MLNetDistill.Llm;
using MLNetDistill.Tests.Data;
using MLNetDistill.Tests.Llm;

namespace MLNetDistill.Tests.Experiments;

/// <summary>
/// The LLM story end to end, reduced: real emails labeled by a "model" behind a real chat-completions server (answering with
/// the fixture text teacher's probabilities), a text student distilled from that cache, and judged against the teacher
/// known only by its labels (--test-soft-labels).
/// </summary>
public sealed class TextDistillationTests
{
    private const string Student = "sdca:iterations=50,text=word2";

    [Fact]
    public async Task Run_TextStudentFromLlmCacheWithTestSoftLabels_MeasuresAgainstTheTeachersLabels()
    {
        var mlContext = new MLContext(0);
        var (train, test) = EmailData.Split(mlContext, EmailData.Load(mlContext));
        using var folder = new TempFolder();
        var (trainCache, testCache) = await Label(train, test, folder);

        var options = new DistillationExperimentOptions { TrainingSoftLabels = TeacherCache.Read(trainCache), TestSoftLabels = TeacherCache.Read(testCache), TextColumnName = "Text", Baseline = true };
        options.Students.Add(DistillationStudent.FromSpec(Student));
        using var result = new DistillationExperiment(mlContext, options).Run(train, test);

        // The teacher's accuracy, recomputed here from its probabilities and the labels.
        string[] texts = EmailData.Texts(test);
        float[] labels = EmailData.Labels(test);
        int[] teacher = [.. texts.Select(t => TextTeacher.Probabilities(t)[1] > TextTeacher.Probabilities(t)[0] ? 1 : 0)];
        double teacherAccuracy = teacher.Where((p, i) => p == (int)labels[i]).Count() / (double)texts.Length;
        Assert.NotNull(result.Teacher);
        Assert.Equal(teacherAccuracy, result.Teacher!.Accuracy, 12);

        var student = result.Students[0];
        var predicted = student.Distilled.Model.Transform(test).GetColumn<uint>("PredictedLabel").Select(k => (int)k - 1).ToArray();
        double agreement = predicted.Where((p, i) => p == teacher[i]).Count() / (double)texts.Length;
        Assert.Equal(agreement, student.Distilled.Metrics.Agreement, 12);
        Assert.False(double.IsNaN(student.Distilled.Metrics.KlToTeacher));
        var inheritance = student.Distilled.Quality!.Inheritance!;
        Assert.Equal(teacher.Where((p, i) => p != (int)labels[i]).Count(), inheritance.TeacherMistakes);
        Assert.Equal(inheritance.TeacherMistakes, inheritance.Copied + inheritance.Fixed + inheritance.OtherMistakes);
        Assert.False(double.IsNaN(student.Baseline!.Metrics.Agreement));

        // Without the test rows' labels the teacher cannot be judged (what a run reported before --test-soft-labels).
        var without = new DistillationExperimentOptions { TrainingSoftLabels = TeacherCache.Read(trainCache), TextColumnName = "Text" };
        without.Students.Add(DistillationStudent.FromSpec("sdca:iterations=10,text=word1"));
        using var blind = new DistillationExperiment(mlContext, without).Run(train, test);
        Assert.Null(blind.Teacher);
        Assert.True(double.IsNaN(blind.Students[0].Distilled.Metrics.Agreement));
    }

    [Fact]
    public async Task Run_StudentSizeOnText_RanksTextStudentsWithLatency()
    {
        var mlContext = new MLContext(0);
        var (train, test) = EmailData.Split(mlContext, EmailData.Load(mlContext));
        using var folder = new TempFolder();
        var (trainCache, testCache) = await Label(train, test, folder);
        var options = new StudentSizeExperimentOptions
        {
            Distillation = { TrainingSoftLabels = TeacherCache.Read(trainCache), TestSoftLabels = TeacherCache.Read(testCache), TextColumnName = "Text" },
            LatencyRows = 60,
            LatencyWarmupRows = 10,
        };

        using var result = new StudentSizeExperiment(mlContext, options).AddStudents("sdca:iterations=50,text=word1", "lightgbm:trees=10,leaves=4,text=word1").Run(train, test);

        var board = result.Leaderboard;
        Assert.Equal(2, board.Entries.Count);
        Assert.All(board.Entries, e =>
        {
            Assert.InRange(e.Accuracy, 0.5, 1.0);
            Assert.InRange(e.Agreement, 0.0, 1.0);
            Assert.True(e.LatencyP50Microseconds > 0, e.LatencyNote);
            Assert.Contains("FeaturizeText", e.OnnxNote, StringComparison.Ordinal);
        });
        Assert.Equal(result.Experiment.Teacher!.Accuracy, board.TeacherAccuracy);
    }

    [Fact]
    public void Run_LiveTextTeacherAndTextColumn_TeacherScoresTheTextAndStudentsLearnFromIt()
    {
        var mlContext = new MLContext(0);
        var (train, test) = EmailData.Split(mlContext, EmailData.Load(mlContext));
        var options = new StudentSizeExperimentOptions { Distillation = { TeacherModelFile = TextTeacher.ModelFile, TextColumnName = "Text" }, LatencyRows = 40, LatencyWarmupRows = 5 };

        using var result = new StudentSizeExperiment(mlContext, options).AddStudents("sdca:iterations=30,text=word1").Run(train, test);

        // The teacher's accuracy on the test rows, recomputed from its probabilities.
        string[] texts = EmailData.Texts(test);
        float[] labels = EmailData.Labels(test);
        double teacherAccuracy = texts.Where((t, i) => (TextTeacher.Probabilities(t)[1] > TextTeacher.Probabilities(t)[0] ? 1 : 0) == (int)labels[i]).Count() / (double)texts.Length;
        Assert.Equal(teacherAccuracy, result.Experiment.Teacher!.Accuracy, 5);
        Assert.Equal(texts.Length + EmailData.Texts(train).Length, result.Experiment.TeacherScoring.TotalRows);
        var entry = result.Leaderboard.Entries[0];
        Assert.InRange(entry.Agreement, 0.5, 1.0);
        Assert.True(entry.LatencyP50Microseconds > 0, entry.LatencyNote);
    }

    private static async Task<(string Train, string Test)> Label(IDataView train, IDataView test, TempFolder folder)
    {
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities);
        using var client = LlmLabelerTests.Client(server);
        var labeler = new LlmLabeler(client, LlmLabelerTests.Options());
        string trainCache = folder.File("train-llm.parquet"), testCache = folder.File("test-llm.parquet");
        await labeler.LabelAsync(train, trainCache);
        await labeler.LabelAsync(test, testCache);
        return (trainCache, testCache);
    }
}
