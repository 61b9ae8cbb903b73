using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Teachers;

/// <summary>Which teacher output is read: never a copy of an input, scikit-learn's ZipMap read as its probabilities, a teacher below chance warned about.</summary>
public sealed class TeacherOutputChoiceTests
{
    [Fact]
    public void ScoreWithTeacher_SklearnZipMapClassifier_SoftLabelsAreItsProbabilities()
    {
        // samples/teachers/make_zipmap_teacher.py: a scikit-learn LogisticRegression written as skl2onnx writes it (ZipMap on).
        using var golden = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("digits_zipmap_teacher.json")));
        float[][] expected = [.. golden.RootElement.GetProperty("firstTestProbabilities").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray())];
        var ml = new MLContext(0);
        var data = ml.Data.TakeRows(CsvFeatureReader.Load(TestPaths.Fixture("digits_test.csv"), "label"), expected.Length);

        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("digits_zipmap_teacher.onnx")).Fit(data);
        float[][] soft = [.. teacher.Transform(data).GetColumn<float[]>(DataColumnNames.SoftLabels)];

        Assert.Equal("output_probability", teacher.TeacherOutputName);
        Assert.True(teacher.OutputWasProbabilities);
        Assert.Equal(10, teacher.ClassCount);
        Assert.Equal(expected.Length, soft.Length);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r], soft[r], new FloatComparer(1e-4));
        }
    }

    [Fact]
    public void ScoreWithTeacher_MlNetConvertedModel_SkipsFeaturesOutputAndReadsScoreProbabilities()
    {
        // ML.NET's own converter on a real ML.NET model: outputs Features.output (a copy of the input), PredictedLabel.output, Score.output.
        var ml = new MLContext(0);
        var train = CsvFeatureReader.Load(TestPaths.Fixture("digits_train.csv"), "label");
        var test = CsvFeatureReader.Load(TestPaths.Fixture("digits_test.csv"), "label");
        var model = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new Microsoft.ML.Trainers.SdcaMaximumEntropyMulticlassTrainer.Options { NumberOfThreads = 1, MaximumNumberOfIterations = 30 }))
            .Fit(train);
        // The trainer's transformer alone, on the features, as distill exports a student (the label mapping reads a column the graph does not take).
        var export = MLNetDistill.Students.Export.StudentOnnxExporter.Export(ml, model.LastTransformer, train.Schema);
        Assert.True(export.Converted, export.Note);
        string file = TestPaths.TempFile(".onnx");
        File.WriteAllBytes(file, export.Model!);
        Assert.Equal("Features.output", MLNetDistill.Onnx.OnnxModelInfo.Load(file).Outputs[0].Name);

        using var teacher = ml.Transforms.ScoreWithTeacher(file).Fit(test);
        var scored = teacher.Transform(test);

        Assert.Equal("Score.output", teacher.TeacherOutputName);
        Assert.True(teacher.OutputWasProbabilities);
        float[][] mlnetScores = [.. model.Transform(test).GetColumn<float[]>("Score")];
        float[][] soft = [.. scored.GetColumn<float[]>(DataColumnNames.SoftLabels)];
        Assert.Equal(mlnetScores.Length, soft.Length);
        for (int r = 0; r < soft.Length; r += 37)
        {
            Assert.Equal(mlnetScores[r], soft[r], new FloatComparer(1e-4));
        }

        var options = new TeacherScoringOptions { ModelFile = file, TeacherOutputName = "Features.output" };
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(options));
        Assert.Equal(nameof(TeacherScoringOptions.TeacherOutputName), error.ParamName);
        Assert.Contains("copy of the model's input 'Features'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.45, 1000, 2, true)]
    [InlineData(0.46, 1000, 2, false)]
    [InlineData(0.0, 719, 10, true)]
    [InlineData(0.09, 719, 10, false)]
    [InlineData(0.0, 19, 10, false)]
    [InlineData(double.NaN, 1000, 10, false)]
    public void Message_AccuracyAgainstChance_WarnsOnlyClearlyBelow(double accuracy, long rows, int classes, bool warns)
    {
        string? message = TeacherAccuracyCheck.Message(accuracy, rows, classes, "logits", "logits (float [batch, 10])");

        Assert.Equal(warns, message is not null);
        if (warns)
        {
            Assert.Contains("TeacherOutputName", message, StringComparison.Ordinal);
            Assert.Contains("'logits'", message, StringComparison.Ordinal);
        }
    }
}
