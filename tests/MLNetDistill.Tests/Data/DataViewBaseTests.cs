using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

/// <summary>The members every view of the library shares through <see cref="DataViewBase"/>, checked on each kind of view.</summary>
public sealed class DataViewBaseTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Views => ["csv", "parquet", "idx", "shard", "append", "added", "zip"];

    [Theory]
    [MemberData(nameof(Views))]
    public void GetRowCursorSet_FourAsked_OneCursorWithTheSameRowsAsGetRowCursor(string kind)
    {
        IDataView view = Create(kind);
        DataViewSchema.Column features = view.Schema["Features"];

        DataViewRowCursor[] set = view.GetRowCursorSet([features], 4);

        Assert.Single(set);
        Assert.False(view.CanShuffle);
        using DataViewRowCursor cursor = set[0];
        Assert.True(cursor.IsColumnActive(features));
        Assert.Equal(ViewRows.Vectors(view, "Features"), Read(cursor, features));
    }

    [Theory]
    [MemberData(nameof(Views))]
    public void GetRowCursor_ColumnOutsideTheSchema_ThrowsNamingIt(string kind)
    {
        IDataView view = Create(kind);
        var wider = new DataViewSchema.Builder();
        wider.AddColumns(view.Schema);
        wider.AddColumn("Extra", NumberDataViewType.Single);
        DataViewSchema.Column extra = wider.ToSchema()["Extra"];

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => view.GetRowCursor([extra]));

        Assert.Contains("'Extra'", ex.Message);
    }

    [Fact]
    public void CanShuffle_EmptyView_IsTrueAndHasNoRows()
    {
        IDataView empty = new EmptyDataView(Create("csv").Schema);

        Assert.True(empty.CanShuffle);
        Assert.Equal(0, empty.GetRowCount());
        Assert.Single(empty.GetRowCursorSet(empty.Schema, 3));
        Assert.Equal(0, ViewRows.Count(empty));
    }

    [Fact]
    public void AppendRows_UnlabeledTransferAfterLabeledTrain_LabelIsNaNOnTransferRows()
    {
        IDataView train = CsvFeatureReader.Load(_temp.Write("train.csv", "a,b,Label\n1,2,0\n3,4,1\n"));
        IDataView transfer = DataSourceReader.Load(_temp.Write("transfer.csv", "a,b\n5,6\n"), "Label", labelOptional: true);

        IDataView both = new AppendRowsDataView(train, transfer);

        Assert.Equal([0f, 1f, float.NaN], ViewRows.Singles(both, "Label"));
        Assert.Equal([[1f, 2f], [3f, 4f], [5f, 6f]], ViewRows.Vectors(both, "Features"));
        using DataViewRowCursor cursor = both.GetRowCursor([both.Schema["Label"]]);
        Assert.True(cursor.IsColumnActive(both.Schema["Label"]));
        Assert.False(cursor.IsColumnActive(both.Schema["Features"]));
    }

    private static List<float[]> Read(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(column);
        var rows = new List<float[]>();
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            rows.Add(value.DenseValues().ToArray());
        }

        return rows;
    }

    private IDataView Create(string kind)
    {
        IDataView Csv() => CsvFeatureReader.Load(_temp.Write("d.csv", "a,b,Label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n"));
        switch (kind)
        {
            case "csv":
                return Csv();
            case "parquet":
                string parquet = _temp.File("d.parquet");
                ParquetFeatureReaderTests.WriteFeaturesOnly(parquet, [1f, 2f, 3f], [4.0, 5.0, 6.0]);
                return ParquetFeatureReader.Load(parquet);
            case "idx":
                string images = _temp.File("d-images-idx3-ubyte");
                IdxFiles.WriteImages(images, IdxFiles.Pattern(3, 4), 2, 2);
                return IdxReader.Load(images);
            case "shard":
                return new ShardSpec(1, 2).Apply(Csv());
            case "append":
                return new AppendRowsDataView(Csv(), DataSourceReader.Load(_temp.Write("t.csv", "a,b\n9,10\n"), "Label", labelOptional: true));
            case "added":
                IDataView source = Csv();
                DataViewSchema.Column label = source.Schema["Label"];
                return new AddedColumnDataView(source, "Twice", [label], row =>
                {
                    ValueGetter<float> getter = row.GetGetter<float>(label);
                    return (ref float value) =>
                    {
                        getter(ref value);
                        value *= 2;
                    };
                });
            default:
                return DataViewZip.Create(Csv(), ParquetOfFour(), secondWins: true);
        }
    }

    private IDataView ParquetOfFour()
    {
        string path = _temp.File("four.parquet");
        ParquetFeatureReaderTests.WriteFeaturesOnly(path, [1f, 2f, 3f, 4f], [0.5, 0.25, 0.125, 0.0625]);
        return ParquetFeatureReader.Load(path);
    }
}
