using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;
using MLNetDistill.Tests.Data;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Tests.Teachers;

/// <summary>
/// The block pipeline (blocks decoded into the ORT buffer, reader and scorer threads, I/O binding, device-bound outputs)
/// gives what the row-by-row path gives, in the same order, on the real CNN teacher and the embedded Fashion-MNIST rows.
/// </summary>
public sealed class TeacherScoringPipelineTests : IDisposable
{
    private static readonly FloatComparer Close = new(1e-6);
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("Blocks")]
    [InlineData("Bound")]
    [InlineData("Threads")]
    [InlineData("BoundDevice")]
    public void Transform_PipelineMode_EqualsRowByRowInOrder(string modeName)
    {
        var mode = Enum.Parse<TeacherPipelineMode>(modeName);
        var ml = new MLContext(0);
        IDataView data = new ShardSpec(0, 5).Apply(IdxReader.Load(TestPaths.FashionImages)); // 2,000 rows, a shard read in blocks
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, BatchSize = 96 };
        using var teacher = ml.Transforms.ScoreWithTeacher(options).Fit(data);
        teacher.Pipeline = TeacherPipelineMode.Off;
        var expected = Rows(teacher.Transform(data));
        Assert.Equal(0, teacher.ReadTicks); // the row-by-row path does not touch the pipeline
        teacher.Pipeline = mode;
        var actual = Rows(teacher.Transform(data));
        Assert.True(teacher.ReadTicks > 0 && teacher.ScoreTicks > 0, "the rows went through the block pipeline");

        Assert.Equal(2000, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Id, actual[i].Id);
            Assert.Equal(expected[i].Label, actual[i].Label);
            Assert.Equal(expected[i].Predicted, actual[i].Predicted);
            Assert.Equal(expected[i].Features, actual[i].Features);
            Assert.Equal(expected[i].Logits, actual[i].Logits, Close);
            Assert.Equal(expected[i].Soft, actual[i].Soft, Close);
        }
    }

    [Fact]
    public void Transform_BoundBuffers_EqualsPlainRunExactly()
    {
        var ml = new MLContext(0);
        IDataView data = new ShardSpec(2, 7).Apply(IdxReader.Load(TestPaths.FashionImages));
        using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, BatchSize = 128 }).Fit(data);
        teacher.Pipeline = TeacherPipelineMode.Blocks;
        var run = teacher.Transform(data).GetColumn<float[]>(DataColumnNames.TeacherLogits).ToArray();
        teacher.Pipeline = TeacherPipelineMode.Bound;
        var bound = teacher.Transform(data).GetColumn<float[]>(DataColumnNames.TeacherLogits).ToArray();
        teacher.Pipeline = TeacherPipelineMode.BoundDevice;
        var device = teacher.Transform(data).GetColumn<float[]>(DataColumnNames.TeacherLogits).ToArray();

        Assert.Equal(run.Length, bound.Length);
        for (int i = 0; i < run.Length; i++)
        {
            // The same batches through the same session: the same bits, whichever way the tensors are handed over.
            Assert.Equal(run[i], bound[i]);
            Assert.Equal(run[i], device[i]);
        }
    }

    [Fact]
    public void WriteCounting_Pipelined_EqualsRowByRowCacheAndAccuracy()
    {
        var ml = new MLContext(0);
        IDataView data = new ShardSpec(1, 4).Apply(IdxReader.Load(TestPaths.FashionImages));
        using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher }).Fit(data);
        var metadata = new CacheMetadata { TeacherSha256 = new string('a', 64), TeacherFile = "fashion_cnn.onnx", Temperature = 1f, DataFingerprint = "test" };
        string rowByRow = _temp.File("rows.parquet");
        string pipelined = _temp.File("pipeline.parquet");
        teacher.Pipeline = TeacherPipelineMode.Off;
        var (_, labeled0, correct0) = TeacherCache.WriteCounting(teacher.Transform(data), rowByRow, () => metadata, DataColumnNames.Label, null, CancellationToken.None);
        teacher.Pipeline = TeacherPipelineMode.Threads;
        var (written, labeled1, correct1) = TeacherCache.WriteCounting(teacher.Transform(data), pipelined, () => metadata, DataColumnNames.Label, null, CancellationToken.None);

        Assert.True(teacher.ReadTicks > 0, "the pipelined cache went through the block pipeline");
        Assert.Equal(2500, written.Rows);
        Assert.Equal(labeled0, labeled1);
        Assert.Equal(correct0, correct1);
        Assert.InRange((double)correct1 / labeled1, 0.8, 1.0); // the real teacher is about 90 % accurate on Fashion-MNIST
        var a = TeacherCache.Read(rowByRow);
        var b = TeacherCache.Read(pipelined);
        Assert.Equal(ViewRows.Singles(a, DataColumnNames.Label), ViewRows.Singles(b, DataColumnNames.Label));
        Assert.Equal(ViewRows.Keys(a, DataColumnNames.TeacherPredictedLabel), ViewRows.Keys(b, DataColumnNames.TeacherPredictedLabel));
        var softA = ViewRows.Vectors(a, DataColumnNames.SoftLabels);
        var softB = ViewRows.Vectors(b, DataColumnNames.SoftLabels);
        for (int i = 0; i < softA.Count; i++)
        {
            Assert.Equal(softA[i], softB[i], Close);
        }
    }

    [Fact]
    public void Write_CancelledMidPipeline_ThrowsAndLeavesNoFile()
    {
        var ml = new MLContext(0);
        IDataView data = IdxReader.Load(TestPaths.FashionImages);
        using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher }).Fit(data);
        Assert.Equal(TeacherPipelineMode.Threads, teacher.Pipeline);
        var metadata = new CacheMetadata { TeacherSha256 = new string('a', 64), TeacherFile = "fashion_cnn.onnx", Temperature = 1f, DataFingerprint = "test" };
        string path = _temp.File("cancelled.parquet");
        using var stop = new CancellationTokenSource();
        long seen = 0;
        var progress = new SyncProgress(rows =>
        {
            seen = rows;
            stop.Cancel();
        });

        Assert.ThrowsAny<OperationCanceledException>(() => TeacherCache.Write(teacher.Transform(data), path, metadata, DataColumnNames.Label, progress, stop.Token));
        Assert.InRange(seen, 1, 9999);
        Assert.False(File.Exists(path));
        Assert.DoesNotContain(_temp.Entries(), e => e.EndsWith(".parquet", StringComparison.Ordinal));

        // The pipeline's threads stopped with the cursor: the same teacher scores again, to the end.
        Assert.Equal(10_000, teacher.Transform(data).GetColumn<uint>(DataColumnNames.TeacherPredictedLabel).Count());
    }

    [Fact]
    public void Transform_NanRowThroughPipeline_ThrowsNamingTheRow()
    {
        string path = _temp.File("nan.parquet");
        FeatureBlockCursorTests.WriteParquet(path, groups: [30, 30], width: 784, nan: (41, 5));
        var ml = new MLContext(0);
        IDataView data = ParquetFeatureReader.Load(path);
        using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, BatchSize = 16 }).Fit(data);

        var error = Assert.Throws<InvalidDataException>(() => teacher.Transform(data).GetColumn<uint>(DataColumnNames.TeacherPredictedLabel).ToArray());
        Assert.Contains("Row 41 of column 'Features' has a NaN or infinite value (at index 5)", error.Message);
    }

    [Fact]
    public void Transform_NanRowSkipInvalid_SkipsItCountsItAndKeepsTheOthersInOrder()
    {
        string path = _temp.File("nan.parquet");
        FeatureBlockCursorTests.WriteParquet(path, groups: [30, 30], width: 784, nan: (41, 5));
        var ml = new MLContext(0);
        IDataView data = ParquetFeatureReader.Load(path);
        using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, BatchSize = 16, SkipInvalidRows = true }).Fit(data);
        var labels = ViewRows.Singles(teacher.Transform(data), DataColumnNames.Label);

        Assert.Equal(1, teacher.SkippedRows);
        var expected = Enumerable.Range(0, 60).Where(r => r != 41).Select(r => (float)(r % 10)).ToList();
        Assert.Equal(expected, labels);
    }

    private static List<(ulong Id, float Label, uint Predicted, float[] Features, float[] Logits, float[] Soft)> Rows(IDataView view)
    {
        var schema = view.Schema;
        using var cursor = view.GetRowCursor(schema);
        var id = cursor.GetIdGetter();
        var label = cursor.GetGetter<float>(schema[DataColumnNames.Label]);
        var predicted = cursor.GetGetter<uint>(schema[DataColumnNames.TeacherPredictedLabel]);
        var features = cursor.GetGetter<VBuffer<float>>(schema[DataColumnNames.Features]);
        var logits = cursor.GetGetter<VBuffer<float>>(schema[DataColumnNames.TeacherLogits]);
        var soft = cursor.GetGetter<VBuffer<float>>(schema[DataColumnNames.SoftLabels]);
        var rows = new List<(ulong, float, uint, float[], float[], float[])>();
        DataViewRowId rowId = default;
        float l = 0;
        uint p = 0;
        VBuffer<float> f = default, z = default, s = default;
        while (cursor.MoveNext())
        {
            id(ref rowId);
            label(ref l);
            predicted(ref p);
            features(ref f);
            logits(ref z);
            soft(ref s);
            rows.Add((rowId.Low, l, p, f.DenseValues().ToArray(), z.DenseValues().ToArray(), s.DenseValues().ToArray()));
        }

        return rows;
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
