using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Students;

namespace MLNetDistill.Tests.Students;

public sealed class SoftLabelOneVersusAllTests
{
    [Fact]
    public void Fit_OneVersusAllOverWeightedFastTree_Trains()
    {
        var ml = new MLContext(1);
        var data = ml.Data.Cache(ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 300));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);
        var scored = ml.Data.Cache(teacher.Transform(data));
        var ova = ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree(exampleWeightColumnName: "Weight", numberOfTrees: 5), labelColumnName: "Label");
        var student = ml.MulticlassClassification.Trainers.SoftLabel(ova).Fit(scored);
        var metrics = DistillationEvaluation.Evaluate(student.Transform(scored));
        Assert.InRange(metrics.Agreement, 0.6, 1.0);
    }

    [Fact]
    public void Constructor_OneVersusAllOverUnweightedTrainer_ThrowsNamingFix()
    {
        var ml = new MLContext(1);
        var ova = ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree());
        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.SoftLabel(ova));
        Assert.Contains("exampleWeightColumnName", ex.Message);
    }
}
