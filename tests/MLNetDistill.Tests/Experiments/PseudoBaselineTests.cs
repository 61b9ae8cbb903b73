using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Reports;
using MLNetDistill.Students;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Experiments;

/// <summary>The pseudo-label twin (the same student on the teacher's arg-max labels) and training rows without labels.</summary>
public sealed class PseudoBaselineTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly MLContext _ml = new(seed: 0);

    public void Dispose() => _temp.Dispose();

    private static string BinaryTeacher => TestPaths.Fixture("binary_teacher.onnx");

    private IDataView Cancer => DataSourceReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label");

    [Fact]
    public void Run_PseudoBaselineWithTransfer_TwinLearnsTheTeachersArgMaxOfTrainingAndTransferRows()
    {
        var hard = new RecordingEstimator(new HardLabelTrainer(_ml, _ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 10), 2));
        var options = new DistillationExperimentOptions { TeacherModelFile = BinaryTeacher, Baseline = true, PseudoBaseline = true };
        options.Students.Add(DistillationStudent.FromEstimator("recorded sdca", _ml.MulticlassClassification.Trainers.SoftLabel(
            _ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(exampleWeightColumnName: "Weight", maximumNumberOfIterations: 10)), hard));
        var reports = new List<DistillationProgress>();

        using var result = new DistillationExperiment(_ml, options).Run(_ml.Data.TakeRows(Cancer, 300), test: Cancer, transfer: _ml.Data.SkipRows(Cancer, 300), progress: new Recorder(reports));

        // First the hard-label twin on the 300 labeled rows, then the pseudo-label twin on the 300 + 269 rows the student learned from.
        Assert.Equal(2, hard.Fits.Count);
        var (baselineLabels, _) = hard.Fits[0];
        var (pseudoLabels, soft) = hard.Fits[1];
        Assert.Equal(300, baselineLabels.Length);
        Assert.Equal(ViewRows.Singles(_ml.Data.TakeRows(Cancer, 300), DataColumnNames.Label), baselineLabels);
        Assert.Equal(300 + 269, pseudoLabels.Length);
        Assert.Equal(soft.Select(p => (float)Array.IndexOf(p, p.Max())), pseudoLabels);
        Assert.Contains(pseudoLabels.Zip(ViewRows.Singles(Cancer, DataColumnNames.Label)), p => p.First != p.Second); // the teacher is wrong on some rows: not the human labels
        var student = result.Students[0];
        Assert.NotNull(student.Baseline);
        Assert.NotNull(student.PseudoBaseline);
        Assert.InRange(student.PseudoBaseline.Metrics.Agreement, 0.9, 1.0);
        Assert.Contains(reports, r => r.Stage == DistillationStage.TrainingPseudoBaseline && r.Message.Contains("from 569 rows", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_TeacherRightOnEveryTrainingRow_PseudoTwinEqualsHardLabelTwin()
    {
        // The digits teacher predicts every one of its 1,078 training rows right: its arg-max labels are the human labels,
        // so the pseudo-label twin (own context, same seed and spec, same rows) is the hard-label twin.
        var train = DataSourceReader.Load(TestPaths.Fixture("digits_train.csv"), "label");
        var test = DataSourceReader.Load(TestPaths.Fixture("digits_test.csv"), "label");
        var options = new DistillationExperimentOptions { TeacherModelFile = TestPaths.Fixture("digits_teacher.onnx"), Baseline = true, PseudoBaseline = true };
        options.Students.Add(DistillationStudent.FromSpec("sdca:iterations=5"));

        using var result = new DistillationExperiment(_ml, options).Run(train, test);

        Assert.Equal(1.0, result.TeacherOnTrainingRows!.Accuracy);
        var student = result.Students[0];
        var pseudo = student.PseudoBaseline!.Metrics;
        var baseline = student.Baseline!.Metrics;
        Assert.Equal((baseline.Accuracy, baseline.LogLoss, baseline.Agreement, baseline.KlToTeacher), (pseudo.Accuracy, pseudo.LogLoss, pseudo.Agreement, pseudo.KlToTeacher));

        string path = _temp.File("report.json");
        DistillationResultWriter.WriteReport(DistillationReport.From(result, student), path);
        var json = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        Assert.Equal(
            json.GetProperty("baseline").EnumerateObject().Select(p => p.Name),
            json.GetProperty("pseudoBaseline").EnumerateObject().Select(p => p.Name));
        Assert.Equal(pseudo.Accuracy, json.GetProperty("pseudoBaseline").GetProperty("accuracy").GetDouble(), 12);
        Assert.Contains("(pseudo-labels; soft labels ", result.ToHtmlReport().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_NoPseudoBaselineAsked_ReportFieldIsNull()
    {
        var options = new DistillationExperimentOptions { TeacherModelFile = BinaryTeacher };
        options.Students.Add(DistillationStudent.FromSpec("sdca:iterations=5"));

        using var result = new DistillationExperiment(_ml, options).Run(Cancer);

        Assert.Null(result.Students[0].PseudoBaseline);
        string path = _temp.File("report.json");
        DistillationResultWriter.WriteReport(DistillationReport.From(result, result.Students[0]), path);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("pseudoBaseline").ValueKind);
    }

    [Fact]
    public void Run_TrainWithoutLabels_StudentsLearnFromSoftLabelsAloneAndOnlyThePseudoTwinTrains()
    {
        var unlabeled = _ml.Transforms.DropColumns(DataColumnNames.Label).Fit(Cancer).Transform(Cancer);
        var options = new DistillationExperimentOptions { TeacherModelFile = BinaryTeacher, Baseline = true, PseudoBaseline = true };
        options.Students.Add(DistillationStudent.FromSpec("sdca"));
        options.Students.Add(DistillationStudent.FromSpec("mlp:8:epochs=5"));
        var reports = new List<DistillationProgress>();

        using var result = new DistillationExperiment(_ml, options).Run(unlabeled, progress: new Recorder(reports));

        Assert.True(result.TestHeldOut);
        Assert.Contains(reports, r => r.Message.Contains("the hard-label baseline cannot be trained", StringComparison.Ordinal));
        Assert.True(double.IsNaN(result.Teacher!.Accuracy));
        Assert.All(result.Students, s =>
        {
            Assert.Null(s.Baseline);
            Assert.NotNull(s.PseudoBaseline);
            Assert.True(double.IsNaN(s.Distilled.Metrics.Accuracy));
        });
        Assert.InRange(result.Students[0].Distilled.Metrics.Agreement, 0.9, 1.0);
        Assert.InRange(result.Students[0].PseudoBaseline!.Metrics.Agreement, 0.9, 1.0);
    }

    [Fact]
    public void StudentSize_SetPseudoBaseline_LeaderboardJsonMarkdownAndHtmlShowTheGainOverPseudoLabels()
    {
        using var result = new StudentSizeExperiment(_ml, new StudentSizeExperimentOptions { MeasureLatency = false })
            .SetTeacher(BinaryTeacher)
            .AddStudents("sdca:iterations=5", "lbfgs:iterations=10")
            .SetPseudoBaseline()
            .Run(Cancer);

        var entries = result.Leaderboard.Entries;
        Assert.All(entries, e => Assert.InRange(e.PseudoBaselineAccuracy!.Value, 0.8, 1.0));
        Assert.All(entries, e => Assert.InRange(e.PseudoBaselineAgreement!.Value, 0.8, 1.0));
        Assert.Equal(result.Experiment.Students[1].PseudoBaseline!.Metrics.Accuracy, entries[1].PseudoBaselineAccuracy);
        var students = JsonDocument.Parse(LeaderboardJson.Serialize(result)).RootElement.GetProperty("students");
        Assert.Equal(entries[0].PseudoBaselineAccuracy!.Value, students[0].GetProperty("pseudoBaselineAccuracy").GetDouble(), 12);
        Assert.Equal(entries[0].PseudoBaselineAgreement!.Value, students[0].GetProperty("pseudoBaselineAgreement").GetDouble(), 12);
        string gain = LeaderboardMarkdown.Gain(entries[0].Accuracy - entries[0].PseudoBaselineAccuracy!.Value);
        string markdown = LeaderboardMarkdown.Render(result);
        Assert.Contains("## Soft labels vs pseudo-labels", markdown, StringComparison.Ordinal);
        Assert.Contains($"| {gain} |", markdown, StringComparison.Ordinal);
        using var html = new StringWriter();
        new StudentSizeHtmlReport(result).WriteTo(html, System.Text.Encodings.Web.HtmlEncoder.Default);
        Assert.Contains("vs pseudo-labels", html.ToString(), StringComparison.Ordinal);
        Assert.Contains(gain, html.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void StudentSize_NoPseudoBaseline_FieldsAreNullAndReportsHaveNoPseudoColumns()
    {
        using var result = new StudentSizeExperiment(_ml, new StudentSizeExperimentOptions { MeasureLatency = false })
            .SetTeacher(BinaryTeacher)
            .AddStudents("sdca:iterations=5")
            .Run(Cancer);

        Assert.Null(result.Leaderboard.Entries[0].PseudoBaselineAccuracy);
        var student = JsonDocument.Parse(LeaderboardJson.Serialize(result)).RootElement.GetProperty("students")[0];
        Assert.Equal(JsonValueKind.Null, student.GetProperty("pseudoBaselineAccuracy").ValueKind);
        Assert.DoesNotContain("pseudo-labels", LeaderboardMarkdown.Render(result), StringComparison.Ordinal);
        using var html = new StringWriter();
        new StudentSizeHtmlReport(result).WriteTo(html, System.Text.Encodings.Web.HtmlEncoder.Default);
        Assert.DoesNotContain("vs pseudo-labels", html.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Records the labels and soft labels of every fit.</summary>
    private sealed class RecordingEstimator(IEstimator<ITransformer> inner) : IEstimator<ITransformer>
    {
        public List<(float[] Labels, float[][] Soft)> Fits { get; } = [];

        public ITransformer Fit(IDataView input)
        {
            var soft = input.GetColumn<VBuffer<float>>(DataColumnNames.SoftLabels).Select(v => v.DenseValues().ToArray()).ToArray();
            Fits.Add(([.. ViewRows.Singles(input, DataColumnNames.Label)], soft));
            return inner.Fit(input);
        }

        public SchemaShape GetOutputSchema(SchemaShape inputSchema) => inner.GetOutputSchema(inputSchema);
    }

    private sealed class Recorder(List<DistillationProgress> reports) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value) => reports.Add(value);
    }
}
