using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MLNetDistill.Evaluation;
using MLNetDistill.Experiments;
using MLNetDistill.Tests.Students;

namespace MLNetDistill.Tests.Experiments;

/// <summary><see cref="DistillationResultWriter.Save"/> writes STUDENT.onnx beside STUDENT.zip when the student converts, and a note (no stale file) when it does not.</summary>
public sealed class DistillationResultWriterOnnxTests(ServingData data) : IClassFixture<ServingData>
{
    private static readonly DistillationMetrics Unmeasured = new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0);

    [Fact]
    public void Save_LightGbmStudent_WritesOnnxBesideZip()
    {
        var ml = new MLContext(1);
        var trainers = ml.MulticlassClassification.Trainers;
        var model = trainers.SoftLabel(trainers.LightGbm(labelColumnName: "Label", exampleWeightColumnName: "Weight", numberOfIterations: 5, numberOfLeaves: 4)).Fit(data.Multiclass.Train);
        string zip = TestPaths.TempFile(".zip");

        var saved = DistillationResultWriter.Save(ml, new DistillationTrainedModel(model, Unmeasured, 0, 0), data.Multiclass.Test.Schema, zip);

        Assert.Equal(Path.ChangeExtension(zip, ".onnx"), saved.OnnxFile);
        Assert.Null(saved.OnnxNote);
        Assert.Equal(new FileInfo(saved.OnnxFile!).Length, saved.OnnxBytes);
        Assert.Equal(new FileInfo(zip).Length, saved.ModelBytes); // the report's modelBytes stays the zip for tree and linear students
        File.Delete(zip);
        File.Delete(saved.OnnxFile!);
    }

    [Fact]
    public void Save_ChainThatDoesNotConvert_WritesZipNoteAndRemovesStaleOnnx()
    {
        var ml = new MLContext(1);
        var trainers = ml.MulticlassClassification.Trainers;
        var model = trainers.SoftLabel(trainers.SdcaMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", maximumNumberOfIterations: 3))
            .Append(ml.Transforms.CustomMapping(new TopScoreFactory().GetMapping(), TopScoreFactory.Contract)).Fit(data.Multiclass.Train);
        string zip = TestPaths.TempFile(".zip");
        string stale = Path.ChangeExtension(zip, ".onnx");
        File.WriteAllText(stale, "an earlier run's student");

        var saved = DistillationResultWriter.Save(ml, new DistillationTrainedModel(model, Unmeasured, 0, 0), data.Multiclass.Test.Schema, zip);

        Assert.True(File.Exists(zip));
        Assert.Null(saved.OnnxFile);
        Assert.Equal(0, saved.OnnxBytes);
        Assert.StartsWith("does not convert: ", saved.OnnxNote, StringComparison.Ordinal);
        Assert.False(File.Exists(stale));
        File.Delete(zip);
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

    /// <summary>A user's own step after the student: the top score, C# code a zip can save (by contract name) and ONNX cannot hold.</summary>
    [CustomMappingFactoryAttribute(Contract)]
    public sealed class TopScoreFactory : CustomMappingFactory<ScoreRow, TopScoreRow>
    {
        public const string Contract = "MLNetDistill.Tests.TopScore";

        public override Action<ScoreRow, TopScoreRow> GetMapping() => static (row, top) => top.TopScore = row.Score.Max();
    }
}
