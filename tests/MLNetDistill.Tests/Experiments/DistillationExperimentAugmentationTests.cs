using Microsoft.ML;
using MLNetDistill.Augmentation;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Experiments;

/// <summary>Offline augmentation in the experiment: synthetic rows made from the training rows, labeled by the real binary teacher.</summary>
public sealed class DistillationExperimentAugmentationTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly MLContext _ml = new(seed: 0);

    public void Dispose() => _temp.Dispose();

    private static string Teacher => TestPaths.Fixture("binary_teacher.onnx");

    private IDataView Data => DataSourceReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label");

    [Theory]
    [InlineData("spunge")]
    [InlineData("munge")]
    [InlineData("mixup")]
    public void Run_Augmentation_SyntheticRowsScoredOnceAndCounted(string spec)
    {
        var options = Options(AugmentationOptions.Parse(spec));
        var reports = new List<string>();

        using var result = new DistillationExperiment(_ml, options).Run(Data, progress: new ListProgress(reports));

        long synthetic = 5 * result.TrainRows; // factor 5 of the rows left after the test rows are held out
        Assert.Equal(452, result.TrainRows);
        Assert.Equal(synthetic, result.Augmentation!.SyntheticRows);
        Assert.Equal(synthetic, result.TeacherScoring.SyntheticRows);
        Assert.Equal(569 + synthetic, result.TeacherScoring.TotalRows);
        Assert.Equal(spec, result.Augmentation.Method);
        Assert.Equal(5, result.Augmentation.Settings["factor"]);
        Assert.InRange(result.Augmentation.TeacherShare, 0, 1);
        Assert.Contains(reports, r => r.StartsWith($"generating {synthetic:N0} synthetic rows by {spec}", StringComparison.Ordinal));
        Assert.Contains(reports, r => r.Contains($"from {452 + synthetic:N0} rows ({synthetic:N0} synthetic)", StringComparison.Ordinal));
        Assert.InRange(result.Students[0].Distilled.Metrics.Agreement, 0.9, 1.0);
    }

    [Fact]
    public void Run_DigitsDefaultSpunge_TeacherLabelsFiveSyntheticRowsPerTrainingRowAndLightGbmLearnsThem()
    {
        // The multiclass path of the user story: the 1,078 digits training rows plus the default spunge (factor 5),
        // labeled by the teacher trained on them (samples/teachers/make_tabular_teachers.py), then a LightGbm student.
        // Whether augmentation gains over none is a measurement, not a unit test: the benchmarks' `augment-gain` command.
        var train = CsvFeatureReader.Load(TestPaths.Fixture("digits_train.csv"), "label");
        var test = CsvFeatureReader.Load(TestPaths.Fixture("digits_test.csv"), "label");
        var options = new DistillationExperimentOptions { TeacherModelFile = TestPaths.Fixture("digits_teacher.onnx"), Seed = 0, Augmentation = AugmentationOptions.Parse("spunge") };
        options.Students.Add(DistillationStudent.FromSpec("lightgbm:trees=20"));

        using var result = new DistillationExperiment(new MLContext(0), options).Run(train, test);

        Assert.Equal(1078, result.TrainRows);
        Assert.Equal(5 * 1078, result.Augmentation!.SyntheticRows);
        Assert.Equal(5 * 1078, result.TeacherScoring.SyntheticRows);
        Assert.Equal(719, result.Students[0].Distilled.Metrics.Rows);
        Assert.InRange(result.Students[0].Distilled.Metrics.Agreement, 0.9, 1.0);
    }

    [Fact]
    public void Run_WithAndWithoutAugmentation_BaselineTwinByteIdenticalDistilledNot()
    {
        using var plain = new DistillationExperiment(_ml, Options(null)).Run(Data);
        using var augmented = new DistillationExperiment(_ml, Options(new AugmentationOptions())).Run(Data);

        string plainTwin = _temp.File("plain-twin.zip"), augmentedTwin = _temp.File("augmented-twin.zip");
        DistillationResultWriter.SaveModel(_ml, plain.Students[0].Baseline!, plain.InputSchema, plainTwin);
        DistillationResultWriter.SaveModel(_ml, augmented.Students[0].Baseline!, augmented.InputSchema, augmentedTwin);
        string plainStudent = _temp.File("plain.zip"), augmentedStudent = _temp.File("augmented.zip");
        DistillationResultWriter.SaveModel(_ml, plain.Students[0].Distilled, plain.InputSchema, plainStudent);
        DistillationResultWriter.SaveModel(_ml, augmented.Students[0].Distilled, augmented.InputSchema, augmentedStudent);

        Assert.Equal(File.ReadAllBytes(plainTwin), File.ReadAllBytes(augmentedTwin));
        Assert.NotEqual(File.ReadAllBytes(plainStudent), File.ReadAllBytes(augmentedStudent));
        Assert.Null(plain.Augmentation);
        Assert.Equal(0, plain.TeacherScoring.SyntheticRows);
    }

    [Fact]
    public void Run_AugmentationWithTransfer_BothAddedToTheStudentRows()
    {
        var options = Options(new AugmentationOptions { Method = AugmentationMethod.Munge, Factor = 2 });
        var reports = new List<string>();

        using var result = new DistillationExperiment(_ml, options).Run(
            _ml.Data.TakeRows(Data, 300), test: _ml.Data.SkipRows(Data, 469), transfer: _ml.Data.TakeRows(_ml.Data.SkipRows(Data, 300), 169), progress: new ListProgress(reports));

        Assert.Equal(new DistillationTeacherScoring(300, 169, 100, result.TeacherScoring.Seconds, 600), result.TeacherScoring);
        Assert.Contains(reports, r => r.Contains("from 1,069 rows (600 synthetic)", StringComparison.Ordinal));
        Assert.Contains(reports, r => r.Contains("on hard labels (baseline) from 300 rows", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_SameSeedTwice_SameSyntheticRowsSameStudent()
    {
        using var first = new DistillationExperiment(_ml, Options(new AugmentationOptions { Method = AugmentationMethod.Mixup })).Run(Data);
        using var second = new DistillationExperiment(_ml, Options(new AugmentationOptions { Method = AugmentationMethod.Mixup })).Run(Data);
        using var otherSeed = new DistillationExperiment(_ml, Options(new AugmentationOptions { Method = AugmentationMethod.Mixup, Seed = 11 })).Run(Data);

        Assert.Equal(first.Students[0].Distilled.Metrics.LogLoss, second.Students[0].Distilled.Metrics.LogLoss);
        Assert.NotEqual(first.Students[0].Distilled.Metrics.LogLoss, otherSeed.Students[0].Distilled.Metrics.LogLoss);
    }

    [Fact]
    public void Constructor_AugmentationWithCacheOnly_ErrorSaysCacheCannotLabelNewRows()
    {
        using var teacher = _ml.Transforms.ScoreWithTeacher(Teacher).Fit(Data);
        var options = Options(new AugmentationOptions());
        options.TeacherModelFile = null;
        options.TrainingSoftLabels = _ml.Data.Cache(teacher.Transform(Data));

        var e = Assert.Throws<ArgumentException>(() => new DistillationExperiment(_ml, options));

        Assert.Contains("soft labels from a cache cannot label new rows: give TeacherModelFile", e.Message);
        Assert.Equal(nameof(DistillationExperimentOptions.Augmentation), e.ParamName);
    }

    [Fact]
    public void Run_CancelledWhileSyntheticRowsAreScored_Stops()
    {
        using var cancel = new CancellationTokenSource();
        var options = Options(new AugmentationOptions { Factor = 200 }); // 90,400 synthetic rows
        var progress = new ListProgress([], message =>
        {
            if (message.StartsWith("generating", StringComparison.Ordinal))
            {
                cancel.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => new DistillationExperiment(_ml, options).Run(Data, progress: progress, cancellationToken: cancel.Token));
    }

    private static DistillationExperimentOptions Options(AugmentationOptions? augmentation)
    {
        var options = new DistillationExperimentOptions { TeacherModelFile = Teacher, Baseline = true, Augmentation = augmentation };
        options.Students.Add(DistillationStudent.FromSpec("sdca:iterations=10"));
        return options;
    }

    private sealed class ListProgress(List<string> reports, Action<string>? onReport = null) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value)
        {
            reports.Add(value.Message);
            onReport?.Invoke(value.Message);
        }
    }
}
