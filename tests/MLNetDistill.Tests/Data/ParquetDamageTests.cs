using System.Buffers.Binary;
using MLNetDistill.Data;
using MLNetDistill.Tests.Fuzz;

namespace MLNetDistill.Tests.Data;

/// <summary>Regression tests for Parquet files the fuzzer damaged (tests/MLNetDistill.Tests/Fuzz).</summary>
public sealed class ParquetDamageTests(FuzzCorpusFixture fixture) : IClassFixture<FuzzCorpusFixture>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Load_FooterListDeclaresMillionsOfItems_ThrowsInvalidDataInsteadOfHanging()
    {
        // Fuzz parquet case 9 (seed 20261201): the last 4 bytes of the Thrift footer set to 01 00 00 01. Parquet.Net then
        // read a list header claiming about 16 million items and spun for minutes (a hang, 60 s and counting).
        byte[] bytes = (byte[])fixture.Corpus.Parquet.Clone();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(bytes.Length - 12), 0x01000001);
        string path = Write("huge-list.parquet", bytes);
        // The hang was minutes of spinning; the read runs aside so a regression fails here, with a bound generous enough
        // for a loaded machine, instead of hanging the suite.
        var load = Task.Run(() => Record.Exception(() => ViewRows.Vectors(DataSourceReader.Load(path), "Features")));

        var ex = Assert.IsType<InvalidDataException>(await load.WaitAsync(TimeSpan.FromSeconds(30))); // TimeoutException: a hang again
        Assert.Contains(path, ex.Message);
        Assert.Contains("footer", ex.Message);
    }

    [Theory]
    [InlineData(int.MinValue)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    [InlineData(0x7FFFFFF0)]
    public void Load_FooterLengthOutsideTheFile_ThrowsInvalidDataNamingBothSizes(int footerLength)
    {
        // Fuzz parquet cases 38, 62, 63, 97: a footer length that does not fit gave OverflowException from Parquet.Net.
        byte[] bytes = (byte[])fixture.Corpus.Parquet.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(bytes.Length - 8), footerLength);
        string path = Write("bad-footer-length.parquet", bytes);

        var ex = Assert.Throws<InvalidDataException>(() => DataSourceReader.Load(path));

        Assert.Contains(path, ex.Message);
        Assert.Contains($"footer length is {footerLength} bytes", ex.Message);
        Assert.Contains($"room for 1 to {bytes.Length - 12}", ex.Message);
    }

    [Fact]
    public void Load_ColumnDataOverwritten_ThrowsInvalidDataNamingFileAndRowGroup()
    {
        // Fuzz parquet cases 6, 14, 42, 57: damaged column chunks made Parquet.Net throw IndexOutOfRangeException,
        // ThriftProtocolException or a bare "Incomplete Snappy block" from the first MoveNext, none naming the file.
        byte[] bytes = (byte[])fixture.Corpus.Parquet.Clone();
        bytes.AsSpan(4, 64).Fill(0xFF); // the first page header and data of row group 0
        string path = Write("bad-column.parquet", bytes);

        var ex = Assert.Throws<InvalidDataException>(() => ViewRows.Vectors(DataSourceReader.Load(path), "Features"));

        Assert.Contains(path, ex.Message);
        Assert.Contains("row group 0", ex.Message);
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public void Load_IntactFileAfterValidation_ReadsEveryRow()
    {
        // The footer check must not refuse what Parquet.Net writes: the corpus file has two row groups, a nullable column and text.
        string path = Write("intact.parquet", fixture.Corpus.Parquet);

        Assert.Equal(FuzzCorpus.Rows, ViewRows.Count(DataSourceReader.Load(path)));
        Assert.Equal(FuzzCorpus.Rows, ViewRows.Vectors(DataSourceReader.Load(path), "Features").Count);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = _temp.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
