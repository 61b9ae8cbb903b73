using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Students.Mlp;
using MLNetDistill.MlNet;

namespace MLNetDistill.Tests.Students.Mlp;

/// <summary>MlpStudentOptions: copied and validated when the trainer is built, and the input checks of GetOutputSchema.</summary>
public sealed class MlpStudentOptionsTests
{
    [Fact]
    public void Clone_CopiesEveryNetworkOptionAndOwnsItsArrays()
    {
        // Give every read-write option of the network a value other than its default, by type.
        var options = new MlpStudentOptions { FeatureColumnName = "F", HintColumnName = "H", TeacherWeights = [1f, 2f], WeightTeachersByConfidence = true };
        options.TeacherLogitsColumnNames.Add("A");
        var defaults = new MlpTrainerOptions();
        var network = typeof(MlpTrainerOptions).GetProperties().Where(p => p.CanWrite).ToArray();
        foreach (var property in network)
        {
            property.SetValue(options.Network, OtherValue(property.PropertyType, property.GetValue(defaults)));
        }

        var copy = options.Clone();

        Assert.NotSame(options.Network, copy.Network);
        foreach (var property in network)
        {
            Assert.True(Equals(property.GetValue(options.Network), property.GetValue(copy.Network)) || property.GetValue(copy.Network) is Array,
                $"{property.Name} was not copied");
            Assert.NotEqual(property.GetValue(defaults), property.GetValue(copy.Network));
        }

        Assert.Equal(options.Network.HiddenLayerSizes, copy.Network.HiddenLayerSizes);
        Assert.NotSame(options.Network.HiddenLayerSizes, copy.Network.HiddenLayerSizes);
        Assert.Equal([1f, 2f], copy.TeacherWeights!);
        Assert.NotSame(options.TeacherWeights, copy.TeacherWeights);
        options.TeacherLogitsColumnNames.Add("B");
        Assert.Equal(["A"], copy.TeacherLogitsColumnNames);
        Assert.Equal(("F", "H", true), (copy.FeatureColumnName, copy.HintColumnName, copy.WeightTeachersByConfidence));
    }

    [Fact]
    public void DistillMlp_OptionsChangedAfterBuilding_TrainerKeepsTheOptionsItWasBuiltWith()
    {
        var ml = new MLContext(1);
        var options = new MlpStudentOptions();
        options.Network.HiddenLayerSizes = [4];
        var trainer = ml.MulticlassClassification.Trainers.DistillMlp(options);

        options.FeatureColumnName = "Missing";
        options.Network.HiddenLayerSizes[0] = -5;
        options.Network.Epochs = 0;

        var data = ml.Data.LoadFromEnumerable([new ScoredRow()]);
        var shape = trainer.GetOutputSchema(SchemaShapeChecks.Shape(data.Schema));
        Assert.Contains(shape, c => c.Name == "PredictedLabel" && c.IsKey);
    }

    [Fact]
    public void DistillMlp_Building_DoesNotChangeTheCallersOptions()
    {
        var ml = new MLContext(1);
        var options = new MlpStudentOptions { LabelColumnName = "Y" };
        options.Network.HiddenLayerSizes = [8, 4];
        options.Network.Alpha = 0.3f;

        ml.Regression.Trainers.DistillMlp(options);

        Assert.Equal([8, 4], options.Network.HiddenLayerSizes);
        Assert.Equal(0.3f, options.Network.Alpha);
        Assert.Equal("Y", options.LabelColumnName);
    }

    [Fact]
    public void Defaults_ComeFromDataColumnNames()
    {
        var options = new MlpStudentOptions();

        Assert.Equal(
            new[] { DataColumnNames.Features, DataColumnNames.SoftLabels, DataColumnNames.TeacherLogits, DataColumnNames.TeacherScore, DataColumnNames.Label },
            new[] { options.FeatureColumnName, options.SoftLabelsColumnName, options.TeacherLogitsColumnName, options.TeacherScoreColumnName, options.LabelColumnName });
    }

    [Theory]
    [InlineData(nameof(MlpStudentOptions.FeatureColumnName))]
    [InlineData(nameof(MlpStudentOptions.SoftLabelsColumnName))]
    [InlineData(nameof(MlpStudentOptions.TeacherLogitsColumnName))]
    [InlineData(nameof(MlpStudentOptions.TeacherScoreColumnName))]
    [InlineData(nameof(MlpStudentOptions.LabelColumnName))]
    [InlineData(nameof(MlpStudentOptions.HintColumnName))]
    public void DistillMlp_BlankColumnName_ThrowsNamingTheOption(string option)
    {
        var ml = new MLContext(1);
        var options = new MlpStudentOptions();
        typeof(MlpStudentOptions).GetProperty(option)!.SetValue(options, " ");

        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.DistillMlp(options));

        Assert.Equal(option, ex.ParamName);
        Assert.Contains("cannot be an empty string or composed entirely of whitespace", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_FeaturesOfDoubles_ThrowsNamingType()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new DoubleFeaturesRow()]);

        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.DistillMlp([4]).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("The feature column 'Features' holds Vector<Double>; it must be a vector of Single values of known size", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_FeatureColumnMissing_ThrowsListingColumns()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new ScoredRow()]);
        var options = new MlpStudentOptions { FeatureColumnName = "Pixels" };

        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.DistillMlp(options).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("The feature column 'Pixels' is not in the data", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Columns present: Features, TeacherLogits, Label.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_IntegerTeacherLogits_ThrowsNamingType()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new IntLogitsRow()]);

        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.DistillMlp([4]).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("The teacher logits column 'TeacherLogits' holds Vector<Int32>", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_NoTeacherColumns_ThrowsNamingBoth()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, [[1f, 2f]]);

        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.DistillMlp([4]).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("neither the teacher logits column 'TeacherLogits' nor the soft-label column 'SoftLabels'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_TextLabel_ThrowsNamingType()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new TextLabelRow()]);

        var ex = Assert.Throws<ArgumentException>(() => ml.BinaryClassification.Trainers.DistillMlp([4]).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("The label column 'Label' holds String; a class label must be a single number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_RegressionTeacherScoreVector_ThrowsNamingType()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new ScoredRow()]);
        var options = new MlpStudentOptions { TeacherScoreColumnName = "TeacherLogits" };

        var ex = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.DistillMlp(options).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("The teacher prediction column 'TeacherLogits' holds Vector<Single>; a regression teacher's prediction must be a Single", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_RegressionIntegerLabel_ThrowsNamingType()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new RegressionRow()]);

        var ex = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.DistillMlp([4]).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("The label column 'Label' holds Int32; a regression label must be a Single", ex.Message, StringComparison.Ordinal);
    }

    private static object? OtherValue(Type type, object? value) => value switch
    {
        int[] sizes => sizes.Select(s => s + 3).Append(5).ToArray(),
        int i => i == -1 ? 0 : i + 1,
        float f => f == 0f ? 0.25f : f / 2,
        double d => d + 1.5,
        bool b => !b,
        null when type == typeof(int?) => 2,
        Enum e => Enum.GetValues(type).Cast<object>().First(v => !v.Equals(e)),
        _ => throw new InvalidOperationException($"Give MlpTrainerOptions' {type.Name} options a non-default value in this test."),
    };

    private sealed class ScoredRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = new float[2];

        [VectorType(3)]
        public float[] TeacherLogits { get; set; } = new float[3];

        public float Label { get; set; }
    }

    private sealed class DoubleFeaturesRow
    {
        [VectorType(2)]
        public double[] Features { get; set; } = new double[2];

        [VectorType(3)]
        public float[] TeacherLogits { get; set; } = new float[3];
    }

    private sealed class IntLogitsRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = new float[2];

        [VectorType(3)]
        public int[] TeacherLogits { get; set; } = new int[3];
    }

    private sealed class TextLabelRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = new float[2];

        [VectorType(2)]
        public float[] TeacherLogits { get; set; } = new float[2];

        public string Label { get; set; } = "yes";
    }

    private sealed class RegressionRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = new float[2];

        public float TeacherScore { get; set; }

        public int Label { get; set; }
    }
}
