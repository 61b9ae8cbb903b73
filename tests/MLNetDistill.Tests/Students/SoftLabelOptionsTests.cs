using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MLNetDistill.Data;
using MLNetDistill.Students;
using MLNetDistill.MlNet;

namespace MLNetDistill.Tests.Students;

/// <summary>SoftLabelOptions: copied and validated when the trainer is built, and the input checks of GetOutputSchema.</summary>
public sealed class SoftLabelOptionsTests
{
    [Fact]
    public void SoftLabel_OptionsChangedAfterBuilding_TrainsAsBuilt()
    {
        var ml = new MLContext(1);
        var data = Rows(ml);
        var reference = ml.MulticlassClassification.Trainers.SoftLabel(Lbfgs(ml), new SoftLabelOptions { Alpha = 0.5f, TopK = 0 }).Fit(data);
        var options = new SoftLabelOptions { Alpha = 0.5f, TopK = 0 };
        var trainer = ml.MulticlassClassification.Trainers.SoftLabel(Lbfgs(ml), options);

        options.Alpha = 1f;
        options.TopK = 1;
        options.SoftLabelsColumnName = "Missing";

        var model = trainer.Fit(data);
        Assert.Equal(Scores(reference, data), Scores(model, data));
    }

    [Fact]
    public void SoftLabel_Building_DoesNotChangeTheCallersOptions()
    {
        var ml = new MLContext(1);
        var options = new SoftLabelOptions { Alpha = 0.25f, TopK = 2, MinProbability = 0.05f, SoftLabelsColumnName = "S", SourceLabelColumnName = "Y" };

        ml.MulticlassClassification.Trainers.SoftLabel(Lbfgs(ml), options);
        ml.BinaryClassification.Trainers.SoftLabel(BinaryLbfgs(ml), options);

        Assert.Equal((0.25f, 2, 0.05f, "S", "Y"), (options.Alpha, options.TopK, options.MinProbability, options.SoftLabelsColumnName, options.SourceLabelColumnName));
    }

    [Fact]
    public void Clone_CopiesEveryProperty()
    {
        var options = new SoftLabelOptions { Alpha = 0.25f, TopK = 2, MinProbability = 0.05f, SoftLabelsColumnName = "S", SourceLabelColumnName = "Y" };

        var copy = options.Clone();

        Assert.NotSame(options, copy);
        foreach (var property in typeof(SoftLabelOptions).GetProperties())
        {
            Assert.Equal(property.GetValue(options), property.GetValue(copy));
        }
    }

    [Fact]
    public void Defaults_ComeFromDataColumnNames()
    {
        var options = new SoftLabelOptions();

        Assert.Equal(DataColumnNames.SoftLabels, options.SoftLabelsColumnName);
        Assert.Equal(DataColumnNames.Label, options.SourceLabelColumnName);
    }

    [Fact]
    public void SoftLabel_NegativeTopK_ThrowsNamingTopK()
    {
        var ml = new MLContext(1);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SoftLabel(Lbfgs(ml), new SoftLabelOptions { TopK = -1 }));

        Assert.Equal(nameof(SoftLabelOptions.TopK), ex.ParamName);
        Assert.Contains("('-1') must be a non-negative value", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1f, "1")]
    [InlineData(-0.5f, "-0.5")]
    [InlineData(float.NaN, "NaN")]
    public void SoftLabel_MinProbabilityOutsideRange_ThrowsQuotingIt(float minProbability, string quoted)
    {
        var ml = new MLContext(1);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SoftLabel(Lbfgs(ml), new SoftLabelOptions { MinProbability = minProbability }));

        Assert.Equal(nameof(SoftLabelOptions.MinProbability), ex.ParamName);
        Assert.Contains($"MinProbability must be in [0, 1) but was {quoted}.", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(SoftLabelOptions.SoftLabelsColumnName))]
    [InlineData(nameof(SoftLabelOptions.SourceLabelColumnName))]
    public void SoftLabel_BlankColumnName_ThrowsNamingTheOption(string option)
    {
        var ml = new MLContext(1);
        var options = new SoftLabelOptions();
        typeof(SoftLabelOptions).GetProperty(option)!.SetValue(options, "");

        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.SoftLabel(Lbfgs(ml), options));

        Assert.Equal(option, ex.ParamName);
        Assert.Contains("cannot be an empty string", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_SoftLabelsMissing_ThrowsNamingColumnAndFix()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, [[1f, 2f]]);

        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.SoftLabel(Lbfgs(ml)).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("The soft-label column 'SoftLabels' is not in the data", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ScoreWithTeacher", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Columns present: Features, Label, Id.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_SoftLabelsOfDoubles_ThrowsNamingType()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new DoubleSoftRow()]);

        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.SoftLabel(Lbfgs(ml)).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("The soft-label column 'SoftLabels' holds Vector<Double>; it must be a vector of Single values of known size", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_ScalarSoftLabels_ThrowsNamingType()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new { Features = new float[2], SoftLabels = 0.5f }]);

        var ex = Assert.Throws<ArgumentException>(() => ml.BinaryClassification.Trainers.SoftLabel(BinaryLbfgs(ml))
            .GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("The soft-label column 'SoftLabels' holds Single;", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_TextLabel_ThrowsNamingTypeAndFix()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new TextLabelRow()]);

        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.SoftLabel(Lbfgs(ml)).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("The label column 'Label' holds String; a class label must be a single number", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MapValueToKey", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_ScoredData_GivesTheBaseTrainersColumns()
    {
        var ml = new MLContext(1);
        var data = Rows(ml);

        var shape = ml.MulticlassClassification.Trainers.SoftLabel(Lbfgs(ml)).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema));

        Assert.Contains(shape, c => c.Name == "PredictedLabel" && c.IsKey);
        Assert.Contains(shape, c => c.Name == "Score" && c.Kind == SchemaShape.Column.VectorKind.Vector);
    }

    [Fact]
    public void BinarySoftLabel_OptionsOverloadWithoutPruning_SameModelAsSimpleOverload()
    {
        // The simple binary overload keeps both weighted rows of every row (TopK 0, MinProbability 0).
        var ml = new MLContext(1);
        var data = BinaryRows(ml);
        var trainer = BinaryLbfgs(ml);

        var simple = ml.BinaryClassification.Trainers.SoftLabel(trainer, alpha: 0.3f).Fit(data);
        var options = ml.BinaryClassification.Trainers.SoftLabel(trainer, new SoftLabelOptions { Alpha = 0.3f, TopK = 0, MinProbability = 0 }).Fit(data);

        Assert.Equal(simple.Transform(data).GetColumn<float>("Score").ToArray(), options.Transform(data).GetColumn<float>("Score").ToArray());
    }

    [Fact]
    public void BinarySoftLabel_OptionsAlpha_ChangesTheModel()
    {
        var ml = new MLContext(1);
        var data = BinaryRows(ml);
        var trainer = BinaryLbfgs(ml);

        var soft = ml.BinaryClassification.Trainers.SoftLabel(trainer, new SoftLabelOptions { Alpha = 1f, MinProbability = 0 }).Fit(data);
        var hard = ml.BinaryClassification.Trainers.SoftLabel(trainer, new SoftLabelOptions { Alpha = 0f, MinProbability = 0 }).Fit(data);

        Assert.NotEqual(soft.Transform(data).GetColumn<float>("Score").ToArray(), hard.Transform(data).GetColumn<float>("Score").ToArray());
    }

    private static IEstimator<ITransformer> Lbfgs(MLContext ml) =>
        ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options { LabelColumnName = "Label", ExampleWeightColumnName = "Weight", NumberOfThreads = 1 });

    private static IEstimator<ITransformer> BinaryLbfgs(MLContext ml) =>
        ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options { ExampleWeightColumnName = "Weight", NumberOfThreads = 1 });

    private static float[][] Scores(ITransformer model, IDataView data) => model.Transform(data).GetColumn<float[]>("Score").ToArray();

    /// <summary>Twelve rows of two features and three classes, with soft labels that lean to the hard label.</summary>
    private static IDataView Rows(MLContext ml)
    {
        var rows = Enumerable.Range(0, 12).Select(i =>
        {
            int c = i % 3;
            float[] soft = [0.15f, 0.15f, 0.15f];
            soft[c] = 0.7f;
            return new SoftRow { Features = [c + (0.1f * i), (2 - c) - (0.05f * i)], SoftLabels = soft, Label = i % 4 == 0 ? (c + 1) % 3 : c };
        }).ToArray();
        return ml.Data.LoadFromEnumerable(rows);
    }

    /// <summary>Twenty rows of a two-class teacher whose confidence grows with the first feature.</summary>
    private static IDataView BinaryRows(MLContext ml)
    {
        var rows = Enumerable.Range(0, 20).Select(i =>
        {
            float x = (i - 10) / 4f;
            float p = 1f / (1f + MathF.Exp(-2 * x));
            return new BinaryRow { Features = [x, (i % 3) / 3f], SoftLabels = [1 - p, p], Label = i % 5 == 0 ? (x > 0 ? 0 : 1) : (x > 0 ? 1 : 0) };
        }).ToArray();
        return ml.Data.LoadFromEnumerable(rows);
    }

    private sealed class SoftRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        [VectorType(3)]
        public float[] SoftLabels { get; set; } = [];

        public float Label { get; set; }
    }

    private sealed class BinaryRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        [VectorType(2)]
        public float[] SoftLabels { get; set; } = [];

        public float Label { get; set; }
    }

    private sealed class DoubleSoftRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = new float[2];

        [VectorType(3)]
        public double[] SoftLabels { get; set; } = new double[3];
    }

    private sealed class TextLabelRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = new float[2];

        [VectorType(3)]
        public float[] SoftLabels { get; set; } = new float[3];

        public string Label { get; set; } = "cat";
    }
}
