using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Onnx;
using MLNetDistill.SoftLabels;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Students.Mlp;

/// <summary>Consistent teaching (mixup, teacher on the fly) with the real Fashion-MNIST CNN teacher.</summary>
public sealed class MlpConsistentTeachingTests : IDisposable
{
    private const float Temperature = 2f;
    private static readonly FloatComparer Close = new(1e-5);
    private readonly MLContext _ml = new(seed: 1);
    private readonly TeacherScoringTransformer _teacher;
    private readonly MlpTrainingData _data;

    public MlpConsistentTeachingTests()
    {
        var train = _ml.Data.Cache(_ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 400));
        _teacher = _ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, Temperature = Temperature }).Fit(train);
        _data = MlpDataReader.Read(_ml.Data.Cache(_teacher.Transform(train)), new MlpStudentOptions());
    }

    public void Dispose() => _teacher.Dispose();

    [Fact]
    public void Train_Mixup_TargetsAreTeacherSoftmaxOnExactlyTheMixedRows()
    {
        var trainer = new MlpTrainer(Options(epochs: 1)) { Teacher = _teacher };
        trainer.Train(_data);
        var last = trainer.LastMixedBatch!;
        Assert.InRange(last.Lambda, 0f, 1f);

        // Score the very rows the student saw through the teacher transformer, as any data view.
        const int d = 784;
        const int k = 10;
        float[][] rows = Enumerable.Range(0, last.Rows).Select(r => last.Mixed.AsSpan(r * d, d).ToArray()).ToArray();
        var scored = _teacher.Transform(TestData.Vectors(_ml, rows));
        float[][] logits = scored.GetColumn<float[]>(DataColumnNames.TeacherLogits).ToArray();
        float[][] soft = scored.GetColumn<float[]>(DataColumnNames.SoftLabels).ToArray();
        float[] target = new float[k];
        for (int r = 0; r < last.Rows; r++)
        {
            Assert.Equal(logits[r], last.TeacherLogits.AsSpan(r * k, k).ToArray(), Close);
            SoftLabelMath.Softmax(last.TeacherLogits.AsSpan(r * k, k), Temperature, target);
            Assert.Equal(soft[r], target, Close);
        }

        // Mixed rows are new inputs, not training rows: at least one differs from every row of the data.
        var features = _data.Features;
        bool anyNew = Enumerable.Range(0, last.Rows).Any(r =>
            !Enumerable.Range(0, _data.Rows).Any(row => features.Span.Slice(row * d, d).SequenceEqual(last.Mixed.AsSpan(r * d, d))));
        Assert.True(anyNew || last.Lambda is 0f or 1f, "the mixed batch equals training rows");
    }

    [Fact]
    public void Train_MixupSameSeed_BitIdenticalModel()
    {
        byte[] a = OnnxStudentWriter.ToBytes(new MlpTrainer(Options(epochs: 2)) { Teacher = _teacher }.Train(_data));
        byte[] b = OnnxStudentWriter.ToBytes(new MlpTrainer(Options(epochs: 2)) { Teacher = _teacher }.Train(_data));
        var plain = Options(epochs: 2);
        plain.Augmentation = MlpAugmentation.None;
        byte[] c = OnnxStudentWriter.ToBytes(new MlpTrainer(plain).Train(_data));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Train_Mixup_ReportsTeacherShareOfTrainingTime()
    {
        var reports = new List<MlpEpochProgress>();
        var trainer = new MlpTrainer(Options(epochs: 2)) { Teacher = _teacher };
        long before = _teacher.RowsScored;
        trainer.Train(_data, new MlpTrainerTests.SyncProgress(reports));
        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.InRange(r.TeacherShare, 1e-4, 1.0));
        Assert.All(reports, r => Assert.NotNull(r.ValidationDivergence));
        Assert.InRange(trainer.TeacherShare, 1e-4, 1.0);
        Assert.Equal(trainer.TeacherSeconds, reports.Sum(r => r.TeacherSeconds), new FloatComparer(1e-9));

        // Every training row (not the validation slice) is scored once per epoch, on the fly.
        int trainRows = _data.Rows - (int)Math.Round(_data.Rows * 0.2);
        Assert.Equal(2L * trainRows, _teacher.RowsScored - before);

        var plain = new MlpTrainer(new MlpTrainerOptions { HiddenLayerSizes = [16], Epochs = 1, NumberOfThreads = 1 });
        plain.Train(_data);
        Assert.Equal(0, plain.TeacherShare);
    }

    [Fact]
    public void TrainingSteps_Mixup_AllocationDoesNotGrowWithEpochs()
    {
        long Allocated(int epochs)
        {
            var trainer = new MlpTrainer(Options(epochs)) { Teacher = _teacher };
            long before = GC.GetAllocatedBytesForCurrentThread();
            trainer.Train(_data);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Allocated(1); // JIT and first-use costs
        long two = Allocated(2);
        long six = Allocated(6);

        // 4 more epochs of 5 mixed and scored batches and a validation pass each: nothing per step.
        Assert.True(six - two < 4 * 1024, $"2 epochs allocated {two} bytes, 6 epochs {six}");
    }

    [Fact]
    public void Train_MixupWithoutTeacher_ThrowsAskingForIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MlpTrainer(Options(epochs: 1)).Train(_data));
        Assert.Contains("cache", ex.Message, StringComparison.Ordinal);
        Assert.Contains("teacher", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MixupAlphaOutOfRange_ThrowsQuotingValue()
    {
        var options = Options(epochs: 1);
        options.MixupAlpha = -0.3f;
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(options) { Teacher = _teacher }.Train(_data));
        Assert.Equal(nameof(MlpTrainerOptions.MixupAlpha), ex.ParamName);
        Assert.Contains("-0.3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(0, 100]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MixupWithHintTerm_Throws()
    {
        var options = Options(epochs: 1);
        options.LogitMatchingWeight = 1f;
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(options) { Teacher = _teacher }.Train(_data));
        Assert.Contains("KD term only", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DistillMlp_MixupThroughMlContext_ExposesTeacherShare()
    {
        var rows = _ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 200);
        var options = new MlpStudentOptions { Teacher = _teacher };
        options.Network.HiddenLayerSizes = [16];
        options.Network.Epochs = 2;
        options.Network.Temperature = Temperature;
        options.Network.Augmentation = MlpAugmentation.Mixup;
        using var student = _ml.MulticlassClassification.Trainers.DistillMlp(options).Fit(_ml.Data.Cache(_teacher.Transform(rows)));
        Assert.InRange(student.TeacherShare, 1e-4, 1.0);

        options.Teacher = null;
        var ex = Assert.Throws<ArgumentException>(() => _ml.MulticlassClassification.Trainers.DistillMlp(options));
        Assert.Equal(nameof(MlpStudentOptions.Teacher), ex.ParamName);
    }

    private static MlpTrainerOptions Options(int epochs) => new()
    {
        HiddenLayerSizes = [32],
        Epochs = epochs,
        BatchSize = 64,
        Temperature = Temperature,
        ValidationFraction = 0.2f,
        EarlyStoppingPatience = 0,
        Augmentation = MlpAugmentation.Mixup,
        MixupAlpha = 0.4f,
        NumberOfThreads = 2,
        Seed = 3,
    };
}
