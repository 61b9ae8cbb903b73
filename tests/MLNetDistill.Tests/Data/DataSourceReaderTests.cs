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
    public void Load_IdxNames_GoToTheIdxReaderIgnoringLabelColumn(string name)
    {
        string path = _temp.File(name);
        IdxFiles.WriteImages(path, IdxFiles.Pattern(2, 4), 2, 2);

        IDataView view = DataSourceReader.Load(path, "label");

        Assert.Equal(["Features"], ViewRows.ColumnNames(view));
        Assert.Equal(2, ViewRows.Count(view));
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
