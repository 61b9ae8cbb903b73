using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using Parquet;
using Parquet.Schema;

namespace MLNetDistill.Tests.Data;

public sealed class ParquetFeatureReaderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 5, 7 })]
    [InlineData(new[] { 3, 1, 11 })]
    public void Load_MixedColumnTypesAcrossRowGroups_ReadsNumbersInFileOrder(int[] groups)
    {
        string path = _temp.File("mixed.parquet");
        int total = WriteMixed(path, groups);

        IDataView view = ParquetFeatureReader.Load(path, "label");

        Assert.Equal(["Label", "Features"], ViewRows.ColumnNames(view));
        Assert.Equal(total, view.GetRowCount());
        VBuffer<ReadOnlyMemory<char>> slots = default;
        view.Schema["Features"].GetSlotNames(ref slots);
        Assert.Equal(["id", "x", "y"], slots.DenseValues().Select(s => s.ToString()));
        Assert.Equal(Enumerable.Range(0, total).Select(i => (float)(i % 4)), ViewRows.Singles(view, "Label"));
        List<float[]> features = ViewRows.Vectors(view, "Features");
        for (int i = 0; i < total; i++)
        {
            Assert.Equal(i, features[i][0]);
            if (i % 5 == 2)
            {
                Assert.True(float.IsNaN(features[i][1]), $"row {i}: a null double is missing (NaN)");
            }
            else
            {
                Assert.Equal((float)(i * 0.1), features[i][1]);
            }

            Assert.Equal(-i * 0.5f, features[i][2]);
        }
    }

    [Fact]
    public void Load_NoLabelAsked_ColumnNamedLabelIsTheLabelAndTheRestAreFeatures()
    {
        string path = _temp.File("nolabel.parquet");
        WriteMixed(path, [4]);

        IDataView view = ParquetFeatureReader.Load(path);

        Assert.Equal(["Label", "Features"], ViewRows.ColumnNames(view));
        VBuffer<ReadOnlyMemory<char>> slots = default;
        view.Schema["Features"].GetSlotNames(ref slots);
        Assert.Equal(["id", "x", "y"], slots.DenseValues().Select(s => s.ToString()));
    }

    [Fact]
    public void Load_FeaturesOnlyFileLabelOptional_EveryColumnIsAFeature()
    {
        string path = _temp.File("features.parquet");
        WriteFeaturesOnly(path, [1f, 2f, 3f], [0.5, 0.25, 0.125]);

        IDataView view = ParquetFeatureReader.Load(path, "Label", labelOptional: true);

        Assert.Equal(["Features"], ViewRows.ColumnNames(view));
        Assert.Equal(3, view.GetRowCount());
        Assert.Equal([[1f, 0.5f], [2f, 0.25f], [3f, 0.125f]], ViewRows.Vectors(view, "Features"));
    }

    [Fact]
    public void Load_LabelMissing_ThrowsListingColumns()
    {
        string path = _temp.File("m.parquet");
        WriteMixed(path, [2]);

        var ex = Assert.Throws<ArgumentException>(() => ParquetFeatureReader.Load(path, "species"));

        Assert.Contains("'species'", ex.Message);
        Assert.Contains("id, name, x, y, label", ex.Message);
    }

    [Fact]
    public void Load_TextLabel_ThrowsNotNumeric()
    {
        string path = _temp.File("t.parquet");
        WriteMixed(path, [2]);

        var ex = Assert.Throws<InvalidDataException>(() => ParquetFeatureReader.Load(path, "name"));

        Assert.Contains("must be numeric", ex.Message);
    }

    [Fact]
    public void Load_NotParquet_ThrowsInvalidData()
    {
        string path = _temp.Write("fake.parquet", "a,b\n1,2\n");

        var ex = Assert.Throws<InvalidDataException>(() => ParquetFeatureReader.Load(path, null));

        Assert.Contains("not a readable Parquet file", ex.Message);
    }

    /// <summary>Writes a Parquet file with only feature columns, x (float) and y (double), one row group: transfer data nobody labeled.</summary>
    internal static void WriteFeaturesOnly(string path, float[] x, double[] y)
    {
        var xField = new DataField<float>("x");
        var yField = new DataField<double>("y");
        using FileStream stream = File.Create(path);
        ParquetWriter writer = ParquetWriter.CreateAsync(new ParquetSchema(xField, yField), stream).GetAwaiter().GetResult();
        using (ParquetRowGroupWriter group = writer.CreateRowGroup())
        {
            group.WriteAsync<float>(xField, x.AsMemory()).GetAwaiter().GetResult();
            group.WriteAsync<double>(yField, y.AsMemory()).GetAwaiter().GetResult();
        }

        writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Columns id (int), name (string), x (double?, null every 5th row from 2), y (float), label (long); returns the row count.</summary>
    internal static int WriteMixed(string path, int[] groups)
    {
        var id = new DataField<int>("id");
        var name = new DataField<string>("name");
        var x = new DataField<double?>("x");
        var y = new DataField<float>("y");
        var label = new DataField<long>("label");
        int row = 0;
        using (FileStream stream = File.Create(path))
        {
            ParquetWriter writer = ParquetWriter.CreateAsync(new ParquetSchema(id, name, x, y, label), stream).GetAwaiter().GetResult();
            foreach (int size in groups)
            {
                int[] rows = [.. Enumerable.Range(row, size)];
                using ParquetRowGroupWriter group = writer.CreateRowGroup();
                group.WriteAsync<int>(id, rows.ToArray().AsMemory()).GetAwaiter().GetResult();
                group.WriteAsync(name, rows.Select(i => $"row {i}").ToArray()).GetAwaiter().GetResult();
                group.WriteAsync<double>(x, rows.Select(i => i % 5 == 2 ? (double?)null : i * 0.1).ToArray().AsMemory()).GetAwaiter().GetResult();
                group.WriteAsync<float>(y, rows.Select(i => -i * 0.5f).ToArray().AsMemory()).GetAwaiter().GetResult();
                group.WriteAsync<long>(label, rows.Select(i => (long)(i % 4)).ToArray().AsMemory()).GetAwaiter().GetResult();
                row += size;
            }

            writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        return row;
    }
}
