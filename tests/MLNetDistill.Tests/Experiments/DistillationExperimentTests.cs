using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Teachers;
using MLNetDistill.Tests.Data;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;
using TeacherCacheWriter = MLNetDistill.Cache.TeacherCacheWriter;

namespace MLNetDistill.Tests.Experiments;

public sealed class DistillationExperimentTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly MLContext _ml = new(seed: 0);

    public void Dispose() => _temp.Dispose();

    private static string Teacher => TestPaths.Fixture("binary_teacher.onnx");

    private IDataView Data => DataSourceReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label");

    [Fact]
    public void Run_TwoStudentsWithBaselinesAndTransfer_ScoresEachDataSetOnce()
    {
        using var teacher = _ml.Transforms.ScoreWithTeacher(Teacher).Fit(Data);
        var options = new DistillationExperimentOptions { Teacher = teacher, Baseline = true };
        options.Students.Add(DistillationStudent.FromSpec("sdca"));
        options.Students.Add(DistillationStudent.FromSpec("lbfgs:iterations=20"));
        var reports = new List<DistillationProgress>();

        using var result = new DistillationExperiment(_ml, options).Run(
            _ml.Data.TakeRows(Data, 300), test: _ml.Data.SkipRows(Data, 469), transfer: _ml.Data.TakeRows(_ml.Data.SkipRows(Data, 300), 169), progress: new ListProgress(reports));

        // Four models, one teacher pass per data set: 300 training + 169 transfer + 100 test rows.
        Assert.Equal(569, teacher.RowsScored);
        Assert.Equal(new DistillationTeacherScoring(300, 169, 100, result.TeacherScoring.Seconds), result.TeacherScoring);
        Assert.Equal((300, 169, 100), (result.TrainRows, result.TransferRows, result.TestRows));
        Assert.False(result.TestHeldOut);
        Assert.All(result.Students, s => Assert.NotNull(s.Baseline));
        Assert.All(result.Students, s => Assert.InRange(s.Distilled.Metrics.Accuracy, 0.9, 1.0));
        Assert.All(result.Students, s => Assert.InRange(s.Distilled.Metrics.Agreement, 0.9, 1.0));
        Assert.Equal([DistillationStage.ScoringTeacher, DistillationStage.ScoringTeacher, DistillationStage.ScoringTeacher], reports.Select(r => r.Stage).Where(s => s == DistillationStage.ScoringTeacher));
        Assert.True(reports.FindLastIndex(r => r.Stage == DistillationStage.ScoringTeacher) < reports.FindIndex(r => r.Stage == DistillationStage.Training));
        Assert.Equal(1.0, result.Teacher!.Agreement);
        Assert.Equal(0.0, result.Teacher.KlToTeacher, 1e-9);
    }

    [Fact]
    public void Run_WithTransferRows_StudentTrainsOnThemAndBaselineDoesNot()
    {
        var distilled = new RecordingEstimator(_ml.MulticlassClassification.Trainers.SoftLabel(
            _ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(exampleWeightColumnName: "Weight", maximumNumberOfIterations: 10)));
        var hard = new RecordingEstimator(new MLNetDistill.Students.HardLabelTrainer(_ml, _ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 10), 2));
        var options = new DistillationExperimentOptions { TeacherModelFile = Teacher, Baseline = true };
        options.Students.Add(DistillationStudent.FromEstimator("recorded sdca", distilled, hard));

        using var result = new DistillationExperiment(_ml, options).Run(_ml.Data.TakeRows(Data, 300), test: Data, transfer: _ml.Data.SkipRows(Data, 300));

        Assert.Equal(269, result.TransferRows);
        Assert.Equal(300 + 269, distilled.Rows);
        Assert.Equal(269, distilled.UnlabeledRows); // the transfer file's labels are dropped: the teacher's soft labels alone
        Assert.Equal(300, hard.Rows);
        Assert.Equal(0, hard.UnlabeledRows);
        Assert.Equal("recorded sdca", result.Students[0].Description);
        Assert.True(float.IsNaN(result.Students[0].Alpha));
    }

    [Fact]
    public void Run_NoTestData_HoldsOutAFifthOfTheScoredRows()
    {
        using var teacher = _ml.Transforms.ScoreWithTeacher(Teacher).Fit(Data);
        var options = new DistillationExperimentOptions { Teacher = teacher, Seed = 4 };
        options.Students.Add(DistillationStudent.FromSpec("sdca"));

        using var result = new DistillationExperiment(_ml, options).Run(Data);

        Assert.True(result.TestHeldOut);
        Assert.Equal(569, result.TrainRows + result.TestRows);
        Assert.InRange(result.TestRows, 80, 150);
        Assert.Equal(569, teacher.RowsScored);
        Assert.Equal(569, result.TeacherOnAllRows!.Rows);
        Assert.Equal(result.TrainRows, result.TeacherOnTrainingRows.Rows);
    }

    [Fact]
    public void Run_FromCacheView_SameModelAsFromTheTeacher()
    {
        string cache = _temp.File("cache.parquet");
        TeacherCacheWriter.Score(_ml, new TeacherScoringOptions { ModelFile = Teacher }, TestPaths.Fixture("breast_cancer.csv"), "label", null, cache);

        var live = RunOne("lightgbm:trees=10", options => { });
        var cached = RunOne("lightgbm:trees=10", options => options.TrainingSoftLabels = TeacherCache.ReadMatching(cache, TestPaths.Fixture("breast_cancer.csv"), Teacher));

        Assert.Equal(live.Metrics, cached.Metrics);
        Assert.Equal(live.Teacher, cached.Teacher);
        Assert.Equal(live.Bytes, cached.Bytes);
        Assert.Equal(569, live.Scored.TrainingRows);
        Assert.Equal(0, cached.Scored.TrainingRows);
    }

    [Fact]
    public void Run_TemperatureTwo_EvaluatesAtTemperatureOneFromTheSameLogits()
    {
        var atOne = RunOne("sdca", options => options.Temperature = 1f);
        var atTwo = RunOne("sdca", options => options.Temperature = 2f);

        // The teacher's own figures are those of its T = 1 probabilities in both; the students differ (T = 2 targets are flatter).
        Assert.Equal(atOne.Teacher, atTwo.Teacher);
        Assert.NotEqual(atOne.Metrics.LogLoss, atTwo.Metrics.LogLoss);
        Assert.Equal(2 * 569, atOne.Scored.TotalRows);
    }

    [Fact]
    public void Constructor_NoStudents_ThrowsNamingStudents()
    {
        var ex = Assert.Throws<ArgumentException>(() => new DistillationExperiment(_ml, new DistillationExperimentOptions { TeacherModelFile = Teacher }));
        Assert.Equal(nameof(DistillationExperimentOptions.Students), ex.ParamName);
        Assert.Contains("DistillationStudent.FromSpec", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    public void Constructor_AlphaOutOfRange_ThrowsNamingAlphaAndRange(float alpha)
    {
        var options = new DistillationExperimentOptions { TeacherModelFile = Teacher, Alpha = alpha };
        options.Students.Add(DistillationStudent.FromSpec("sdca"));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new DistillationExperiment(_ml, options));
        Assert.Equal(nameof(DistillationExperimentOptions.Alpha), ex.ParamName);
        Assert.Contains("[0, 1]", ex.Message, StringComparison.Ordinal);
        Assert.Contains(alpha.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NoTeacherNorSoftLabels_ThrowsNamingWhatToSet()
    {
        var options = new DistillationExperimentOptions();
        options.Students.Add(DistillationStudent.FromSpec("sdca"));
        var ex = Assert.Throws<ArgumentException>(() => new DistillationExperiment(_ml, options));
        Assert.Contains("TeacherModelFile", ex.Message, StringComparison.Ordinal);
        Assert.Contains("TrainingSoftLabels", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_TransferWithoutTeacher_ThrowsNamingTransfer()
    {
        string cache = _temp.File("cache.parquet");
        TeacherCacheWriter.Score(_ml, new TeacherScoringOptions { ModelFile = Teacher }, TestPaths.Fixture("breast_cancer.csv"), "label", null, cache);
        var options = new DistillationExperimentOptions { TrainingSoftLabels = TeacherCache.Read(cache) };
        options.Students.Add(DistillationStudent.FromSpec("sdca"));
        var ex = Assert.Throws<ArgumentException>(() => new DistillationExperiment(_ml, options).Run(Data, transfer: Data));
        Assert.Equal("transfer", ex.ParamName);
        Assert.Contains("TeacherModelFile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_MixupFromCacheWithoutTeacher_ThrowsAskingForTeacherModel()
    {
        string cache = _temp.File("cache.parquet");
        TeacherCacheWriter.Score(_ml, new TeacherScoringOptions { ModelFile = Teacher }, TestPaths.Fixture("breast_cancer.csv"), "label", null, cache);
        var options = new DistillationExperimentOptions { TrainingSoftLabels = TeacherCache.Read(cache) };
        options.Students.Add(DistillationStudent.FromSpec("mlp:8:augment=mixup,epochs=1"));
        var ex = Assert.Throws<ArgumentException>(() => new DistillationExperiment(_ml, options).Run(Data));
        Assert.Contains("augment=mixup", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cannot label new inputs", ex.Message, StringComparison.Ordinal);
        Assert.Contains("TeacherModelFile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_MixupWithTeacher_TrainsOnTheFlyAndReportsTeacherShare()
    {
        var lines = new List<string>();
        var options = new DistillationExperimentOptions { TeacherModelFile = Teacher, Seed = 3 };
        options.Students.Add(DistillationStudent.FromSpec("mlp:8:augment=mixup,epochs=3"));
        using var result = new DistillationExperiment(new MLContext(seed: 3), options).Run(Data, test: Data, progress: new SyncLines(lines));
        var model = Assert.IsType<MLNetDistill.Students.Mlp.MlpStudentTransformer>(result.Students[0].Distilled.Model);
        Assert.InRange(model.TeacherShare, 1e-4, 1.0);
        Assert.Contains(lines, l => l.Contains("epoch 3/3", StringComparison.Ordinal) && l.Contains("teacher ", StringComparison.Ordinal) && l.Contains('%'));
        Assert.InRange(result.Students[0].Distilled.Metrics.Accuracy, 0.6, 1.0);
    }

    private sealed class SyncLines(List<string> lines) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value) => lines.Add(value.Message);
    }

    [Fact]
    public void Run_Cancelled_ThrowsAndKeepsNoTeacherOpen()
    {
        var options = new DistillationExperimentOptions { TeacherModelFile = Teacher };
        options.Students.Add(DistillationStudent.FromSpec("sdca"));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new DistillationExperiment(_ml, options).Run(Data, cancellationToken: cts.Token));
    }

    private (MLNetDistill.Evaluation.DistillationMetrics Metrics, MLNetDistill.Evaluation.DistillationMetrics Teacher, long Bytes, DistillationTeacherScoring Scored) RunOne(string spec, Action<DistillationExperimentOptions> configure)
    {
        var options = new DistillationExperimentOptions { TeacherModelFile = Teacher, Seed = 3 };
        options.Students.Add(DistillationStudent.FromSpec(spec));
        configure(options);
        using var result = new DistillationExperiment(new MLContext(seed: 3), options).Run(Data, test: Data);
        var student = result.Students[0].Distilled;
        return (student.Metrics, result.Teacher!, student.ModelBytes, result.TeacherScoring);
    }

    private sealed class ListProgress(List<DistillationProgress> reports) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value) => reports.Add(value);
    }

    /// <summary>A real trainer, observed: records how many rows (and how many without a label) it was fitted on.</summary>
    private sealed class RecordingEstimator(IEstimator<ITransformer> inner) : IEstimator<ITransformer>
    {
        public long Rows { get; private set; }

        public long UnlabeledRows { get; private set; }

        public ITransformer Fit(IDataView input)
        {
            var labels = ViewRows.Singles(input, DataColumnNames.Label);
            Rows = labels.Count;
            UnlabeledRows = labels.Count(float.IsNaN);
            return inner.Fit(input);
        }

        public SchemaShape GetOutputSchema(SchemaShape inputSchema) => inner.GetOutputSchema(inputSchema);
    }
}
