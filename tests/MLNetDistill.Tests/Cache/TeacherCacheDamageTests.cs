using System.Text;
using System.Text.RegularExpressions;
using MLNetDistill.Data;
using MLNetDistill.Tests.Data;
using MLNetDistill.Tests.Fuzz;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Tests.Cache;

/// <summary>
/// Regression tests for teacher caches the fuzzer damaged, and the refusals of a cache that does not match the teacher or
/// data at hand (the caches are the real softmax teacher's output for 20 real Fashion-MNIST images).
/// </summary>
public sealed class TeacherCacheDamageTests(FuzzCorpusFixture fixture) : IClassFixture<FuzzCorpusFixture>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Read_SidecarWithInvalidUtf8_ThrowsInvalidDataNamingSidecar()
    {
        // Fuzz cache case 113 (seed 20261201): one byte of the sidecar randomized inside a string; System.Text.Json parsed
        // it and GetString threw InvalidOperationException ("Cannot transcode invalid UTF-8 JSON text").
        string csv = CopyCsvCache(out string sidecar);
        byte[] json = File.ReadAllBytes(sidecar);
        int at = Encoding.UTF8.GetString(json).IndexOf("softmax_teacher", StringComparison.Ordinal);
        json[at] = 0xFF;
        File.WriteAllBytes(sidecar, json);

        var ex = Assert.Throws<InvalidDataException>(() => TeacherCache.Read(csv));

        Assert.Contains(sidecar, ex.Message);
        Assert.Contains("not UTF-8", ex.Message);
    }

    [Fact]
    public void Read_CsvWithMoreRowsThanItsMetadata_ThrowsNamingTheRecordedCount()
    {
        // Fuzz cache case 4: the sidecar said 11 rows for a file of 20; the view read 11 and stopped without a word.
        string csv = CopyCsvCache(out string sidecar);
        File.WriteAllText(sidecar, Regex.Replace(File.ReadAllText(sidecar), "\"rows\": \\d+", "\"rows\": 11"));

        var ex = Assert.Throws<InvalidDataException>(() => ViewRows.Count(TeacherCache.Read(csv)));

        Assert.Contains(csv, ex.Message);
        Assert.Contains("more rows than the 11", ex.Message);
    }

    [Theory]
    [InlineData(2147483647)]
    [InlineData(100_000_000)]
    [InlineData(11)]
    public void Read_ClassCountThatDisagreesWithTheColumns_ThrowsNamingBothCounts(int classes)
    {
        // A class count in the metadata sizes every buffer; 2^31 - 1 classes asked for 16 GiB of column names before the
        // header was looked at. The count is now checked against the file's 22 columns (label, 10 logits, 10 soft, pred) first.
        string csv = CopyCsvCache(out string sidecar);
        File.WriteAllText(sidecar, Regex.Replace(File.ReadAllText(sidecar), "\"classes\": \\d+", $"\"classes\": {classes}"));
        long before = GC.GetAllocatedBytesForCurrentThread();

        var ex = Assert.Throws<InvalidDataException>(() => ViewRows.Count(TeacherCache.Read(csv)));

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20, "allocated for the declared class count");
        Assert.Contains(csv, ex.Message);
        Assert.Contains("has 22 columns", ex.Message);
        Assert.Contains($"{classes:N0} classes", ex.Message);
    }

    [Fact]
    public void ReadMatching_CacheOfAnotherTeacher_ThrowsNamingBothHashes()
    {
        string other = FileFingerprint.Sha256(fixture.Corpus.BinaryTeacher);
        string mine = FileFingerprint.Sha256(fixture.Corpus.SoftmaxTeacher);

        var ex = Assert.Throws<InvalidDataException>(() =>
            TeacherCache.ReadMatching(fixture.Corpus.CacheParquetPath, fixture.Corpus.IdxImagesPath, fixture.Corpus.BinaryTeacher));

        Assert.Contains(mine, ex.Message);
        Assert.Contains(other, ex.Message);
    }

    [Fact]
    public void ReadMatching_CacheOfOtherData_ThrowsNamingBothFingerprints()
    {
        string otherData = _temp.File("other-images-idx3-ubyte");
        byte[] images = (byte[])fixture.Corpus.IdxImages.Clone();
        images[^1] ^= 0x01; // one pixel of the last image differs
        File.WriteAllBytes(otherData, images);

        var ex = Assert.Throws<InvalidDataException>(() =>
            TeacherCache.ReadMatching(fixture.Corpus.CacheParquetPath, otherData, fixture.Corpus.SoftmaxTeacher));

        Assert.Contains(FileFingerprint.Data(fixture.Corpus.IdxImagesPath, FuzzCorpus.Rows), ex.Message);
        Assert.Contains(FileFingerprint.Data(otherData, FuzzCorpus.Rows), ex.Message);
    }

    [Fact]
    public void ReadMatching_CacheOfFewerRows_ThrowsNamingBothRowCounts()
    {
        // A cache of the first 12 rows of the 20-row data whose fingerprint still records the data's 20 rows: the expected
        // fingerprint is built with the cache's 12 rows, so the two differ in their row counts and both are named.
        CacheMetadata full = TeacherCache.ReadMetadata(fixture.Corpus.CacheParquetPath);
        string cut = _temp.File("cut.parquet");
        Microsoft.ML.IDataView rows = new Microsoft.ML.MLContext(0).Data.TakeRows(TeacherCache.Read(fixture.Corpus.CacheParquetPath), 12);
        TeacherCache.Write(rows, cut, full with { Rows = 0 });

        var ex = Assert.Throws<InvalidDataException>(() =>
            TeacherCache.ReadMatching(cut, fixture.Corpus.IdxImagesPath, fixture.Corpus.SoftmaxTeacher));

        Assert.Contains("rows=12", ex.Message);
        Assert.Contains("rows=20", ex.Message);
    }

    private string CopyCsvCache(out string sidecar)
    {
        string csv = _temp.File("cache.csv");
        File.Copy(fixture.Corpus.CacheCsvPath, csv);
        sidecar = csv + ".json";
        File.Copy(fixture.Corpus.CacheCsvPath + ".json", sidecar);
        return csv;
    }
}
