using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms;
using MLNetDistill.Data;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Tests.Students.Mlp;

public sealed class MlpStudentTrainerTests
{
    [Fact]
    public void Fit_FashionScoredByTeacher_StudentWorksWithEvaluatorSaveLoadAndOnnx()
    {
        var ml = new MLContext(1);
        var all = IdxReader.Load(TestPaths.FashionImages);
        var train = ml.Data.Cache(ml.Data.TakeRows(all, 1500));
        var test = ml.Data.Cache(ml.Data.TakeRows(ml.Data.SkipRows(all, 8000), 500));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        var scoredTrain = ml.Data.Cache(teacher.Transform(train));
        var options = new MlpStudentOptions();
        options.Network.HiddenLayerSizes = [64];
        options.Network.Epochs = 10;
        options.Network.BatchSize = 32;
        options.Network.LearningRate = 3e-3f;
        options.Network.Seed = 5;
        var epochs = new List<MlpEpochProgress>();
        options.Progress = new Progress<MlpEpochProgress>(epochs.Add);
        using var student = ml.MulticlassClassification.Trainers.DistillMlp(options).Fit(scoredTrain);
        Assert.NotEmpty(student.History);

        var keyed = ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(test).Transform(test);
        var predictions = student.Transform(keyed);
        var metrics = ml.MulticlassClassification.Evaluate(predictions, labelColumnName: "LabelKey");
        Assert.InRange(metrics.MicroAccuracy, 0.70, 1.0);

        string zip = TestPaths.TempFile(".zip");
        ml.Model.Save(student, test.Schema, zip);
        ml.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly); // the predicted-class step is a CustomMapping
        var loaded = ml.Model.Load(zip, out _);
        var before = predictions.GetColumn<float[]>("Score").Take(20).ToArray();
        var after = loaded.Transform(test).GetColumn<float[]>("Score").Take(20).ToArray();
        for (int r = 0; r < before.Length; r++)
        {
            Assert.Equal(before[r], after[r], new FloatComparer(1e-6));
        }

        string onnx = TestPaths.TempFile(".onnx");
        student.SaveOnnx(onnx);
        using var session = new InferenceSession(onnx);
        Assert.Equal(["logits", "probabilities"], session.OutputMetadata.Keys);
    }

    [Fact]
    public void Fit_TokenCancelledAfterFirstEpoch_ThrowsBeforeTheNextEpochEnds()
    {
        var ml = new MLContext(1);
        var train = ml.Data.Cache(ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 1000));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        var scored = ml.Data.Cache(teacher.Transform(train));
        using var cancel = new CancellationTokenSource();
        var epochs = new List<int>();
        var options = new MlpStudentOptions { CancellationToken = cancel.Token };
        options.Network.HiddenLayerSizes = [32];
        options.Network.Epochs = 50;
        options.Network.BatchSize = 32;
        options.Progress = new SyncProgress<MlpEpochProgress>(p =>
        {
            epochs.Add(p.Epoch);
            cancel.Cancel();
        });

        Assert.ThrowsAny<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.DistillMlp(options).Fit(scored));

        Assert.Equal([1], epochs); // stopped inside epoch 2, between its mini-batches
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Constructor_BadHiddenSize_ThrowsQuotingValue(int size)
    {
        var ml = new MLContext(1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.DistillMlp([size]));
        Assert.Equal(nameof(MlpTrainerOptions.HiddenLayerSizes), ex.ParamName);
        Assert.Contains($"hidden layer 0 has size {size.ToString(System.Globalization.CultureInfo.InvariantCulture)}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-20)]
    public void Constructor_BadEpochs_ThrowsNamingEpochsAndValue(int epochs)
    {
        var ml = new MLContext(1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.DistillMlp([8], epochs: epochs));
        Assert.Equal(nameof(MlpTrainerOptions.Epochs), ex.ParamName);
        Assert.Contains($"Epochs must be 0 (automatic) or a positive number of epochs but was {epochs}.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_NoTeacherColumns_ThrowsNamingThem()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, [[1f, 2f], [3f, 4f]]);
        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.DistillMlp([4]).Fit(data));
        Assert.Contains("TeacherLogits", ex.Message);
        Assert.Contains("SoftLabels", ex.Message);
    }

    [Fact]
    public void Transform_FeatureLengthDiffers_ThrowsNamingBoth()
    {
        var ml = new MLContext(1);
        var all = IdxReader.Load(TestPaths.FashionImages);
        var train = ml.Data.Cache(ml.Data.TakeRows(all, 300));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        using var student = ml.MulticlassClassification.Trainers.DistillMlp([8], epochs: 1).Fit(ml.Data.Cache(teacher.Transform(train)));
        var other = TestData.Vectors(ml, [new float[100]]);
        var ex = Assert.Throws<ArgumentException>(() => student.Transform(other));
        Assert.Contains("100", ex.Message);
        Assert.Contains("784", ex.Message);
    }
}

public sealed class MlpStudentMultiTeacherTests
{
    [Fact]
    public void Fit_TwoTeachers_TrainsOnTheirWeightedSoftLabels()
    {
        var ml = new MLContext(1);
        var train = ml.Data.Cache(ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 1200));
        using var cnn = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        var second = new MLNetDistill.Teachers.TeacherScoringOptions
        {
            ModelFile = TestPaths.Fixture("mlp_two_outputs.onnx"),
            TeacherOutputName = "logits",
            LogitsColumnName = "MlpLogits",
            SoftLabelsColumnName = "MlpSoft",
            PredictedLabelColumnName = "MlpPredicted",
        };
        var both = cnn.Transform(train);
        using var mlp = ml.Transforms.ScoreWithTeacher(second).Fit(both);
        var scored = ml.Data.Cache(mlp.Transform(both));
        var options = new MlpStudentOptions { TeacherWeights = [2f, 1f], WeightTeachersByConfidence = true };
        options.TeacherLogitsColumnNames.Add("TeacherLogits");
        options.TeacherLogitsColumnNames.Add("MlpLogits");
        options.Network.HiddenLayerSizes = [32];
        options.Network.Epochs = 10;
        options.Network.BatchSize = 32;
        options.Network.LearningRate = 3e-3f;
        using var student = ml.MulticlassClassification.Trainers.DistillMlp(options).Fit(scored);
        var predicted = student.Transform(scored).GetColumn<uint>("PredictedLabel").ToArray();
        var teacher = scored.GetColumn<uint>("TeacherPredictedLabel").ToArray();
        double agreement = predicted.Zip(teacher, (a, b) => a == b ? 1.0 : 0.0).Average();
        Assert.InRange(agreement, 0.75, 1.0);
    }

    [Fact]
    public void Fit_WeightsCountDiffers_ThrowsNamingCounts()
    {
        var ml = new MLContext(1);
        var train = ml.Data.Cache(ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 50));
        using var cnn = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        var options = new MlpStudentOptions { TeacherWeights = [1f, 2f, 3f] };
        options.TeacherLogitsColumnNames.Add("TeacherLogits");
        options.Network.HiddenLayerSizes = [4];
        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.DistillMlp(options).Fit(cnn.Transform(train)));
        Assert.Contains("3 weights for 1 teachers", ex.Message);
    }
}
