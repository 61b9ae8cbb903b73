using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Data;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Teachers;
using Xunit.Abstractions;
using MLNetDistill.MlNet;

namespace MLNetDistill.Tests.Students.Mlp;

public sealed class MlpBinaryAndRegressionStudentTests(ITestOutputHelper output)
{
    [Fact]
    public void BinaryDistillMlp_BreastCancerTeacher_EvaluatesSavesLoadsAndExports()
    {
        var ml = new MLContext(1);
        var data = ml.Data.Cache(CsvFeatureReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label"));
        var split = ml.Data.TrainTestSplit(data, testFraction: 0.25, seed: 3);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("binary_teacher.onnx")).Fit(split.TrainSet);
        var scored = ml.Data.Cache(teacher.Transform(split.TrainSet));
        var options = new MlpStudentOptions();
        options.Network.HiddenLayerSizes = [8];
        options.Network.Epochs = 60;
        options.Network.BatchSize = 32;
        options.Network.LearningRate = 3e-3f;
        options.Network.Seed = 7;
        var trainer = ml.BinaryClassification.Trainers.DistillMlp(options);
        using var student = trainer.Fit(scored);
        Assert.Equal(TeacherTask.Binary, student.Task);
        AssertSchemaAsPromised(trainer, student, scored.Schema);

        var test = ToBoolLabel(ml, split.TestSet);
        var predictions = student.Transform(test);
        var metrics = ml.BinaryClassification.Evaluate(predictions, labelColumnName: "Truth");
        output.WriteLine($"binary student: accuracy {metrics.Accuracy:F4}, AUC {metrics.AreaUnderRocCurve:F4}, log-loss {metrics.LogLoss:F4}");
        Assert.InRange(metrics.Accuracy, 0.9, 1.0);
        Assert.InRange(metrics.AreaUnderRocCurve, 0.95, 1.0);

        // Agreement with the teacher on held-out rows.
        var studentSays = predictions.GetColumn<bool>("PredictedLabel").ToArray();
        var teacherSays = teacher.Transform(split.TestSet).GetColumn<uint>("TeacherPredictedLabel").Select(k => k == 2).ToArray();
        Assert.InRange(studentSays.Zip(teacherSays, (a, b) => a == b ? 1.0 : 0.0).Average(), 0.9, 1.0);

        // Probability is sigmoid(Score) and PredictedLabel is Score > 0.
        var score = predictions.GetColumn<float>("Score").ToArray();
        var probability = predictions.GetColumn<float>("Probability").ToArray();
        for (int r = 0; r < score.Length; r++)
        {
            Assert.Equal(1f / (1f + MathF.Exp(-score[r])), probability[r], 1e-6f);
            Assert.Equal(score[r] > 0f, studentSays[r]);
        }

        string zip = TestPaths.TempFile(".zip");
        ml.Model.Save(student, test.Schema, zip);
        var loader = new MLContext(1);
        loader.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly);
        var loaded = loader.Model.Load(zip, out _).Transform(test);
        Assert.Equal(probability, loaded.GetColumn<float>("Probability").ToArray(), new FloatComparer(1e-5));
        Assert.Equal(studentSays, loaded.GetColumn<bool>("PredictedLabel").ToArray());
        Assert.Equal(metrics.Accuracy, loader.BinaryClassification.Evaluate(loaded, labelColumnName: "Truth").Accuracy, 6);

        string onnx = TestPaths.TempFile(".onnx");
        student.SaveOnnx(onnx);
        using var session = new InferenceSession(onnx);
        Assert.Equal(["logits", "probabilities"], session.OutputMetadata.Keys);
        Assert.Equal([-1L, 2L], session.OutputMetadata["logits"].Dimensions.Select(d => (long)d));
    }

    [Fact]
    public void RegressionDistillMlp_DiabetesTeacher_EvaluatesInTargetUnitsAndSavesLoads()
    {
        var ml = new MLContext(1);
        var data = ml.Data.Cache(CsvFeatureReader.Load(TestPaths.Fixture("diabetes.csv"), "target"));
        var split = ml.Data.TrainTestSplit(data, testFraction: 0.2, seed: 4);
        using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.Fixture("regression_teacher.onnx"), Task = TeacherTask.Regression }).Fit(split.TrainSet);
        var scored = ml.Data.Cache(teacher.Transform(split.TrainSet));
        var options = new MlpStudentOptions();
        options.Network.HiddenLayerSizes = [16];
        options.Network.Epochs = 150;
        options.Network.BatchSize = 32;
        options.Network.LearningRate = 3e-3f;
        options.Network.Seed = 11;
        options.Network.EarlyStoppingPatience = 20;
        var epochs = new List<MlpEpochProgress>();
        options.Progress = new Progress<MlpEpochProgress>(epochs.Add);
        var trainer = ml.Regression.Trainers.DistillMlp(options);
        using var student = trainer.Fit(scored);
        Assert.Equal(1, student.ClassCount);
        AssertSchemaAsPromised(trainer, student, scored.Schema);
        Assert.All(student.History, e => Assert.Null(e.ValidationAccuracy));

        var predictions = student.Transform(split.TestSet);
        var metrics = ml.Regression.Evaluate(predictions, labelColumnName: "Label");
        var teacherMetrics = ml.Regression.Evaluate(teacher.Transform(split.TestSet), labelColumnName: "Label", scoreColumnName: "TeacherScore");
        output.WriteLine($"regression student: R2 {metrics.RSquared:F4}, RMSE {metrics.RootMeanSquaredError:F2}; teacher: R2 {teacherMetrics.RSquared:F4}, RMSE {teacherMetrics.RootMeanSquaredError:F2}");
        Assert.InRange(metrics.RSquared, 0.3, 1.0);
        Assert.InRange(metrics.RootMeanSquaredError, 0, teacherMetrics.RootMeanSquaredError * 1.25);

        // The student tracks the teacher (in the target's units, ~150, not standardized ones).
        var studentScore = predictions.GetColumn<float>("Score").ToArray();
        var teacherScore = teacher.Transform(split.TestSet).GetColumn<float>("TeacherScore").ToArray();
        double rmsToTeacher = Math.Sqrt(studentScore.Zip(teacherScore, (s, t) => (double)(s - t) * (s - t)).Average());
        output.WriteLine($"regression student: RMS distance to the teacher {rmsToTeacher:F2}");
        Assert.InRange(rmsToTeacher, 0, 25);

        string zip = TestPaths.TempFile(".zip");
        ml.Model.Save(student, split.TestSet.Schema, zip);
        var loader = new MLContext(1);
        loader.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly);
        var loaded = loader.Model.Load(zip, out _).Transform(split.TestSet);
        Assert.Equal(studentScore, loaded.GetColumn<float>("Score").ToArray(), new FloatComparer(1e-4));

        string onnx = TestPaths.TempFile(".onnx");
        student.SaveOnnx(onnx);
        using var session = new InferenceSession(onnx);
        Assert.Equal(["logits"], session.OutputMetadata.Keys);
    }

    [Fact]
    public void BinaryDistillMlp_MulticlassTeacher_ThrowsNamingClassCount()
    {
        var ml = new MLContext(1);
        var train = ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 64);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        var ex = Assert.Throws<ArgumentException>(() => ml.BinaryClassification.Trainers.DistillMlp([4], epochs: 1).Fit(teacher.Transform(train)));
        Assert.Contains("10 classes", ex.Message);
        Assert.Contains("MulticlassClassification", ex.Message);
    }

    [Fact]
    public void RegressionDistillMlp_NoTeacherScore_ThrowsNamingColumn()
    {
        var ml = new MLContext(1);
        var data = CsvFeatureReader.Load(TestPaths.Fixture("diabetes.csv"), "target");
        var ex = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.DistillMlp([4], epochs: 1).Fit(data));
        Assert.Contains("'TeacherScore'", ex.Message);
        Assert.Contains("ScoreWithTeacher", ex.Message);
    }

    private static void AssertSchemaAsPromised(MlpStudentTrainer trainer, MlpStudentTransformer student, DataViewSchema input)
    {
        var shape = new SchemaShape(input.Select(c => SchemaColumns.Create(c.Name,
            c.Type is VectorDataViewType ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.Scalar,
            c.Type is KeyDataViewType ? NumberDataViewType.UInt32 : c.Type is VectorDataViewType v ? v.ItemType : c.Type, c.Type is KeyDataViewType)));
        var promised = trainer.GetOutputSchema(shape).Select(c => (c.Name, c.ItemType.RawType)).OrderBy(c => c.Name);
        var actual = student.GetOutputSchema(input).Where(c => !c.IsHidden).Select(c => (c.Name, c.Type is VectorDataViewType v ? v.ItemType.RawType : c.Type.RawType)).OrderBy(c => c.Name);
        Assert.Equal(promised, actual);
    }

    private static IDataView ToBoolLabel(MLContext ml, IDataView data) =>
        ml.Transforms.CustomMapping<LabelIn, LabelOut>((i, o) => o.Truth = i.Label > 0.5f, null).Fit(data).Transform(data);

    private sealed class LabelIn
    {
        public float Label { get; set; }
    }

    private sealed class LabelOut
    {
        public bool Truth { get; set; }
    }
}
