using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Students;

namespace MLNetDistill.Tests.Students;

/// <summary>A LightGbm soft-label student against its hard-label twin on 700 Fashion-MNIST rows and the real CNN teacher (about 30 s: an integration test).</summary>
public sealed class SoftLabelTrainerFashionTests
{
    [Fact]
    public void Fit_FashionLightGbm_SoftStudentAgreesWithTeacherMoreThanHardTwin()
    {
        var ml = new MLContext(1);
        var all = IdxReader.Load(TestPaths.FashionImages);
        var train = ml.Data.Cache(ml.Data.TakeRows(all, 700));
        var test = ml.Data.Cache(ml.Data.TakeRows(ml.Data.SkipRows(all, 9000), 600));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        var scoredTrain = ml.Data.Cache(teacher.Transform(train));
        var scoredTest = ml.Data.Cache(teacher.Transform(test));
        LightGbmMulticlassTrainer Make() => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
        {
            LabelColumnName = "Label", ExampleWeightColumnName = "Weight", NumberOfIterations = 40, NumberOfLeaves = 15,
            Seed = 1, Deterministic = true, NumberOfThreads = 1, ForceColumnWise = true,
        });
        var soft = ml.MulticlassClassification.Trainers.SoftLabel(Make()).Fit(scoredTrain);
        var hardData = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(scoredTrain).Transform(scoredTrain);
        var hard = ml.MulticlassClassification.Trainers.LightGbm(labelColumnName: "Label", numberOfIterations: 40, numberOfLeaves: 15).Fit(hardData);
        var softMetrics = DistillationEvaluation.Evaluate(soft.Transform(scoredTest));
        var hardMetrics = DistillationEvaluation.Evaluate(hard.Transform(scoredTest));
        Assert.True(softMetrics.Agreement > hardMetrics.Agreement, $"soft {softMetrics.Agreement} vs hard {hardMetrics.Agreement}");
        Assert.True(softMetrics.KlToTeacher < hardMetrics.KlToTeacher);

        string path = TestPaths.TempFile(".zip");
        ml.Model.Save(soft, test.Schema, path);
        var loaded = new MLContext(2).Model.Load(path, out _);
        var before = soft.Transform(test).GetColumn<float[]>("Score").First();
        var after = loaded.Transform(test).GetColumn<float[]>("Score").First();
        Assert.Equal(before, after);
    }
}
