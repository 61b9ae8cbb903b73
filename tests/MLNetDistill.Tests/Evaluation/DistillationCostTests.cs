using System.Diagnostics;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Onnx;

namespace MLNetDistill.Tests.Evaluation;

/// <summary><c>mlContext.Model.MeasureDistillationCost</c> on the embedded teacher and an SDCA soft-label student over Fashion-MNIST rows.</summary>
public sealed class DistillationCostTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void MeasureDistillationCost_SdcaStudent_CountsWeightsAndBiasesAndSavedBytes()
    {
        var ml = new MLContext(1);
        var (student, test, _) = Train(ml);
        var options = new DistillationCostOptions { WarmupRows = 20, LatencyRows = 250 };

        var cost = ml.Model.MeasureDistillationCost(student, test, options);

        // 784 features x 10 classes + 10 biases = 7,850.
        output.WriteLine(cost.ToString());
        Assert.Equal(7_850, cost.ParameterCount);
        string path = TestPaths.TempFile(".zip");
        ml.Model.Save(student, test.Schema, path);
        Assert.Equal(new FileInfo(path).Length, cost.ModelBytes);
        // 100 rows, read again from the start until 20 + 250 rows have run.
        Assert.Equal(250, cost.LatencyRows);
        Assert.InRange(cost.LatencyP50Microseconds, double.Epsilon, cost.LatencyP99Microseconds);
        Assert.Equal(100, cost.ThroughputRows);
        Assert.True(cost.ThroughputRowsPerSecond > 0);
    }

    [Fact]
    public void MeasureDistillationCost_Teacher_GraphBytesAndInitializersAndLatencyThroughApplyOnnxModel()
    {
        var ml = new MLContext(1);
        var (_, test, teacher) = Train(ml);
        using (teacher)
        {
            var cost = ml.Model.MeasureDistillationCost(teacher, test, new DistillationCostOptions { WarmupRows = 5, LatencyRows = 50 });

            output.WriteLine(cost.ToString());
            byte[] graph = teacher.GetScoringGraph();
            Assert.Equal(graph.LongLength, cost.ModelBytes);
            Assert.Equal(OnnxModelInfo.FromBytes(graph, "teacher").ParameterCount, cost.ParameterCount);
            // The rewritten graph keeps every trained weight of the file it came from.
            Assert.True(cost.ParameterCount >= OnnxModelInfo.Load(TestPaths.FashionTeacher).ParameterCount);
            Assert.False(double.IsNaN(cost.LatencyP50Microseconds), "the teacher is timed through its ApplyOnnxModel twin");
            Assert.InRange(cost.LatencyP50Microseconds, double.Epsilon, cost.LatencyP99Microseconds);
            Assert.Equal(100, cost.ThroughputRows);
        }
    }

    [Fact]
    public void MeasureDistillationCost_MlpStudent_CountsWeightsAndBiasesOfItsOnnxGraph()
    {
        // 784-32-10: 784 x 32 + 32 + 32 x 10 + 10 = 25,450 parameters.
        var ml = new MLContext(1);
        var (_, test, teacher) = Train(ml);
        using (teacher)
        {
            var scored = ml.Data.Cache(teacher.Transform(test));
            using var student = ml.MulticlassClassification.Trainers.DistillMlp([32], epochs: 1).Fit(scored);

            var cost = ml.Model.MeasureDistillationCost(student, test, new DistillationCostOptions { WarmupRows = 5, LatencyRows = 50 });

            output.WriteLine(cost.ToString());
            Assert.Equal(25_450, cost.ParameterCount);
            Assert.InRange(cost.LatencyP50Microseconds, double.Epsilon, cost.LatencyP99Microseconds);
            Assert.True(cost.ModelBytes > 25_450 * 4 / 2, $"{cost.ModelBytes} bytes hold the weights (compressed at most 2x)");
        }
    }

    [Fact]
    public void MeasureDistillationCost_LightGbmStumps_CountsThresholdsAndLeavesOfEveryClassTree()
    {
        // Multiclass LightGbm is one-versus-all underneath: 10 classes x 5 rounds of 2-leaf trees, each 1 threshold + 2 leaf values: 150.
        var ml = new MLContext(1);
        var all = IdxReader.Load(TestPaths.FashionImages);
        var train = ml.Data.Cache(ml.Data.TakeRows(all, 300));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(train).Transform(train);
        var model = ml.MulticlassClassification.Trainers.LightGbm(new Microsoft.ML.Trainers.LightGbm.LightGbmMulticlassTrainer.Options
        {
            NumberOfIterations = 5, NumberOfLeaves = 2, MinimumExampleCountPerLeaf = 2, Seed = 1, Deterministic = true, NumberOfThreads = 1,
        }).Fit(keyed);

        var cost = ml.Model.MeasureDistillationCost(model, keyed, new DistillationCostOptions { WarmupRows = 5, LatencyRows = 20 });

        Assert.Equal(150, cost.ParameterCount);
    }

    [Fact]
    public void MeasureDistillationCost_CalibratedFastTreeStumps_CountsTheTreesNotTheCalibrator()
    {
        // 3 trees of 2 leaves: 3 x (1 threshold + 2 leaf values) = 9; the Platt calibrator's two numbers are left out.
        var ml = new MLContext(1);
        var data = ml.Data.Cache(CsvFeatureReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label"));
        var bools = ml.Transforms.CustomMapping<LabelIn, LabelOut>((i, o) => o.Truth = i.Label > 0.5f, null).Fit(data).Transform(data);
        var model = ml.BinaryClassification.Trainers.FastTree(labelColumnName: "Truth", numberOfTrees: 3, numberOfLeaves: 2).Fit(bools);

        var cost = ml.Model.MeasureDistillationCost(model, bools, new DistillationCostOptions { WarmupRows = 5, LatencyRows = 20, ModelBytes = 123 });

        Assert.Equal(9, cost.ParameterCount);
        Assert.Equal(123, cost.ModelBytes);
    }

    [Fact]
    public void Percentile_OneToHundredMicroseconds_NearestRank()
    {
        // Times 1, 2, ..., 100 µs: the nearest rank of p = 0.5 is the 50th (50 µs), of p = 0.99 the 99th (99 µs).
        long[] ticks = Enumerable.Range(1, 100).Select(us => us * Stopwatch.Frequency / 1_000_000).ToArray();

        Assert.Equal(50.0, DistillationCostEvaluator.Percentile(ticks, 0.50), 1e-6);
        Assert.Equal(99.0, DistillationCostEvaluator.Percentile(ticks, 0.99), 1e-6);
        Assert.Equal(100.0, DistillationCostEvaluator.Percentile(ticks, 1.0), 1e-6);
    }

    [Fact]
    public void Ratios_StudentAgainstTeacher_DivideTheRightWay()
    {
        // Teacher: 1,000,000 bytes, p50 400 µs, 2,000 rows/s; student: 10,000 bytes, p50 8 µs, 50,000 rows/s.
        var teacher = new DistillationCost(1_000_000, 400_000, 400, 900, 100, 2_000, 100);
        var student = new DistillationCost(10_000, 7_850, 8, 20, 100, 50_000, 100);

        Assert.Equal(50.0, student.LatencySpeedUp(teacher));
        Assert.Equal(25.0, student.ThroughputSpeedUp(teacher));
        Assert.Equal(100.0, student.SizeReduction(teacher));
    }

    [Fact]
    public void MeasureDistillationCost_LatencyRowsZero_ThrowsNamingValueAndDefault()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, [[1f, 2f]]);
        var model = ml.Transforms.CopyColumns("Copy", "Features").Fit(data);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Model.MeasureDistillationCost(model, data, new DistillationCostOptions { LatencyRows = 0 }));

        Assert.Equal("LatencyRows", ex.ParamName);
        Assert.Contains("at least 1 but was 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("default is 1000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MeasureDistillationCost_UnknownOutputColumn_ThrowsNamingItAndTheChoices()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, [[1f, 2f]]);
        var model = ml.Transforms.CopyColumns("Copy", "Features").Fit(data);

        var ex = Assert.Throws<ArgumentException>(() => ml.Model.MeasureDistillationCost(model, data, new DistillationCostOptions { OutputColumnNames = ["Score"] }));

        Assert.Contains("'Score'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Copy", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MeasureDistillationCost_CopyColumns_NoParameterCountButTimed()
    {
        // A transform that learns nothing: no known parameter count, and still one timed row per requested row.
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, [[1f, 2f], [3f, 4f]]);
        var model = ml.Transforms.CopyColumns("Copy", "Features").Fit(data);

        var cost = ml.Model.MeasureDistillationCost(model, data, new DistillationCostOptions { WarmupRows = 1, LatencyRows = 7 });

        Assert.Null(cost.ParameterCount);
        Assert.Equal(7, cost.LatencyRows);
        Assert.Equal(2, cost.ThroughputRows);
        Assert.True(cost.ModelBytes > 0);
    }

    private static (ITransformer Student, IDataView Test, MLNetDistill.Teachers.TeacherScoringTransformer Teacher) Train(MLContext ml)
    {
        var all = IdxReader.Load(TestPaths.FashionImages);
        var train = ml.Data.Cache(ml.Data.TakeRows(all, 200));
        var test = ml.Data.Cache(ml.Data.TakeRows(ml.Data.SkipRows(all, 9000), 100));
        var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        var scoredTrain = ml.Data.Cache(teacher.Transform(train));
        var sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", maximumNumberOfIterations: 5);
        return (ml.MulticlassClassification.Trainers.SoftLabel(sdca).Fit(scoredTrain), test, teacher);
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
