using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using Parquet;
using Parquet.Schema;

namespace MLNetDistill.Tests.Data;

/// <summary>Block reads (what the teacher's pipeline decodes into its ONNX Runtime buffer) give the getters' values, in order.</summary>
public sealed class FeatureBlockCursorTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ReadBlock_IdxGz_GivesTheGetterValuesBitForBit()
    {
        IDataView view = IdxReader.Load(TestPaths.FashionImages);
        AssertBlocksEqualRows(view, maxRows: 300, limit: 3000);
    }

    [Fact]
    public void ReadBlock_ParquetSeveralRowGroups_GivesTheGetterValues()
    {
        string path = Path.Combine(_temp.Path, "groups.parquet");
        WriteParquet(path, groups: [70, 3, 41], width: 5);
        AssertBlocksEqualRows(ParquetFeatureReader.Load(path), maxRows: 32, limit: int.MaxValue);
    }

    [Fact]
    public void ReadBlock_Shard_KeepsEveryThirdRowInOrder()
    {
        IDataView whole = IdxReader.Load(TestPaths.FashionImages);
        IDataView shard = new ShardSpec(1, 3).Apply(whole);
        var (features, labels) = ReadBlocks(shard, maxRows: 77, limit: 600);
        var (allFeatures, allLabels) = ReadRows(whole, limit: 1800);
        Assert.Equal(600, labels.Count);
        for (int i = 0; i < labels.Count; i++)
        {
            Assert.Equal(allLabels[3 * i + 1], labels[i]);
            Assert.Equal(allFeatures[3 * i + 1], features[i]);
        }
    }

    [Fact]
    public void ReadBlock_AtTheEnd_ReturnsZeroAndEndsTheCursor()
    {
        string path = Path.Combine(_temp.Path, "small.parquet");
        WriteParquet(path, groups: [10], width: 2);
        var view = ParquetFeatureReader.Load(path);
        using var cursor = view.GetRowCursor(view.Schema);
        var block = Assert.IsAssignableFrom<IFeatureBlockCursor>(cursor);
        var features = new float[64];
        var labels = new float[32];
        Assert.Equal(10, block.ReadBlock(features, labels, 32));
        Assert.Equal(9, cursor.Position);
        Assert.Equal(0, block.ReadBlock(features, labels, 32));
        Assert.False(cursor.MoveNext());
    }

    private static void AssertBlocksEqualRows(IDataView view, int maxRows, int limit)
    {
        var (blockFeatures, blockLabels) = ReadBlocks(view, maxRows, limit);
        var (rowFeatures, rowLabels) = ReadRows(view, limit);
        Assert.Equal(rowLabels.Count, blockLabels.Count);
        Assert.Equal(rowLabels, blockLabels);
        for (int i = 0; i < rowFeatures.Count; i++)
        {
            Assert.Equal(rowFeatures[i], blockFeatures[i]);
        }
    }

    private static (List<float[]> Features, List<float> Labels) ReadBlocks(IDataView view, int maxRows, int limit)
    {
        using var cursor = view.GetRowCursor(view.Schema);
        var block = Assert.IsAssignableFrom<IFeatureBlockCursor>(cursor);
        Assert.True(block.CanReadBlocks);
        Assert.True(block.HasLabel);
        int width = block.FeatureCount;
        var features = new float[maxRows * width];
        var labels = new float[maxRows];
        var outFeatures = new List<float[]>();
        var outLabels = new List<float>();
        int got;
        while (outLabels.Count < limit && (got = block.ReadBlock(features, labels, Math.Min(maxRows, limit - outLabels.Count))) > 0)
        {
            for (int r = 0; r < got; r++)
            {
                outFeatures.Add(features.AsSpan(r * width, width).ToArray());
                outLabels.Add(labels[r]);
            }
        }

        return (outFeatures, outLabels);
    }

    private static (List<float[]> Features, List<float> Labels) ReadRows(IDataView view, int limit)
    {
        using var cursor = view.GetRowCursor(view.Schema);
        var featuresGetter = cursor.GetGetter<VBuffer<float>>(view.Schema[DataColumnNames.Features]);
        var labelGetter = cursor.GetGetter<float>(view.Schema[DataColumnNames.Label]);
        var features = new List<float[]>();
        var labels = new List<float>();
        VBuffer<float> value = default;
        float label = 0;
        while (labels.Count < limit && cursor.MoveNext())
        {
            featuresGetter(ref value);
            labelGetter(ref label);
            features.Add(value.DenseValues().ToArray());
            labels.Add(label);
        }

        return (features, labels);
    }

    /// <summary>A Parquet file of Label and <paramref name="width"/> float columns, one row group per entry of <paramref name="groups"/>.</summary>
    internal static void WriteParquet(string path, int[] groups, int width, (int Row, int Column)? nan = null)
    {
        var label = new DataField<float>("Label");
        var columns = Enumerable.Range(0, width).Select(c => new DataField<float>($"f{c}")).ToArray();
        using var stream = File.Create(path);
        ParquetWriter writer = ParquetWriter.CreateAsync(new ParquetSchema([label, .. columns]), stream).GetAwaiter().GetResult();
        int row = 0;
        foreach (int rows in groups)
        {
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            group.WriteAsync<float>(label, Enumerable.Range(row, rows).Select(r => (float)(r % 10)).ToArray().AsMemory()).GetAwaiter().GetResult();
            for (int c = 0; c < width; c++)
            {
                float[] values = Enumerable.Range(row, rows).Select(r => nan is { } n && n.Row == r && n.Column == c ? float.NaN : ((r * 31 + c * 7) % 256) / 255f).ToArray();
                group.WriteAsync<float>(columns[c], values.AsMemory()).GetAwaiter().GetResult();
            }

            row += rows;
        }

        writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
