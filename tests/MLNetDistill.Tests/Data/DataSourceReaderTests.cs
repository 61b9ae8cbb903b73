using Microsoft.ML;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

public sealed class DataSourceReaderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("d.csv")]
    [InlineData("d.TSV")]
    [InlineData("d.txt")]
    public void Load_TextExtensions_GoToTheCsvReader(string name)
    {
        string path = _temp.Write(name, "x\tlabel\n2.5\t1\n");

        IDataView view = DataSourceReader.Load(path, "label");

        Assert.Equal([1f], ViewRows.Singles(view, "Label"));
        Assert.Equal([[2.5f]], ViewRows.Vectors(view, "Features"));
    }

    [Fact]
    public void Load_Parquet_GoesToTheParquetReader()
    {
        string path = _temp.File("d.parquet");
        ParquetFeatureReaderTests.WriteMixed(path, [3]);

        IDataView view = DataSourceReader.Load(path, "label");

        Assert.Equal(3, ViewRows.Count(view));
    }

    [Theory]
    [InlineData("train-images-idx3-ubyte")]
    [InlineData("train-images-idx3-ubyte.gz")]
    public void Load_IdxNames_GoToTheIdxReader(string name)
    {
        string path = _temp.File(name);
        IdxFiles.WriteImages(path, IdxFiles.Pattern(2, 4), 2, 2);

        IDataView view = DataSourceReader.Load(path);

        Assert.Equal(["Features"], ViewRows.ColumnNames(view));
        Assert.Equal(2, ViewRows.Count(view));
    }

    [Fact]
    public void Load_IdxWithLabelFileAndAnyLabelName_LabelComesFromTheFile()
    {
        string path = _temp.File("t-images-idx3-ubyte");
        IdxFiles.WriteImages(path, IdxFiles.Pattern(3, 4), 2, 2);
        IdxFiles.WriteLabels(_temp.File("t-labels-idx1-ubyte.gz"), [4, 0, 9]);

        IDataView view = DataSourceReader.Load(path, "Class");

        Assert.Equal([4f, 0f, 9f], ViewRows.Singles(view, "Label"));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("Label", true)]
    public void Load_IdxWithoutLabelFile_NoLabelAskedOrOptional_HasOnlyFeatures(string? label, bool optional)
    {
        string path = _temp.File("transfer-images-idx3-ubyte.gz");
        byte[][] images = IdxFiles.Pattern(3, 4);
        IdxFiles.WriteImages(path, images, 2, 2);

        IDataView view = DataSourceReader.Load(path, label, optional);

        Assert.Equal(["Features"], ViewRows.ColumnNames(view));
        Assert.Equal(images.Select(i => i.Select(p => p / 255f).ToArray()), ViewRows.Vectors(view, "Features"));
    }

    [Fact]
    public void Load_IdxWithoutLabelFile_LabelAskedNotOptional_ThrowsNamingTheLabelFileExpected()
    {
        string path = _temp.File("transfer-images-idx3-ubyte.gz");
        IdxFiles.WriteImages(path, IdxFiles.Pattern(1, 4), 2, 2);

        var ex = Assert.Throws<FileNotFoundException>(() => DataSourceReader.Load(path, "Label"));

        string expected = _temp.File("transfer-labels-idx1-ubyte.gz");
        Assert.Equal(expected, ex.FileName);
        Assert.Contains($"'{path}'", ex.Message);
        Assert.Contains($"expected '{expected}'", ex.Message);
    }

    [Theory]
    [InlineData("Label")]
    [InlineData("label")]
    [InlineData("LABEL")]
    public void Load_CsvNoLabelAsked_ColumnNamedLabelInAnyCase_IsTheLabel(string header)
    {
        string path = _temp.Write("d.csv", $"x,{header},y\n1.5,2,3\n4,0,5\n");

        IDataView view = DataSourceReader.Load(path);

        Assert.Equal(["Label", "Features"], ViewRows.ColumnNames(view));
        Assert.Equal([2f, 0f], ViewRows.Singles(view, "Label"));
        Assert.Equal([[1.5f, 3f], [4f, 5f]], ViewRows.Vectors(view, "Features"));
    }

    [Fact]
    public void Load_CsvNoLabelAsked_NoColumnNamedLabel_EveryNumericColumnIsAFeature()
    {
        string path = _temp.Write("d.csv", "x,Class,y\n1.5,2,3\n");

        IDataView view = DataSourceReader.Load(path);

        Assert.Equal(["Features"], ViewRows.ColumnNames(view));
        Assert.Equal([[1.5f, 2f, 3f]], ViewRows.Vectors(view, "Features"));
    }

    [Fact]
    public void Load_CsvNoLabelAsked_TwoColumnsNamedLabelIgnoringCase_ThrowsNamingBoth()
    {
        string path = _temp.Write("d.csv", "label,x,LABEL\n1,2,3\n");

        var ex = Assert.Throws<ArgumentException>(() => DataSourceReader.Load(path));

        Assert.Contains("'label' and 'LABEL'", ex.Message);
        Assert.Contains("pass the exact name", ex.Message);
    }

    [Fact]
    public void Load_CsvLabelNamedOtherThanLabel_ColumnNamedLabelIsAFeature()
    {
        string path = _temp.Write("d.csv", "Label,target\n7,1\n");

        IDataView view = DataSourceReader.Load(path, "target");

        Assert.Equal([1f], ViewRows.Singles(view, "Label"));
        Assert.Equal([[7f]], ViewRows.Vectors(view, "Features"));
    }

    [Fact]
    public void Load_UnlabeledCsvLabelOptional_HasOnlyFeatures()
    {
        string path = _temp.Write("unlabeled.csv", "a,b\n1,2\n3,4\n");

        IDataView view = DataSourceReader.Load(path, "Label", labelOptional: true);

        Assert.Equal(["Features"], ViewRows.ColumnNames(view));
        Assert.Equal([[1f, 2f], [3f, 4f]], ViewRows.Vectors(view, "Features"));
    }

    [Fact]
    public void Load_LabeledCsvLabelOptional_LabelIsRead()
    {
        string path = _temp.Write("labeled.csv", "a,y\n1,2\n");

        IDataView view = DataSourceReader.Load(path, "y", labelOptional: true);

        Assert.Equal([2f], ViewRows.Singles(view, "Label"));
        Assert.Equal([[1f]], ViewRows.Vectors(view, "Features"));
    }

    [Fact]
    public void Load_UnlabeledCsvLabelNotOptional_ThrowsNamingColumnFileAndColumns()
    {
        string path = _temp.Write("unlabeled.csv", "a,b\n1,2\n");

        var ex = Assert.Throws<ArgumentException>(() => DataSourceReader.Load(path, "Label"));

        Assert.Equal("labelColumnName", ex.ParamName);
        Assert.Contains($"Label column 'Label' is not in '{path}'. Its columns are: a, b.", ex.Message);
    }

    [Fact]
    public void Load_WideCsvLabelMissing_ListsTenColumnsThenCountsTheRest()
    {
        string path = _temp.Write("wide.csv", string.Join(',', Enumerable.Range(0, 785).Select(i => $"c{i}")) + "\n" + string.Join(',', Enumerable.Repeat("0", 785)) + "\n");

        var ex = Assert.Throws<ArgumentException>(() => DataSourceReader.Load(path, "Label"));

        Assert.Contains("Its columns are: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, ... and 775 more.", ex.Message);
        // The file's path (a random folder name) is in the message too: look at the column list only.
        Assert.DoesNotContain("c10", ex.Message.Replace(path, "PATH", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("Label", true)]
    public void Load_UnlabeledParquet_NoLabelAskedOrOptional_HasOnlyFeatures(string? label, bool optional)
    {
        string path = _temp.File("unlabeled.parquet");
        ParquetFeatureReaderTests.WriteFeaturesOnly(path, [1.5f, -2f], [10.0, 20.0]);

        IDataView view = DataSourceReader.Load(path, label, optional);

        Assert.Equal(["Features"], ViewRows.ColumnNames(view));
        Assert.Equal([[1.5f, 10f], [-2f, 20f]], ViewRows.Vectors(view, "Features"));
    }

    [Fact]
    public void Load_UnlabeledParquetLabelNotOptional_ThrowsNamingColumnFileAndColumns()
    {
        string path = _temp.File("unlabeled.parquet");
        ParquetFeatureReaderTests.WriteFeaturesOnly(path, [1f], [2.0]);

        var ex = Assert.Throws<ArgumentException>(() => DataSourceReader.Load(path, "Label"));

        Assert.Contains($"Label column 'Label' is not in '{path}'. Its columns are: x, y.", ex.Message);
    }

    [Fact]
    public void Load_ParquetNoLabelAsked_ColumnNamedLabel_IsTheLabel()
    {
        string path = _temp.File("d.parquet");
        ParquetFeatureReaderTests.WriteMixed(path, [6]);

        IDataView view = DataSourceReader.Load(path);

        Assert.Equal(["Label", "Features"], ViewRows.ColumnNames(view));
        Assert.Equal([0f, 1f, 2f, 3f, 0f, 1f], ViewRows.Singles(view, "Label"));
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFoundWithPath()
    {
        string path = _temp.File("gone.csv");

        var ex = Assert.Throws<FileNotFoundException>(() => DataSourceReader.Load(path, null));

        Assert.Equal(path, ex.FileName);
    }

    [Fact]
    public void Load_UnknownExtension_ThrowsListingSupportedFormats()
    {
        string path = _temp.Write("d.xlsx", "x");

        var ex = Assert.Throws<ArgumentException>(() => DataSourceReader.Load(path, null));

        Assert.Contains("'.xlsx'", ex.Message);
        Assert.Contains(".parquet", ex.Message);
        Assert.Contains("idx3-ubyte", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Load_FolderOrGlob_IsNotData(bool glob)
    {
        string path = glob ? Path.Combine(_temp.Path, "part-*.csv") : _temp.Path;

        var ex = Assert.Throws<ArgumentException>(() => DataSourceReader.Load(path, null));

        Assert.Contains(glob ? "is a glob" : "is a folder", ex.Message);
    }
}
