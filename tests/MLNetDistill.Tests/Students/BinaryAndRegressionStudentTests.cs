using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Students;

public sealed class BinaryAndRegressionStudentTests
{
    [Fact]
    public void BinarySoftLabel_BreastCancerTeacher_StudentAgreesWithTeacher()
    {
        var ml = new MLContext(1);
        var data = ml.Data.Cache(CsvFeatureReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label"));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("binary_teacher.onnx")).Fit(data);
        var scored = ml.Data.Cache(teacher.Transform(data));
        var fastTree = ml.BinaryClassification.Trainers.FastTree(labelColumnName: "Target", exampleWeightColumnName: "Weight", numberOfTrees: 20);
        var student = ml.BinaryClassification.Trainers.SoftLabel(fastTree).Fit(scored);
        var predictions = student.Transform(scored);
        var predicted = predictions.GetColumn<bool>("PredictedLabel").ToArray();
        var teacherClass = scored.GetColumn<uint>("TeacherPredictedLabel").Select(k => k == 2).ToArray();
        double agreement = predicted.Zip(teacherClass, (a, b) => a == b ? 1.0 : 0.0).Average();
        Assert.InRange(agreement, 0.95, 1.0);
        var metrics = ml.BinaryClassification.Evaluate(ml.Transforms.CustomMapping<LabelIn, LabelOut>((i, o) => o.Truth = i.Label > 0.5f, null).Fit(predictions).Transform(predictions), labelColumnName: "Truth");
        Assert.InRange(metrics.Accuracy, 0.9, 1.0);
    }

    [Fact]
    public void RegressionSoftTarget_DiabetesTeacher_MixesTeacherAndLabel()
    {
        var ml = new MLContext(1);
        var data = ml.Data.Cache(CsvFeatureReader.Load(TestPaths.Fixture("diabetes.csv"), "target"));
        using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.Fixture("regression_teacher.onnx"), Task = TeacherTask.Regression }).Fit(data);
        var scored = ml.Data.Cache(teacher.Transform(data));
        var view = MLNetDistill.Students.StudentTargets.Mix(scored, "TeacherScore", "Label", "Target", 0.25f);
        var teacherScore = scored.GetColumn<float>("TeacherScore").ToArray();
        var label = scored.GetColumn<float>("Label").ToArray();
        var target = view.GetColumn<float>("Target").ToArray();
        for (int r = 0; r < 5; r++)
        {
            Assert.Equal((0.25f * teacherScore[r]) + (0.75f * label[r]), target[r], 1e-3f);
        }

        var student = ml.Regression.Trainers.SoftTarget(ml.Regression.Trainers.Sdca(labelColumnName: "Target", maximumNumberOfIterations: 20)).Fit(scored);
        var metrics = ml.Regression.Evaluate(student.Transform(scored), labelColumnName: "Label");
        Assert.InRange(metrics.RSquared, 0.3, 1.0);
    }

    [Fact]
    public void RegressionSoftTarget_AlphaOutsideRange_ThrowsNamingAlphaAndValue()
    {
        var ml = new MLContext(1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.SoftTarget(ml.Regression.Trainers.Sdca(), alpha: 2f));
        Assert.Equal("Alpha", ex.ParamName);
        Assert.Contains("Alpha must be in [0, 1] (the weight of the teacher's term; 1 - alpha weighs the hard label) but was 2.", ex.Message, StringComparison.Ordinal);
    }

    private sealed class LabelIn
    {
        public float Label { get; set; }
    }

    private sealed class LabelOut
    {
        public bool Truth { get; set; }
    }
}
