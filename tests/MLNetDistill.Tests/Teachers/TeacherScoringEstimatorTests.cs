using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Numerics;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Teachers;

public sealed class TeacherScoringEstimatorTests
{
    private static readonly FloatComparer Tol = new(1e-4);

    private static IDataView First(MLContext ml, IDataView data, int rows) => ml.Data.TakeRows(data, rows);

    [Fact]
    public void Fit_FashionCnnOnEmbeddedData_MatchesPyTorchLogits()
    {
        var ml = new MLContext(1);
        var golden = Golden.Load("golden_fashion_cnn.json");
        var expected = golden.Matrix("logits");
        var data = First(ml, IdxReader.Load(TestPaths.FashionImages), expected.Length);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);
        var scored = teacher.Transform(data);
        var logits = scored.GetColumn<float[]>("TeacherLogits").ToArray();
        Assert.Equal(expected.Length, logits.Length);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r], logits[r], Tol);
        }

        Assert.Equal(10, teacher.ClassCount);
        Assert.Equal("cpu", teacher.Device);
        Assert.False(teacher.OutputWasProbabilities);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(256)]
    public void Transform_AnyBatchSize_SameValuesInSourceOrder(int batchSize)
    {
        var ml = new MLContext(1);
        var data = First(ml, IdxReader.Load(TestPaths.FashionImages), 70);
        using var reference = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);
        var expected = reference.Transform(data).GetColumn<float[]>("SoftLabels").ToArray();
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, BatchSize = batchSize };
        using var teacher = ml.Transforms.ScoreWithTeacher(options).Fit(data);
        var scored = teacher.Transform(data);
        var soft = scored.GetColumn<float[]>("SoftLabels").ToArray();
        var labels = scored.GetColumn<float>("Label").ToArray();
        var originalLabels = data.GetColumn<float>("Label").ToArray();
        Assert.Equal(originalLabels, labels);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r], soft[r], new FloatComparer(1e-6));
        }
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(2.5f)]
    [InlineData(20f)]
    public void Transform_Temperature_SoftLabelsAreSoftmaxOfLogitsOverT(float temperature)
    {
        var ml = new MLContext(1);
        var data = First(ml, IdxReader.Load(TestPaths.FashionImages), 9);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher, temperature: temperature).Fit(data);
        var scored = teacher.Transform(data);
        var logits = scored.GetColumn<float[]>("TeacherLogits").ToArray();
        var soft = scored.GetColumn<float[]>("SoftLabels").ToArray();
        var predicted = scored.GetColumn<uint>("TeacherPredictedLabel").ToArray();
        var expected = new float[10];
        for (int r = 0; r < logits.Length; r++)
        {
            SoftLabelMath.Softmax(logits[r], temperature, expected);
            Assert.Equal(expected, soft[r], new FloatComparer(1e-5));
            Assert.Equal((uint)SoftLabelMath.ArgMax(logits[r]) + 1, predicted[r]);
        }
    }

    [Fact]
    public void Fit_TwoOutputTeacherWithHint_ExposesEmbeddingColumn()
    {
        var ml = new MLContext(1);
        var golden = Golden.Load("golden_mlp_two_outputs.json");
        var data = First(ml, IdxReader.Load(TestPaths.FashionImages), golden.Matrix("logits").Length);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.Fixture("mlp_two_outputs.onnx"), TeacherOutputName = "logits" };
        options.Hints.Add(new TeacherHint("embedding", "TeacherEmbedding"));
        using var teacher = ml.Transforms.ScoreWithTeacher(options).Fit(data);
        var scored = teacher.Transform(data);
        Assert.Equal(64, ((VectorDataViewType)scored.Schema["TeacherEmbedding"].Type).Size);
        var logits = scored.GetColumn<float[]>("TeacherLogits").ToArray();
        var embedding = scored.GetColumn<float[]>("TeacherEmbedding").ToArray();
        var expectedLogits = golden.Matrix("logits");
        var expectedEmbedding = golden.Matrix("embedding");
        for (int r = 0; r < logits.Length; r++)
        {
            Assert.Equal(expectedLogits[r], logits[r], Tol);
            Assert.Equal(expectedEmbedding[r], embedding[r], Tol);
        }
    }

    [Fact]
    public void Fit_SoftmaxTeacher_DetectsProbabilitiesAndKeepsThem()
    {
        var ml = new MLContext(1);
        var golden = Golden.Load("golden_softmax_teacher.json");
        var expected = golden.Matrix("probabilities");
        var data = First(ml, IdxReader.Load(TestPaths.FashionImages), expected.Length);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("softmax_teacher.onnx")).Fit(data);
        Assert.True(teacher.OutputWasProbabilities);
        var soft = teacher.Transform(data).GetColumn<float[]>("SoftLabels").ToArray();
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r], soft[r], new FloatComparer(1e-5));
        }
    }

    [Fact]
    public void Fit_SoftmaxTeacherAsLogits_ExplicitKindIsRespected()
    {
        var ml = new MLContext(1);
        var data = First(ml, IdxReader.Load(TestPaths.FashionImages), 4);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.Fixture("softmax_teacher.onnx"), OutputKind = TeacherOutputKind.Logits };
        using var teacher = ml.Transforms.ScoreWithTeacher(options).Fit(data);
        Assert.False(teacher.OutputWasProbabilities);
    }

    [Fact]
    public void Fit_BinaryTeacherOneLogit_GivesTwoClassSoftLabels()
    {
        var ml = new MLContext(1);
        var golden = Golden.Load("golden_binary_teacher.json");
        var expected = golden.Matrix("logit");
        var data = First(ml, CsvFeatureReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label"), expected.Length);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("binary_teacher.onnx")).Fit(data);
        Assert.Equal(TeacherTask.Binary, teacher.Task);
        Assert.Equal(2, teacher.ClassCount);
        var soft = teacher.Transform(data).GetColumn<float[]>("SoftLabels").ToArray();
        for (int r = 0; r < expected.Length; r++)
        {
            float p = 1f / (1f + MathF.Exp(-expected[r][0]));
            Assert.Equal([1 - p, p], soft[r], new FloatComparer(1e-5));
        }
    }

    [Fact]
    public void Fit_RegressionTeacher_AddsScoreColumn()
    {
        var ml = new MLContext(1);
        var golden = Golden.Load("golden_regression_teacher.json");
        var expected = golden.Matrix("prediction");
        var data = First(ml, CsvFeatureReader.Load(TestPaths.Fixture("diabetes.csv"), "target"), expected.Length);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.Fixture("regression_teacher.onnx"), Task = TeacherTask.Regression };
        using var teacher = ml.Transforms.ScoreWithTeacher(options).Fit(data);
        var score = teacher.Transform(data).GetColumn<float>("TeacherScore").ToArray();
        Assert.Equal(expected.Select(r => r[0]).ToArray(), score, Tol);
        Assert.Null(teacher.Transform(data).Schema.GetColumnOrNull("SoftLabels"));
    }

    [Fact]
    public void Fit_TwoNamedInt64Inputs_MapsEachColumn()
    {
        var ml = new MLContext(1);
        var golden = Golden.Load("golden_two_inputs.json");
        long[][] ids = golden.LongMatrix("input_ids");
        long[][] mask = golden.LongMatrix("attention_mask");
        var rows = ids.Select((r, i) => new TokenRow { Ids = r, Mask = mask[i] }).ToArray();
        var schema = SchemaDefinition.Create(typeof(TokenRow));
        schema[nameof(TokenRow.Ids)].ColumnType = new VectorDataViewType(NumberDataViewType.Int64, ids[0].Length);
        schema[nameof(TokenRow.Mask)].ColumnType = new VectorDataViewType(NumberDataViewType.Int64, ids[0].Length);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.Fixture("two_inputs.onnx") };
        options.Inputs.Add(new TeacherInput("input_ids", nameof(TokenRow.Ids)));
        options.Inputs.Add(new TeacherInput("attention_mask", nameof(TokenRow.Mask)));
        using var teacher = ml.Transforms.ScoreWithTeacher(options).Fit(data);
        var logits = teacher.Transform(data).GetColumn<float[]>("TeacherLogits").ToArray();
        var expected = golden.Matrix("logits");
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r], logits[r], Tol);
        }
    }

    [Fact]
    public void ModelSaveLoad_PipelineWithTeacher_GivesSameSoftLabels()
    {
        var ml = new MLContext(1);
        var data = ml.Data.Cache(First(ml, IdxReader.Load(TestPaths.FashionImages), 40));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher, temperature: 3f).Fit(data);
        var expected = teacher.Transform(data).GetColumn<float[]>("SoftLabels").ToArray();
        string path = TestPaths.TempFile(".zip");
        ml.Model.Save(teacher, data.Schema, path);
        var loaded = new MLContext(2).Model.Load(path, out var inputSchema);
        Assert.NotNull(inputSchema.GetColumnOrNull("Features"));
        var actual = loaded.Transform(data).GetColumn<float[]>("SoftLabels").ToArray();
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r], actual[r], new FloatComparer(1e-6));
        }

        File.Delete(path);
    }

    [Fact]
    public void Transform_LargeLazyData_ReadsOnlyOneBatchAhead()
    {
        var ml = new MLContext(1);
        var data = new CountingDataView(1_000_000, 784);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, BatchSize = 64 };
        using var teacher = ml.Transforms.ScoreWithTeacher(options).Fit(data);
        var scored = teacher.Transform(data);
        using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == "SoftLabels"));
        var getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["SoftLabels"]);
        VBuffer<float> value = default;
        for (int i = 0; i < 100; i++)
        {
            Assert.True(cursor.MoveNext());
            getter(ref value);
        }

        Assert.Equal(127, data.MaxRowRead);
        Assert.Equal(1_000_000, scored.GetRowCount());
    }

    private sealed class TokenRow
    {
        public long[] Ids { get; set; } = [];

        public long[] Mask { get; set; } = [];
    }
}
