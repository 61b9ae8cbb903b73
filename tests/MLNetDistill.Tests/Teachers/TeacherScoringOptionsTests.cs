using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Numerics;
using MLNetDistill.Teachers;
using MLNetDistill.MlNet;

namespace MLNetDistill.Tests.Teachers;

/// <summary>The estimator keeps a validated copy of its options, as ML.NET's estimators do.</summary>
public sealed class TeacherScoringOptionsTests
{
    [Fact]
    public void ScoreWithTeacher_OptionsChangedAfterBuilding_EstimatorKeepsTheOptionsItWasBuiltWith()
    {
        var ml = new MLContext(1);
        var data = ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 5);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, Temperature = 2f };
        var estimator = ml.Transforms.ScoreWithTeacher(options);

        options.Temperature = 5f;
        options.LogitsColumnName = "Changed";
        options.BatchSize = -1;
        options.FeatureColumnName = "Missing";
        options.Hints.Add(new TeacherHint("no_such_tensor", "Hint"));

        var shape = estimator.GetOutputSchema(SchemaShapeChecks.Shape(data.Schema));
        Assert.Contains(shape, c => c.Name == "TeacherLogits");
        Assert.DoesNotContain(shape, c => c.Name == "Changed" || c.Name == "Hint");
        using var teacher = estimator.Fit(data);
        var scored = teacher.Transform(data);
        Assert.Null(scored.Schema.GetColumnOrNull("Hint"));
        var logits = scored.GetColumn<float[]>("TeacherLogits").ToArray();
        var soft = scored.GetColumn<float[]>("SoftLabels").ToArray();
        var expected = new float[10];
        for (int r = 0; r < logits.Length; r++)
        {
            SoftLabelMath.Softmax(logits[r], 2f, expected);
            Assert.Equal(expected, soft[r], new FloatComparer(1e-5));
        }
    }

    [Fact]
    public void ScoreWithTeacher_Building_DoesNotChangeTheCallersOptions()
    {
        // MLContext.GpuDeviceId fills the estimator's device, not the caller's object.
        var ml = new MLContext(1) { GpuDeviceId = 0, FallbackToCpu = true };
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher };
        options.Hints.Add(new TeacherHint("/relu4/Relu_output_0", "Hidden"));

        ml.Transforms.ScoreWithTeacher(options);

        Assert.Null(options.GpuDeviceId);
        Assert.False(options.FallbackToCpu);
        Assert.Equal(TestPaths.FashionTeacher, options.ModelFile);
        Assert.Equal([new TeacherHint("/relu4/Relu_output_0", "Hidden")], options.Hints);
    }

    [Fact]
    public void Constructor_InMemoryModel_LeavesTheCallersModelFileEmpty()
    {
        var ml = new MLContext(1);
        var options = new TeacherScoringOptions();
        byte[] bytes = File.ReadAllBytes(TestPaths.Fixture("binary_teacher.onnx"));

        var estimator = new TeacherScoringEstimator(ml.Transforms, options, bytes);

        Assert.Equal("", options.ModelFile);
        Assert.Equal("(in memory)", estimator.Teacher.Path);
    }

    [Fact]
    public void Clone_CopiesEveryPropertyAndTheLists()
    {
        var options = new TeacherScoringOptions
        {
            ModelFile = "m.onnx", FeatureColumnName = "F", TeacherOutputName = "o", OutputKind = TeacherOutputKind.Probabilities,
            Task = TeacherTask.Binary, Temperature = 3f, BatchSize = 7, LogitsColumnName = "L", SoftLabelsColumnName = "S",
            PredictedLabelColumnName = "P", ScoreColumnName = "T", LabelColumnName = null, GpuDeviceId = 2, FallbackToCpu = true,
            SkipInvalidRows = true, IntraOpNumThreads = 3,
        };
        options.Inputs.Add(new TeacherInput("a", "A"));
        options.Hints.Add(new TeacherHint("h", "H"));

        var copy = options.Clone();
        options.Inputs.Clear();
        options.Hints.Clear();

        foreach (var property in typeof(TeacherScoringOptions).GetProperties().Where(p => p.CanWrite))
        {
            Assert.Equal(property.GetValue(options), property.GetValue(copy));
        }

        Assert.Equal([new TeacherInput("a", "A")], copy.Inputs);
        Assert.Equal([new TeacherHint("h", "H")], copy.Hints);
    }

    [Theory]
    [InlineData(nameof(TeacherScoringOptions.LogitsColumnName))]
    [InlineData(nameof(TeacherScoringOptions.SoftLabelsColumnName))]
    [InlineData(nameof(TeacherScoringOptions.PredictedLabelColumnName))]
    [InlineData(nameof(TeacherScoringOptions.FeatureColumnName))]
    public void ScoreWithTeacher_BlankColumnName_ThrowsNamingTheOption(string option)
    {
        var ml = new MLContext(1);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher };
        typeof(TeacherScoringOptions).GetProperty(option)!.SetValue(options, " ");

        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(options));

        Assert.Equal(option, ex.ParamName);
        Assert.Contains("cannot be an empty string or composed entirely of whitespace", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoreWithTeacher_NoModelFile_ThrowsNamingModelFile()
    {
        var ml = new MLContext(1);

        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions()));

        Assert.Equal(nameof(TeacherScoringOptions.ModelFile), ex.ParamName);
        Assert.Contains("cannot be an empty string", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoreWithTeacher_NegativeGpuDevice_ThrowsQuotingIt()
    {
        var ml = new MLContext(1);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, GpuDeviceId = -1 }));

        Assert.Equal(nameof(TeacherScoringOptions.GpuDeviceId), ex.ParamName);
        Assert.Contains("GpuDeviceId must be 0 or more but was -1.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoreWithTeacher_ZeroThreads_ThrowsQuotingIt()
    {
        var ml = new MLContext(1);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, IntraOpNumThreads = 0 }));

        Assert.Equal(nameof(TeacherScoringOptions.IntraOpNumThreads), ex.ParamName);
        Assert.Contains("IntraOpNumThreads must be positive (or null for one per logical processor) but was 0.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoreWithTeacher_NullHint_ThrowsNamingHints()
    {
        var ml = new MLContext(1);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher };
        options.Hints.Add(null!);

        var ex = Assert.Throws<ArgumentNullException>(() => ml.Transforms.ScoreWithTeacher(options));

        Assert.Equal(nameof(TeacherScoringOptions.Hints), ex.ParamName);
    }

    [Fact]
    public void ScoreWithTeacher_SameNameForTwoOutputs_ThrowsNamingIt()
    {
        var ml = new MLContext(1);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, SoftLabelsColumnName = "TeacherLogits" };

        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(options));

        Assert.Contains("Output column name 'TeacherLogits' is used twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_ComeFromDataColumnNames()
    {
        var options = new TeacherScoringOptions();

        Assert.Equal(
            new string?[] { DataColumnNames.Features, DataColumnNames.TeacherLogits, DataColumnNames.SoftLabels, DataColumnNames.TeacherPredictedLabel, DataColumnNames.TeacherScore, DataColumnNames.Label },
            new[] { options.FeatureColumnName, options.LogitsColumnName, options.SoftLabelsColumnName, options.PredictedLabelColumnName, options.ScoreColumnName, options.LabelColumnName });
    }
}
