using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using Parquet;
using Parquet.Schema;

namespace MLNetDistill.Tests.Data;

/// <summary>The readers' ignored columns: numeric columns that are not features (an Id) left out, and the errors for bad names.</summary>
public sealed class IgnoreColumnsTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Numeric() => _temp.Write("rows.csv", "Id,a,b,Label\n7,1.5,2,0\n8,3,4.5,1\n9,5,6,1\n");

    private static string[] SlotNames(IDataView view)
    {
        VBuffer<ReadOnlyMemory<char>> names = default;
        view.Schema[DataColumnNames.Features].GetSlotNames(ref names);
        return [.. names.DenseValues().Select(n => n.ToString())];
    }

    private static float[][] Features(IDataView view) =>
        [.. new MLContext(0).Data.CreateEnumerable<Row>(view, reuseRowObject: false).Select(r => r.Features)];

    [Fact]
    public void Load_CsvWithIgnoredId_FeaturesLeaveItOut()
    {
        string path = Numeric();

        IDataView all = DataSourceReader.Load(path);
        IDataView ignored = DataSourceReader.Load(path, ignoreColumns: ["Id"]);

        Assert.Equal(["Id", "a", "b"], SlotNames(all));
        Assert.Equal(["a", "b"], SlotNames(ignored));
        Assert.Equal(2, ((VectorDataViewType)ignored.Schema[DataColumnNames.Features].Type).Size);
        Assert.Equal([[1.5f, 2f], [3f, 4.5f], [5f, 6f]], Features(ignored));
        Assert.Equal([0f, 1f, 1f], ViewRows.Singles(ignored, DataColumnNames.Label));
    }

    [Fact]
    public void Load_IgnoredNameInOtherCase_MatchesTheColumn()
    {
        IDataView view = CsvFeatureReader.Load(Numeric(), ignoreColumns: ["ID", " b "]);

        Assert.Equal(["a"], SlotNames(view));
    }

    [Fact]
    public void Load_ParquetWithIgnoredId_FeaturesLeaveItOut()
    {
        string path = _temp.File("rows.parquet");
        WriteIdXLabel(path);

        IDataView view = DataSourceReader.Load(path, ignoreColumns: ["Id"]);

        Assert.Equal(["x"], SlotNames(view));
        Assert.Equal([[0.25f], [-1f]], Features(view));
        Assert.Equal(["Id", "x", "Label"], DataSourceReader.ColumnNames(path));
    }

    [Fact]
    public void Load_IgnoredColumnNotInFile_ThrowsListingTheFileColumns()
    {
        string path = Numeric();

        var ex = Assert.Throws<ArgumentException>(() => DataSourceReader.Load(path, ignoreColumns: ["Idd"]));

        Assert.Equal("ignoreColumns", ex.ParamName);
        Assert.Contains("'Idd' is not in", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Id, a, b, Label", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Label")]
    public void Load_IgnoringTheLabel_ThrowsNamingIt(string? labelColumnName)
    {
        string path = Numeric();

        var ex = Assert.Throws<ArgumentException>(() => DataSourceReader.Load(path, labelColumnName, ignoreColumns: ["label"]));

        Assert.Equal("ignoreColumns", ex.ParamName);
        Assert.Contains("'Label' is the label column", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EveryFeatureIgnored_ThrowsInvalidData()
    {
        var ex = Assert.Throws<InvalidDataException>(() => DataSourceReader.Load(Numeric(), ignoreColumns: ["Id", "a", "b"]));

        Assert.Contains("no numeric feature columns", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ignored columns", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_IgnoredGroupAndId_LeftOutOfTheView()
    {
        string path = _temp.Write("mail.csv", "Id,Text,Label,Group\na,\"hello, there\",1,spam\nb,plain,0,ham\n");

        IDataView view = DataSourceReader.LoadText(path, "Text", ignoreColumns: ["Group", "Id"]);

        Assert.Equal(["Label", "Text"], ViewRows.ColumnNames(view));
        Assert.Equal(["hello, there", "plain"], CsvTextReaderTests.Texts(view, "Text"));
    }

    [Fact]
    public void LoadText_IgnoringTheTextColumn_ThrowsNamingIt()
    {
        string path = _temp.Write("mail.csv", "Id,Text,Label\na,hello,1\n");

        var ex = Assert.Throws<ArgumentException>(() => DataSourceReader.LoadText(path, "Text", ignoreColumns: ["Text"]));

        Assert.Equal("ignoreColumns", ex.ParamName);
        Assert.Contains("'Text' is the text column", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_IdxImagesWithIgnoredColumns_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => DataSourceReader.Load(TestPaths.FashionImages, ignoreColumns: ["Id"]));

        Assert.Equal("ignoreColumns", ex.ParamName);
        Assert.Contains("have no columns", ex.Message, StringComparison.Ordinal);
        Assert.Empty(DataSourceReader.ColumnNames(TestPaths.FashionImages));
    }

    [Fact]
    public void CheckSameFeatures_TrainingFileWithId_ThrowsNamingItOnlyInTheTrainingData()
    {
        IDataView train = DataSourceReader.Load(Numeric());
        IDataView test = DataSourceReader.Load(_temp.Write("test.csv", "a,b,Label\n1,2,0\n"));

        var ex = Assert.Throws<ArgumentException>(() => FeatureColumns.CheckSameFeatures(train.Schema, test.Schema, "test", "test"));

        Assert.Equal("test", ex.ParamName);
        Assert.Contains("The test data has 2 features but the training data has 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Only in the test data: (none); only in the training data: 'Id'", ex.Message, StringComparison.Ordinal);
        Assert.Equal("Id", ex.Data[NonFeatureCandidates.ExceptionDataKey]);
        FeatureColumns.CheckSameFeatures(DataSourceReader.Load(Numeric(), ignoreColumns: ["Id"]).Schema, test.Schema, "test", "test");
    }

    [Fact]
    public void CheckSameFeatures_MissingRealFeature_GivesNoIgnoreHint()
    {
        IDataView train = DataSourceReader.Load(_temp.Write("train.csv", "a,b,Label\n1,2,0\n"));
        IDataView test = DataSourceReader.Load(_temp.Write("test.csv", "a,Label\n1,0\n"));

        var ex = Assert.Throws<ArgumentException>(() => FeatureColumns.CheckSameFeatures(train.Schema, test.Schema, "test", "test"));

        Assert.Contains("only in the training data: 'b'", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.Data.Contains(NonFeatureCandidates.ExceptionDataKey));
    }

    [Theory]
    [InlineData("Id", true)]
    [InlineData("customer_id", true)]
    [InlineData("orderId", true)]
    [InlineData("Unnamed: 0", true)]
    [InlineData("pixel_0_0", false)]
    [InlineData("Paid", false)]
    [InlineData("width", false)]
    public void LooksLikeIdentifier_Names_AreRecognized(string name, bool expected)
    {
        Assert.Equal(expected, NonFeatureCandidates.LooksLikeIdentifier(name));
    }

    [Fact]
    public void ColumnNames_Csv_ReturnsTheHeader()
    {
        Assert.Equal(["Id", "a", "b", "Label"], DataSourceReader.ColumnNames(Numeric()));
    }

    /// <summary>A Parquet file with Id (Int64), x (Single) and Label (Int32), two rows.</summary>
    private static void WriteIdXLabel(string path)
    {
        var id = new DataField<long>("Id");
        var x = new DataField<float>("x");
        var label = new DataField<int>("Label");
        using (FileStream stream = File.Create(path))
        {
            ParquetWriter writer = ParquetWriter.CreateAsync(new ParquetSchema(id, x, label), stream).GetAwaiter().GetResult();
            using (ParquetRowGroupWriter group = writer.CreateRowGroup())
            {
                group.WriteAsync<long>(id, new long[] { 100, 101 }.AsMemory()).GetAwaiter().GetResult();
                group.WriteAsync<float>(x, new[] { 0.25f, -1f }.AsMemory()).GetAwaiter().GetResult();
                group.WriteAsync<int>(label, new[] { 1, 0 }.AsMemory()).GetAwaiter().GetResult();
            }

            writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private sealed class Row
    {
        [VectorType]
        public float[] Features { get; set; } = [];
    }
}
