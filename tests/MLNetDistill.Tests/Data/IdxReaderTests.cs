using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(3, 2, 3, false)]
    [InlineData(7, 5, 3, true)]
    [InlineData(1, 1, 1, false)]
    [InlineData(13, 28, 28, true)]
    public void Load_ImagesWithLabels_RoundTripsPixelsAndLabels(int count, int rows, int cols, bool gzip)
    {
        string suffix = gzip ? ".gz" : string.Empty;
        string images = _temp.File("set-images-idx3-ubyte" + suffix);
        byte[][] pixels = IdxFiles.Pattern(count, rows * cols);
        byte[] labels = [.. Enumerable.Range(0, count).Select(i => (byte)(i % 10))];
        IdxFiles.WriteImages(images, pixels, rows, cols);
        IdxFiles.WriteLabels(_temp.File("set-labels-idx1-ubyte" + suffix), labels);

        IDataView view = IdxReader.Load(images);

        Assert.Equal(["Label", "Features"], ViewRows.ColumnNames(view));
        Assert.Equal(rows * cols, ((VectorDataViewType)view.Schema["Features"].Type).Size);
        Assert.Equal(count, view.GetRowCount());
        Assert.Equal(labels.Select(l => (float)l), ViewRows.Singles(view, "Label"));
        List<float[]> features = ViewRows.Vectors(view, "Features");
        Assert.Equal(count, features.Count);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(pixels[i].Select(p => p / 255f), features[i]);
        }
    }

    [Fact]
    public void Load_NoLabelFileBeside_HasOnlyFeatures()
    {
        string images = _temp.File("x-images-idx3-ubyte");
        IdxFiles.WriteImages(images, IdxFiles.Pattern(4, 6), 2, 3);

        IDataView view = IdxReader.Load(images);

        Assert.Equal(["Features"], ViewRows.ColumnNames(view));
        Assert.Equal(4, ViewRows.Count(view));
    }

    [Fact]
    public void Load_LabelsPathGiven_UsesItAndMixedCompressionWorks()
    {
        string images = _temp.File("pics.idx");
        string labels = _temp.File("classes.bin.gz");
        IdxFiles.WriteImages(images, IdxFiles.Pattern(5, 4), 2, 2);
        IdxFiles.WriteLabels(labels, [9, 8, 7, 6, 5]);

        IDataView view = IdxReader.Load(images, labels);

        Assert.Equal([9f, 8f, 7f, 6f, 5f], ViewRows.Singles(view, "Label"));
    }

    [Fact]
    public void FindLabels_GzOrPlainBeside_FindsEither()
    {
        string images = _temp.File("t10k-images-idx3-ubyte.gz");
        IdxFiles.WriteImages(images, IdxFiles.Pattern(1, 1), 1, 1);
        Assert.Null(IdxReader.FindLabels(images));
        IdxFiles.WriteLabels(_temp.File("t10k-labels-idx1-ubyte"), [1]);

        Assert.Equal(_temp.File("t10k-labels-idx1-ubyte"), IdxReader.FindLabels(images));
    }

    [Fact]
    public void Load_LabelFilePassedAsImages_ThrowsNotAnIdxImageFile()
    {
        string labels = _temp.File("y-labels-idx1-ubyte");
        IdxFiles.WriteLabels(labels, [1, 2, 3]);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Load(labels));

        Assert.Contains("not an IDX image file", ex.Message);
        Assert.Contains("0x00000801", ex.Message);
        Assert.Contains("label file", ex.Message);
    }

    [Fact]
    public void Load_GarbageFile_ThrowsBadMagic()
    {
        string path = _temp.Write("z-images-idx3-ubyte", "hello, this is not an IDX file at all");

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Load(path));

        Assert.Contains("not an IDX image file", ex.Message);
    }

    [Fact]
    public void Load_TruncatedPlainFile_ThrowsAtLoadWithSizes()
    {
        string images = _temp.File("t-images-idx3-ubyte");
        IdxFiles.WriteImages(images, IdxFiles.Pattern(4, 9), 3, 3, countOverride: 5);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Load(images));

        Assert.Contains("truncated", ex.Message);
        Assert.Contains("61", ex.Message); // 16 + 5 * 9 bytes promised
    }

    [Fact]
    public void Cursor_TruncatedGzipFile_ThrowsWhenItReachesTheMissingRow()
    {
        string images = _temp.File("t-images-idx3-ubyte.gz");
        IdxFiles.WriteImages(images, IdxFiles.Pattern(4, 9), 3, 3, countOverride: 5);
        IDataView view = IdxReader.Load(images);
        Assert.Equal(5, view.GetRowCount());

        using DataViewRowCursor cursor = view.GetRowCursor(view.Schema);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(cursor.MoveNext());
        }

        var ex = Assert.Throws<InvalidDataException>(() => cursor.MoveNext());
        Assert.Contains("truncated", ex.Message);
        Assert.Contains("item 4", ex.Message);
    }

    [Fact]
    public void Load_LabelCountDiffers_ThrowsNamingBothCounts()
    {
        string images = _temp.File("c-images-idx3-ubyte");
        IdxFiles.WriteImages(images, IdxFiles.Pattern(3, 4), 2, 2);
        IdxFiles.WriteLabels(_temp.File("c-labels-idx1-ubyte"), [1, 2]);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Load(images));

        Assert.Contains("2 labels", ex.Message);
        Assert.Contains("3 images", ex.Message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFoundWithPath()
    {
        string path = _temp.File("nope-images-idx3-ubyte.gz");

        var ex = Assert.Throws<FileNotFoundException>(() => IdxReader.Load(path));

        Assert.Equal(path, ex.FileName);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void ReadAll_SameFile_MatchesStreamingLoad()
    {
        string images = _temp.File("r-images-idx3-ubyte.gz");
        IdxFiles.WriteImages(images, IdxFiles.Pattern(11, 6), 2, 3);
        IdxFiles.WriteLabels(_temp.File("r-labels-idx1-ubyte.gz"), [.. Enumerable.Range(0, 11).Select(i => (byte)(10 - i % 10))]);

        (float[] pixels, int rows, int cols, float[]? labels) = IdxReader.ReadAll(images);

        IDataView view = IdxReader.Load(images);
        Assert.Equal(11, rows);
        Assert.Equal(6, cols);
        Assert.Equal(ViewRows.Vectors(view, "Features").SelectMany(v => v), pixels);
        Assert.Equal(ViewRows.Singles(view, "Label"), labels);
    }

    [Fact]
    public void GetRowCursor_TwoCursorsAtOnce_EachReadsTheWholeFile()
    {
        string images = _temp.File("p-images-idx3-ubyte.gz");
        IdxFiles.WriteImages(images, IdxFiles.Pattern(6, 4), 2, 2);
        IdxFiles.WriteLabels(_temp.File("p-labels-idx1-ubyte.gz"), [0, 1, 2, 3, 4, 5]);
        IDataView view = IdxReader.Load(images);
        DataViewSchema.Column label = view.Schema["Label"];

        DataViewRowCursor[] set = view.GetRowCursorSet([label], 4);
        using DataViewRowCursor a = set.Single();
        using DataViewRowCursor b = view.GetRowCursor([label]);
        ValueGetter<float> getA = a.GetGetter<float>(label);
        ValueGetter<float> getB = b.GetGetter<float>(label);
        float va = 0, vb = 0;
        Assert.True(a.MoveNext());
        Assert.True(a.MoveNext());
        Assert.True(b.MoveNext());
        getA(ref va);
        getB(ref vb);

        Assert.Equal(1f, va);
        Assert.Equal(0f, vb);
        Assert.Equal(1, a.Position);
        Assert.Throws<InvalidOperationException>(() => b.GetGetter<VBuffer<float>>(view.Schema["Features"]));
    }

    [Fact]
    public void Load_FashionMnistTestSet_Reads10000RowsAndFirstIsAnkleBoot()
    {
        // The Debian package dataset-fashion-mnist when installed; otherwise a file of the same shape made here.
        string images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
        if (!File.Exists(images) || IdxReader.FindLabels(images) is null)
        {
            images = _temp.File("t10k-images-idx3-ubyte.gz");
            IdxFiles.WriteImages(images, IdxFiles.Pattern(10_000, 784), 28, 28);
            IdxFiles.WriteLabels(_temp.File("t10k-labels-idx1-ubyte.gz"), [.. Enumerable.Range(0, 10_000).Select(i => (byte)(i == 0 ? 9 : i % 10))]);
        }

        IDataView view = IdxReader.Load(images);

        Assert.Equal(10_000, view.GetRowCount());
        Assert.Equal(784, ((VectorDataViewType)view.Schema["Features"].Type).Size);
        List<float> labels = ViewRows.Singles(view, "Label");
        Assert.Equal(10_000, labels.Count);
        Assert.Equal(9f, labels[0]); // class 9: ankle boot
        Assert.All(ViewRows.Vectors(view, "Features").Take(50).SelectMany(v => v), p => Assert.InRange(p, 0f, 1f));
    }
}
