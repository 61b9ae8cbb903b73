using MLNetDistill.Data;
using MLNetDistill.Tests.Fuzz;

namespace MLNetDistill.Tests.Data;

/// <summary>Regression tests for IDX files the fuzzer damaged (tests/MLNetDistill.Tests/Fuzz).</summary>
public sealed class IdxDamageTests(FuzzCorpusFixture fixture) : IClassFixture<FuzzCorpusFixture>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Load_GzipWhoseDeflateHeaderIsDamaged_ThrowsInvalidDataNamingFile()
    {
        // Fuzz idx-gz case 2 (seed 20261201): a byte of the compressed stream changed. The gzip header still reads, but its
        // first deflate block names an unknown method; GZipStream's bare "unsupported compression method" escaped with no file.
        byte[] gz = FuzzCorpus.Gzip(fixture.Corpus.IdxImages);
        gz[10] = 0xFF; // first byte of the deflate data: block type 3, which does not exist
        string path = _temp.File("damaged-images-idx3-ubyte.gz");
        File.WriteAllBytes(path, gz);

        var ex = Assert.Throws<InvalidDataException>(() => DataSourceReader.Load(path));

        Assert.Contains(path, ex.Message);
        Assert.Contains("compressed data is damaged", ex.Message);
        Assert.IsType<InvalidDataException>(ex.InnerException);
    }

    [Fact]
    public void Load_GzipLabelsWhoseDeflateHeaderIsDamaged_ThrowsInvalidDataNamingLabelFile()
    {
        string images = _temp.File("set-images-idx3-ubyte.gz");
        string labels = _temp.File("set-labels-idx1-ubyte.gz");
        File.WriteAllBytes(images, FuzzCorpus.Gzip(fixture.Corpus.IdxImages));
        byte[] gz = FuzzCorpus.Gzip(fixture.Corpus.IdxLabels);
        gz[10] = 0xFF;
        File.WriteAllBytes(labels, gz);

        var ex = Assert.Throws<InvalidDataException>(() => DataSourceReader.Load(images, "Label"));

        Assert.Contains(labels, ex.Message);
    }
}
