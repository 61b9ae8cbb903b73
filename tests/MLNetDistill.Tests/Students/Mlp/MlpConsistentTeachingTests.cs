using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Onnx;
using MLNetDistill.Numerics;
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

    [Theory]
    [InlineData(MlpAugmentation.Mixup, false)]
    [InlineData(MlpAugmentation.Shift, true)]
    [InlineData(MlpAugmentation.Mixup | MlpAugmentation.Shift, true)]
    public void TrainingSteps_Augmented_AllocationDoesNotGrowWithEpochs(MlpAugmentation augmentation, bool flip)
    {
        long Allocated(int epochs)
        {
            var options = Options(epochs);
            options.Augmentation = augmentation;
            options.HorizontalFlip = flip;
            options.ShiftPixels = 1; // 18 cached views a row: the fill stays short
            var trainer = new MlpTrainer(options) { Teacher = _teacher };
            long before = GC.GetAllocatedBytesForCurrentThread();
            trainer.Train(_data);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Allocated(1); // JIT and first-use costs
        Allocated(6); // and tier-up of the step loop's methods, so the measured runs use the same code
        long two = Allocated(2);
        long six = Allocated(6);

        // 4 more epochs of 5 augmented and scored batches and a validation pass each. Each teacher call goes through
        // ONNX Runtime's managed Run (its OrtValue wrappers and name marshalling: a few hundred bytes); everything of
        // ours is pooled. One batch's features alone are 64 x 784 floats (200 KB), so any per-row or per-batch buffer
        // of ours breaks the 1 KB a step.
        const int extraSteps = 4 * 5;
        Assert.True(six - two < 4 * 1024 + extraSteps * 1024, $"2 epochs allocated {two} bytes, 6 epochs {six}");
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

    [Fact]
    public void Train_ShiftAndFlip_StudentRowsAreShiftedDataRowsAndTeacherScoresExactlyThem()
    {
        var options = Options(epochs: 1);
        options.Augmentation = MlpAugmentation.Shift;
        options.ShiftPixels = 2;
        options.HorizontalFlip = true;
        options.ValidationFraction = 0f; // the gathered batch stays in the buffer after the last step
        var trainer = new MlpTrainer(options) { Teacher = _teacher };
        trainer.Train(_data);
        var last = trainer.LastMixedBatch!;
        Assert.Equal(1f, last.Lambda);
        Assert.Empty(last.Permutation);
        const int side = 28;
        const int d = side * side;
        var features = _data.Features.Span;
        for (int r = 0; r < last.Rows; r++)
        {
            // The un-augmented row is a data row, and the student's row is it moved by (dx, dy), then mirrored if flipped.
            ReadOnlySpan<float> original = last.Original.AsSpan(r * d, d);
            bool isDataRow = false;
            for (int row = 0; row < _data.Rows && !isDataRow; row++)
            {
                isDataRow = features.Slice(row * d, d).SequenceEqual(original);
            }

            Assert.True(isDataRow, $"row {r} of the batch is not a data row");
            Assert.Equal(ShiftImage(original, side, last.ShiftX[r], last.ShiftY[r], last.Flipped[r]), last.Mixed.AsSpan(r * d, d).ToArray());
        }

        Assert.Contains(last.ShiftX.Take(last.Rows), dx => dx != 0);
        Assert.Contains(last.Flipped.Take(last.Rows), f => f);
        Assert.Contains(last.Flipped.Take(last.Rows), f => !f);
        AssertTeacherLogitsAreOf(last);
    }

    [Fact]
    public void Train_MixupShift_TeacherScoresTheMixOfTheShiftedRows()
    {
        var options = Options(epochs: 1);
        options.Augmentation = MlpAugmentation.Mixup | MlpAugmentation.Shift;
        options.ValidationFraction = 0f;
        var trainer = new MlpTrainer(options) { Teacher = _teacher };
        trainer.Train(_data);
        var last = trainer.LastMixedBatch!;
        const int side = 28;
        const int d = side * side;
        float lambda = last.Lambda;
        Assert.InRange(lambda, 0f, 1f);
        float[] Shifted(int r) => ShiftImage(last.Original.AsSpan(r * d, d), side, last.ShiftX[r], last.ShiftY[r], last.Flipped[r]);
        for (int r = 0; r < last.Rows; r++)
        {
            // x̃_i = λ shift(x_i) + (1 − λ) shift(x_π(i)): the shift first, then the mix.
            float[] own = Shifted(r);
            float[] other = Shifted(last.Permutation[r]);
            float[] expected = own.Select((v, i) => (lambda * v) + ((1 - lambda) * other[i])).ToArray();
            Assert.Equal(expected, last.Mixed.AsSpan(r * d, d).ToArray(), Close);
        }

        Assert.All(last.Flipped.Take(last.Rows), Assert.False);
        AssertTeacherLogitsAreOf(last);
    }

    [Fact]
    public void Train_MixupShiftSameSeed_BitIdenticalAcrossThreadCounts()
    {
        MlpTrainerOptions Shifted(int threads, MlpAugmentation augmentation)
        {
            var options = Options(epochs: 2);
            options.Augmentation = augmentation;
            options.HorizontalFlip = true;
            options.NumberOfThreads = threads;
            return options;
        }

        byte[] one = OnnxStudentWriter.ToBytes(new MlpTrainer(Shifted(1, MlpAugmentation.Mixup | MlpAugmentation.Shift)) { Teacher = _teacher }.Train(_data));
        byte[] two = OnnxStudentWriter.ToBytes(new MlpTrainer(Shifted(2, MlpAugmentation.Mixup | MlpAugmentation.Shift)) { Teacher = _teacher }.Train(_data));
        byte[] again = OnnxStudentWriter.ToBytes(new MlpTrainer(Shifted(2, MlpAugmentation.Mixup | MlpAugmentation.Shift)) { Teacher = _teacher }.Train(_data));
        byte[] mixupOnly = OnnxStudentWriter.ToBytes(new MlpTrainer(Shifted(2, MlpAugmentation.Mixup)) { Teacher = _teacher }.Train(_data));
        Assert.Equal(one, two);
        Assert.Equal(two, again);
        Assert.NotEqual(two, mixupOnly);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Train_ShiftCached_TeacherScoresEachViewOnceWhateverTheEpochs(int epochs)
    {
        var options = Options(epochs);
        options.Augmentation = MlpAugmentation.Shift;
        options.ShiftPixels = 1;
        options.HorizontalFlip = true;
        long before = _teacher.RowsScored;
        new MlpTrainer(options) { Teacher = _teacher }.Train(_data);

        // 3 x 3 shifts x 2 flips of each of the 400 rows, once; no batch is scored on the fly.
        Assert.Equal(400L * 18, _teacher.RowsScored - before);

        options.CacheTeacherViews = false;
        before = _teacher.RowsScored;
        new MlpTrainer(options) { Teacher = _teacher }.Train(_data);
        int trainRows = _data.Rows - (int)Math.Round(_data.Rows * 0.2);
        Assert.Equal((long)epochs * trainRows, _teacher.RowsScored - before);
    }

    [Fact]
    public void Train_ShiftCachedOrOnTheFly_SameTargetsAndModel()
    {
        var options = Options(epochs: 2);
        options.Augmentation = MlpAugmentation.Shift;
        options.HorizontalFlip = true;
        var cachedTrainer = new MlpTrainer(options) { Teacher = _teacher };
        var cached = cachedTrainer.Train(_data);
        options.CacheTeacherViews = false;
        var liveTrainer = new MlpTrainer(options) { Teacher = _teacher };
        var live = liveTrainer.Train(_data);
        Assert.Equal(liveTrainer.LastMixedBatch!.Mixed, cachedTrainer.LastMixedBatch!.Mixed);
        Assert.Equal(liveTrainer.LastMixedBatch.TeacherLogits, cachedTrainer.LastMixedBatch.TeacherLogits, Close);
        float[] a = new float[_data.Rows * 10];
        float[] b = new float[_data.Rows * 10];
        cached.Predict(_data.Features.ToArray(), _data.Rows, a);
        live.Predict(_data.Features.ToArray(), _data.Rows, b);
        Assert.Equal(b, a, new FloatComparer(1e-4));
        Assert.InRange(cachedTrainer.TeacherShare, 1e-4, 1.0);
    }

    [Fact]
    public void Train_ShiftOnNonSquareFeatures_ThrowsNamingFeatureCountAndFix()
    {
        const int d = 300;
        const int rows = 8;
        float[] soft = Enumerable.Repeat(0.1f, rows * 10).ToArray();
        var data = new MlpTrainingData(new float[rows * d], d, 10, soft);
        var options = Options(epochs: 1);
        options.Augmentation = MlpAugmentation.Shift;
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(options) { Teacher = _teacher }.Train(data));
        Assert.Equal(nameof(MlpTrainerOptions.ImageWidth), ex.ParamName);
        Assert.Contains("300 features must be a perfect square", ex.Message, StringComparison.Ordinal);
        Assert.Contains("image=W", ex.Message, StringComparison.Ordinal);

        options.ImageWidth = 7;
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(options) { Teacher = _teacher }.Train(data));
        Assert.Contains("divide the 300 features", ex.Message, StringComparison.Ordinal);
        Assert.Contains("but was 7", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(65, "0 to 64")]
    [InlineData(-1, "0 to 64")]
    [InlineData(28, "less than the 28 x 28 image's shorter side")]
    public void Validate_ShiftPixelsOutOfRange_ThrowsQuotingValueAndRange(int shift, string range)
    {
        var options = Options(epochs: 1);
        options.Augmentation = MlpAugmentation.Shift;
        options.ShiftPixels = shift;
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(options) { Teacher = _teacher }.Train(_data));
        Assert.Equal(nameof(MlpTrainerOptions.ShiftPixels), ex.ParamName);
        Assert.Contains($"but was {shift}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(range, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ShiftZeroWithoutFlip_ThrowsSayingItDoesNothing()
    {
        var options = Options(epochs: 1);
        options.Augmentation = MlpAugmentation.Shift;
        options.ShiftPixels = 0;
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(options) { Teacher = _teacher }.Train(_data));
        Assert.Contains("leaves every image as it is", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>out(y, x) = image(y - dy, x' - dx), x' = side - 1 - x when flipped; 0 outside: the augmentation's definition, pixel by pixel.</summary>
    private static float[] ShiftImage(ReadOnlySpan<float> image, int side, int dx, int dy, bool flip)
    {
        float[] output = new float[side * side];
        for (int y = 0; y < side; y++)
        {
            for (int x = 0; x < side; x++)
            {
                int sy = y - dy;
                int sx = (flip ? side - 1 - x : x) - dx;
                output[(y * side) + x] = sy >= 0 && sy < side && sx >= 0 && sx < side ? image[(sy * side) + sx] : 0f;
            }
        }

        return output;
    }

    /// <summary>The teacher's logits the trainer kept are the teacher transformer's on exactly the student's rows.</summary>
    private void AssertTeacherLogitsAreOf(MlpTrainer.MixedBatch last)
    {
        const int d = 784;
        const int k = 10;
        float[][] rows = Enumerable.Range(0, last.Rows).Select(r => last.Mixed.AsSpan(r * d, d).ToArray()).ToArray();
        float[][] logits = _teacher.Transform(TestData.Vectors(_ml, rows)).GetColumn<float[]>(DataColumnNames.TeacherLogits).ToArray();
        for (int r = 0; r < last.Rows; r++)
        {
            Assert.Equal(logits[r], last.TeacherLogits.AsSpan(r * k, k).ToArray(), Close);
        }
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
