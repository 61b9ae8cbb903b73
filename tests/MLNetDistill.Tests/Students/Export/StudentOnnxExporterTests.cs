using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Trainers.LightGbm;
using MLNetDistill.Onnx;
using MLNetDistill.Students.Export;
using StudentOnnxExporter = MLNetDistill.Students.Export.StudentOnnxExporter;
using MLNetDistill.Tests.Students;
using Xunit.Abstractions;

namespace MLNetDistill.Tests.Students.Export;

/// <summary>
/// Every soft-label student family trained on 300 real Fashion-MNIST rows scored by the CNN teacher exports to ONNX
/// (logit matching with its arg-max appended as ONNX nodes), and the exported file, run in ONNX Runtime on 200 other rows in one batch,
/// reproduces the ML.NET model's <c>Score</c> and <c>PredictedLabel</c>.
/// </summary>
public sealed class StudentOnnxExporterTests(ServingData data, ITestOutputHelper output) : IClassFixture<ServingData>
{
    /// <summary>
    /// Absolute difference allowed between ML.NET's and ONNX Runtime's scores: both compute in float, in a different
    /// order (tree sums, softmax, dot products), so only float rounding may differ.
    /// </summary>
    private const double Tolerance = 1e-4;

    public static TheoryData<string> ConvertingFamilies => ["sdca", "lbfgs", "lightgbm", "fasttree-ova", "logits-fasttree", "mlp"];

    [Theory]
    [MemberData(nameof(ConvertingFamilies))]
    public void Export_SoftLabelStudent_OnnxRuntimeReproducesScoreAndPredictedLabel(string family)
    {
        var ml = new MLContext(1);
        var split = data.Multiclass;
        var model = Trainer(ml, family).Fit(split.Train);

        var export = StudentOnnxExporter.Export(ml, model, split.Test.Schema);

        Assert.True(export.Converted, export.Note);
        Assert.Null(export.Note);
        bool mlp = family == "mlp";
        Assert.Equal(mlp ? "features" : "Features", export.InputName);
        Assert.Equal(mlp ? "probabilities" : "Score.output", export.ScoreOutputName);
        Assert.Equal(mlp ? null : "PredictedLabel.output", export.PredictedLabelOutputName);
        string file = TestPaths.TempFile(".onnx");
        File.WriteAllBytes(file, export.Model!);
        try
        {
            var predictions = model.Transform(split.Test);
            var expectedScores = predictions.GetColumn<float[]>("Score").ToArray();
            var expectedLabels = predictions.GetColumn<uint>("PredictedLabel").ToArray();
            var (scores, labels) = RunOnnx(file, export, split.Test.GetColumn<float[]>("Features").ToArray(), split.Width);

            double maxDifference = expectedScores.Zip(scores, (e, a) => e.Zip(a, (x, y) => Math.Abs(x - y)).Max()).Max();
            output.WriteLine($"{family}: {new FileInfo(file).Length:N0} bytes of ONNX, max |score difference| {maxDifference:E2} over {scores.Length} rows x {scores[0].Length} classes");
            Assert.Equal(expectedScores.Length, scores.Length);
            Assert.All(scores, row => Assert.Equal(10, row.Length));
            Assert.InRange(maxDifference, 0, Tolerance);
            Assert.Equal(expectedLabels, labels);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Export_MlpRegressionStudent_LogitsOutputIsScore()
    {
        var ml = new MLContext(1);
        var split = data.Regression;
        using var model = ml.Regression.Trainers.DistillMlp(Mlp()).Fit(split.Train);

        var export = StudentOnnxExporter.Export(ml, model, split.Test.Schema);

        Assert.Equal("logits", export.ScoreOutputName);
        var features = split.Test.GetColumn<float[]>("Features").ToArray();
        using var session = new InferenceSession(export.Model!);
        var input = new DenseTensor<float>(features.SelectMany(f => f).ToArray(), [features.Length, split.Width]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(export.InputName!, input)], [export.ScoreOutputName!]);
        var expected = model.Transform(split.Test).GetColumn<float>("Score").ToArray();
        Assert.Equal(expected, results[0].AsEnumerable<float>(), new FloatComparer(Tolerance));
    }

    [Fact]
    public void Export_StudentChainWithCustomMapping_ReportsWhyItDoesNotConvert()
    {
        var ml = new MLContext(1);
        var split = data.Multiclass;
        // A user's own student (DistillationStudent.FromEstimator): SDCA on soft labels, then a CustomMapping of its scores.
        var model = Trainer(ml, "sdca").Append(ml.Transforms.CustomMapping<ScoreRow, TopScoreRow>((row, top) => top.TopScore = row.Score.Max(), contractName: null)).Fit(split.Train);

        var export = StudentOnnxExporter.Export(ml, model, split.Test.Schema);

        output.WriteLine(export.Note);
        Assert.False(export.Converted);
        Assert.Null(export.Model);
        Assert.StartsWith("does not convert: ML.NET's ONNX converter cannot write a chain of 2 steps (MulticlassPredictionTransformer<", export.Note, StringComparison.Ordinal);
        Assert.Contains("CustomMappingTransformer<ScoreRow, TopScoreRow> (a CustomMapping: C# code, which an ONNX graph cannot hold) has no ONNX form", export.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_SchemaWithoutFeatures_ThrowsNamingTheColumn()
    {
        var ml = new MLContext(1);
        var split = data.Multiclass;
        var model = Trainer(ml, "sdca").Fit(split.Train);
        var schema = ml.Transforms.DropColumns("Features").Fit(split.Test).Transform(split.Test).Schema;

        var error = Assert.Throws<ArgumentException>(() => StudentOnnxExporter.Export(ml, model, schema));

        Assert.Equal("schema", error.ParamName);
        Assert.Contains("no column 'Features'", error.Message, StringComparison.Ordinal);
    }

    private static IEstimator<ITransformer> Trainer(MLContext ml, string family)
    {
        var multiclass = ml.MulticlassClassification.Trainers;
        return family switch
        {
            "sdca" => multiclass.SoftLabel(multiclass.SdcaMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", maximumNumberOfIterations: 5)),
            "lbfgs" => multiclass.SoftLabel(multiclass.LbfgsMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", historySize: 5)),
            "lightgbm" => multiclass.SoftLabel(multiclass.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                LabelColumnName = "Label", ExampleWeightColumnName = "Weight", NumberOfIterations = 10, NumberOfLeaves = 8,
                Seed = 1, Deterministic = true, NumberOfThreads = 1, ForceColumnWise = true,
            })),
            "fasttree-ova" => multiclass.SoftLabel(multiclass.OneVersusAll(
                ml.BinaryClassification.Trainers.FastTree(exampleWeightColumnName: "Weight", numberOfTrees: 3, numberOfLeaves: 4), labelColumnName: "Label")),
            "logits-fasttree" => multiclass.LogitMatching(label => ml.Regression.Trainers.FastTree(labelColumnName: label, numberOfTrees: 3, numberOfLeaves: 4)),
            "mlp" => multiclass.DistillMlp(Mlp()),
            _ => throw new ArgumentOutOfRangeException(nameof(family), family, "not a family of this test"),
        };
    }

    private static MLNetDistill.Students.Mlp.MlpStudentOptions Mlp()
    {
        var options = new MLNetDistill.Students.Mlp.MlpStudentOptions();
        options.Network.HiddenLayerSizes = [16];
        options.Network.Epochs = 3;
        options.Network.BatchSize = 32;
        options.Network.Seed = 3;
        return options;
    }

    /// <summary>Runs the exported file on all rows in one batch; returns each row's scores and its predicted label as ML.NET's 1-based key.</summary>
    private (float[][] Scores, uint[] Labels) RunOnnx(string file, StudentOnnxExport export, float[][] features, int width)
    {
        using var session = new InferenceSession(file);
        var input = new DenseTensor<float>(features.SelectMany(f => f).ToArray(), [features.Length, width]);
        // Only the outputs a served student needs (ML.NET's graphs also pass Features through as Features.output).
        string[] wanted = export.PredictedLabelOutputName is { } p ? [export.ScoreOutputName!, p] : [export.ScoreOutputName!];
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(export.InputName!, input)], wanted);
        var score = results.Single(r => r.Name == export.ScoreOutputName).AsTensor<float>();
        int classes = (int)(score.Length / features.Length);
        var scores = Enumerable.Range(0, features.Length).Select(r => Enumerable.Range(0, classes).Select(k => score[r, k]).ToArray()).ToArray();
        output.WriteLine($"graph outputs: {string.Join(", ", session.OutputMetadata.Select(o => $"{o.Key} {o.Value.ElementDataType} [{string.Join(", ", o.Value.Dimensions)}]"))}");
        Assert.Contains(export.ScoreOutputName!, session.OutputMetadata.Keys);
        if (export.PredictedLabelOutputName is null)
        {
            // MLP students' graph has no label output: the predicted class is the arg-max of the scores, as a 1-based key.
            return (scores, scores.Select(s => (uint)Array.IndexOf(s, s.Max()) + 1).ToArray());
        }

        return (scores, results.Single(r => r.Name == export.PredictedLabelOutputName).AsEnumerable<uint>().ToArray());
    }

    public sealed class ScoreRow
    {
        [VectorType(10)]
        public float[] Score { get; set; } = [];
    }

    public sealed class TopScoreRow
    {
        public float TopScore { get; set; }
    }
}
