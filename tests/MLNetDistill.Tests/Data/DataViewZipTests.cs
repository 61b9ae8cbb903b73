using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Tests.Data;

public sealed class DataViewZipTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Csv(int rows, string name = "data.csv")
    {
        var lines = new List<string> { "x,label" };
        lines.AddRange(Enumerable.Range(0, rows).Select(i => $"{i},{i % 2}"));
        return _temp.Write(name, string.Join('\n', lines));
    }

    private string Cache(int rows, bool withLabel = false)
    {
        string path = _temp.File($"cache-{rows}.parquet");
        TeacherCache.Write(
            ScoredViews.Create(rows, 3, withLabel).View,
            path,
            new CacheMetadata { TeacherSha256 = "aa", TeacherFile = "t.onnx" });
        return path;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    public void Create_SameRows_ColumnsOfBothRowByRow(int rows)
    {
        IDataView data = CsvFeatureReader.Load(Csv(rows), "label");
        IDataView cache = TeacherCache.Read(Cache(rows));

        IDataView zipped = DataViewZip.Create(data, cache);

        Assert.Equal(["Label", "Features", "TeacherLogits", "SoftLabels", "TeacherPredictedLabel"], ViewRows.ColumnNames(zipped));
        Assert.Equal(rows, zipped.GetRowCount());
        Assert.Equal(Enumerable.Range(0, rows).Select(i => (float)i), ViewRows.Vectors(zipped, "Features").Select(v => v[0]));
        Assert.Equal(ViewRows.Vectors(cache, "SoftLabels"), ViewRows.Vectors(zipped, "SoftLabels"));
    }

    [Fact]
    public void Create_KnownCountsDiffer_ThrowsMadeFromOtherData()
    {
        IDataView data = ParquetData(10);
        IDataView cache = TeacherCache.Read(Cache(9));

        var ex = Assert.Throws<InvalidDataException>(() => DataViewZip.Create(data, cache));

        Assert.Contains("The cache has 9 rows but the data has 10: it was made from other data", ex.Message);
    }

    [Fact]
    public void Cursor_CacheShorterThanCsvOfUnknownLength_ThrowsWhenTheCacheEnds()
    {
        IDataView zipped = DataViewZip.Create(CsvFeatureReader.Load(Csv(10), "label"), TeacherCache.Read(Cache(9)));

        var ex = Assert.Throws<InvalidDataException>(() => ViewRows.Count(zipped));

        Assert.Contains("The cache has 9 rows but the data has more", ex.Message);
    }

    [Fact]
    public void Cursor_CsvShorterThanCache_ThrowsNamingCacheLength()
    {
        IDataView zipped = DataViewZip.Create(CsvFeatureReader.Load(Csv(4), "label"), TeacherCache.Read(Cache(6)));

        var ex = Assert.Throws<InvalidDataException>(() => ViewRows.Count(zipped));

        Assert.Contains("The data has 4 rows but the cache has 6", ex.Message);
    }

    [Fact]
    public void Create_NameInBoth_ThrowsUnlessSecondWins()
    {
        IDataView data = CsvFeatureReader.Load(Csv(3), "label");
        IDataView cache = TeacherCache.Read(Cache(3, withLabel: true));

        var ex = Assert.Throws<ArgumentException>(() => DataViewZip.Create(data, cache));
        Assert.Contains("'Label'", ex.Message);

        IDataView zipped = DataViewZip.Create(data, cache, secondWins: true);
        Assert.Equal(["Features", "Label", "TeacherLogits", "SoftLabels", "TeacherPredictedLabel"], ViewRows.ColumnNames(zipped));
        Assert.Equal(ViewRows.Singles(cache, "Label"), ViewRows.Singles(zipped, "Label"));
    }

    private IDataView ParquetData(int rows)
    {
        string path = _temp.File($"data-{rows}.parquet");
        ParquetFeatureReaderTests.WriteMixed(path, [rows]);
        return ParquetFeatureReader.Load(path, "label");
    }
}
