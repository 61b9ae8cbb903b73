using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Students;

namespace MLNetDistill.Tests.Students;

public sealed class SoftLabelTrainerTests
{
    [Fact]
    public void Expansion_TinyExample_WeightedLossEqualsSoftCrossEntropy()
    {
        // One row, soft labels (0.6, 0.3, 0.1), hard label 0, alpha 0.5 -> targets (0.8, 0.15, 0.05).
        var ml = new MLContext(1);
        var rows = new[] { new SoftRow { Features = [1f, 2f], SoftLabels = [0.6f, 0.3f, 0.1f], Label = 0 } };
        var data = ml.Data.LoadFromEnumerable(rows);
        var expanded = new SoftLabelExpansionDataView(data, new SoftLabelOptions { Alpha = 0.5f, TopK = 0, MinProbability = 0 }, "Label", "Weight", null);
        var labels = expanded.GetColumn<uint>("Label").ToArray();
        var weights = expanded.GetColumn<float>("Weight").ToArray();
        var features = expanded.GetColumn<float[]>("Features").ToArray();
        Assert.Equal([1u, 2u, 3u], labels);
        Assert.Equal([0.8f, 0.15f, 0.05f], weights, new FloatComparer(1e-6));
        Assert.All(features, f => Assert.Equal([1f, 2f], f));

        // For any model q, the weighted cross-entropy of the expansion is sum_k p_k * -log q_k.
        float[] q = [0.5f, 0.25f, 0.25f];
        double weighted = labels.Select((l, i) => weights[i] * -Math.Log(q[l - 1])).Sum();
        double expected = (0.8 * -Math.Log(0.5)) + (0.15 * -Math.Log(0.25)) + (0.05 * -Math.Log(0.25));
        Assert.Equal(expected, weighted, 1e-6);
    }

    [Fact]
    public void Expansion_AllNaNSoftLabels_TrainOnTheHardLabelOrLeaveTheRowOut()
    {
        // Rows an LLM labeler skipped (LlmUnknownAnswer.Skip) have NaN soft labels: labeled, they train on the label alone; unlabeled, they are left out.
        var ml = new MLContext(1);
        var rows = new[]
        {
            new SoftRow { Features = [1f, 1f], SoftLabels = [0.6f, 0.3f, 0.1f], Label = 0 },
            new SoftRow { Features = [2f, 2f], SoftLabels = [float.NaN, float.NaN, float.NaN], Label = 2 },
            new SoftRow { Features = [3f, 3f], SoftLabels = [float.NaN, float.NaN, float.NaN], Label = float.NaN },
        };
        var expanded = new SoftLabelExpansionDataView(ml.Data.LoadFromEnumerable(rows), new SoftLabelOptions { Alpha = 0.5f, TopK = 0, MinProbability = 0 }, "Label", "Weight", null);

        Assert.Equal([1u, 2u, 3u, 3u], expanded.GetColumn<uint>("Label").ToArray());
        Assert.Equal([0.8f, 0.15f, 0.05f, 1f], expanded.GetColumn<float>("Weight").ToArray(), new FloatComparer(1e-6));
        Assert.Equal([1f, 1f, 1f, 2f], expanded.GetColumn<float[]>("Features").Select(f => f[0]).ToArray());
    }

    [Theory]
    [InlineData(1, new uint[] { 1 })]
    [InlineData(2, new uint[] { 1, 2 })]
    [InlineData(3, new uint[] { 1, 2, 3 })]
    public void Expansion_TopK_KeepsMostProbableAndRenormalises(int topK, uint[] expectedLabels)
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new SoftRow { Features = [0f, 0f], SoftLabels = [0.5f, 0.3f, 0.2f], Label = float.NaN } });
        var expanded = new SoftLabelExpansionDataView(data, new SoftLabelOptions { TopK = topK, MinProbability = 0 }, "Label", "Weight", null);
        Assert.Equal(expectedLabels, expanded.GetColumn<uint>("Label").ToArray());
        Assert.Equal(1.0, expanded.GetColumn<float>("Weight").Sum(), 1e-6);
    }

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

    [Fact]
    public void Fit_SdcaWithoutLabels_TrainsOnSoftLabelsOnly()
    {
        var ml = new MLContext(1);
        var train = ml.Data.Cache(ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 300));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        var unlabeled = ml.Transforms.DropColumns("Label").Fit(train).Transform(train);
        using var teacher2 = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(unlabeled);
        var scored = ml.Data.Cache(teacher2.Transform(unlabeled));
        var sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", maximumNumberOfIterations: 5);
        var student = ml.MulticlassClassification.Trainers.SoftLabel(sdca).Fit(scored);
        var metrics = DistillationEvaluation.Evaluate(student.Transform(scored), labelColumnName: null);
        Assert.InRange(metrics.Agreement, 0.6, 1.0);
    }

    [Fact]
    public void Constructor_TrainerWithoutWeights_ThrowsNamingTrainer()
    {
        var ml = new MLContext(1);
        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.SoftLabel(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy()));
        Assert.Contains("SdcaMaximumEntropy", ex.Message);
        Assert.Contains("exampleWeightColumnName", ex.Message);
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void Constructor_AlphaOutsideRange_ThrowsNamingAlphaAndValue(float alpha)
    {
        var ml = new MLContext(1);
        var trainer = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(exampleWeightColumnName: "Weight");
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SoftLabel(trainer, alpha));
        Assert.Equal("Alpha", ex.ParamName);
        Assert.Contains($"Alpha must be in [0, 1] (the weight of the teacher's term; 1 - alpha weighs the hard label) but was {alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_SoftLabelsMissing_ThrowsNamingColumn()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, [[1f, 2f]]);
        var trainer = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(exampleWeightColumnName: "Weight");
        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.SoftLabel(trainer).Fit(data));
        Assert.Contains("SoftLabels", ex.Message);
    }

    [Theory]
    [InlineData(new float[] { 0.5f, -0.1f, 0.6f }, 0f, "finite probabilities")]
    [InlineData(new float[] { 0.5f, float.NaN, 0.5f }, 0f, "finite probabilities")]
    [InlineData(new float[] { 0.2f, 0.3f, 0.5f }, 7f, "Label 7")]
    public void Expansion_BadTargets_ThrowNamingProblem(float[] soft, float label, string expected)
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new SoftRow { Features = [0f, 0f], SoftLabels = soft, Label = label } });
        var expanded = new SoftLabelExpansionDataView(data, new SoftLabelOptions(), "Label", "Weight", null);
        var ex = Assert.Throws<InvalidDataException>(() => expanded.GetColumn<float>("Weight").ToArray());
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Expansion_NotSummingToOne_RenormalisesWithWarning()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new SoftRow { Features = [0f, 0f], SoftLabels = [2f, 1f, 1f], Label = float.NaN } });
        var warnings = new List<string>();
        var expanded = new SoftLabelExpansionDataView(data, new SoftLabelOptions { TopK = 0 }, "Label", "Weight", warnings.Add);
        Assert.Equal([0.5f, 0.25f, 0.25f], expanded.GetColumn<float>("Weight").ToArray(), new FloatComparer(1e-6));
        Assert.Contains("renormalised", Assert.Single(warnings));
    }

    [Fact]
    public void Expansion_AllPrunedAway_ThrowsZeroRows()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new SoftRow { Features = [0f, 0f], SoftLabels = [0.4f, 0.3f, 0.3f], Label = float.NaN } });
        var expanded = new SoftLabelExpansionDataView(data, new SoftLabelOptions { MinProbability = 0.9f }, "Label", "Weight", null);
        var ex = Assert.Throws<InvalidDataException>(() => expanded.GetColumn<float>("Weight").ToArray());
        Assert.Contains("No rows are left after pruning", ex.Message);
    }

    private sealed class SoftRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        [VectorType(3)]
        public float[] SoftLabels { get; set; } = [];

        public float Label { get; set; }
    }
}

public sealed class SoftLabelTrainerMlNetTests
{
    private sealed class Image
    {
        [VectorType(784)]
        public float[] Features { get; set; } = [];
    }

    private sealed class Prediction
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = [];
    }

    [Fact]
    public void SoftStudent_PredictionEngineAndCrossValidate_Work()
    {
        var ml = new MLContext(1);
        var data = ml.Data.Cache(ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 400));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);
        var keys = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 10).Select(c => new { Label = (float)c }));
        var keyed = ml.Data.Cache(ml.Transforms.Conversion.MapValueToKey("Label", keyData: keys).Fit(data).Transform(teacher.Transform(data)));
        var sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", maximumNumberOfIterations: 5);
        var trainer = ml.MulticlassClassification.Trainers.SoftLabel(sdca);

        var model = trainer.Fit(keyed);
        var engine = ml.Model.CreatePredictionEngine<Image, Prediction>(model);
        var first = data.GetColumn<float[]>("Features").First();
        var prediction = engine.Predict(new Image { Features = first });
        Assert.InRange(prediction.PredictedLabel, 1u, 10u);
        Assert.Equal(10, prediction.Score.Length);

        var folds = ml.MulticlassClassification.CrossValidate(keyed, trainer, numberOfFolds: 3, labelColumnName: "Label");
        Assert.Equal(3, folds.Count);
        Assert.All(folds, f => Assert.InRange(f.Metrics.MicroAccuracy, 0.5, 1.0));
    }
}

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
