using Microsoft.ML;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

/// <summary>ML.NET binary data files get one block order, whatever order the saver's threads wrote them in.</summary>
public sealed class IdvBlockOrderTests
{
    [Fact]
    public void Canonical_BlocksInReverseOrder_SameBytesAsTheForwardOrder()
    {
        var ml = new MLContext(seed: 0);
        byte[] idv = Idv(ml, out var rows);
        byte[] reversed = IdvBlockOrder.Arrange(idv, reversed: true)!;

        Assert.NotNull(reversed);
        Assert.NotEqual(IdvBlockOrder.Canonical(idv), reversed); // the layout really moved
        Assert.Equal(rows, Read(ml, reversed)); // and still reads as the same data
        Assert.Equal(IdvBlockOrder.Canonical(idv), IdvBlockOrder.Canonical(reversed));
        Assert.Equal(rows, Read(ml, IdvBlockOrder.Canonical(reversed)));
    }

    [Fact]
    public void Canonical_NotAnIdvFile_ReturnsItUnchanged()
    {
        byte[] text = "not binary data at all, but longer than the 256-byte header of an idv file would be......................................................................................................................................................................."u8.ToArray();

        Assert.Same(text, IdvBlockOrder.Canonical(text));
        Assert.Null(IdvBlockOrder.Arrange(text, reversed: false));
    }

    [Fact]
    public void Canonical_TruncatedIdvFile_ReturnsItUnchanged()
    {
        byte[] idv = Idv(new MLContext(seed: 0), out _);
        byte[] truncated = idv[..(idv.Length - 40)];

        Assert.Same(truncated, IdvBlockOrder.Canonical(truncated));
    }

    private static byte[] Idv(MLContext ml, out (float A, int B, string C)[] rows)
    {
        rows = [.. Enumerable.Range(0, 300).Select(i => (i * 0.5f, i * 7 % 13, "row" + (i % 5)))];
        var view = ml.Data.LoadFromEnumerable(rows.Select(r => new Row { A = r.A, B = r.B, C = r.C }));
        using var stream = new MemoryStream();
        ml.Data.SaveAsBinary(view, stream);
        return stream.ToArray();
    }

    private static (float A, int B, string C)[] Read(MLContext ml, byte[] idv)
    {
        string path = TestPaths.TempFile(".idv");
        try
        {
            File.WriteAllBytes(path, idv);
            var view = ml.Data.LoadFromBinary(path);
            return [.. ml.Data.CreateEnumerable<Row>(view, reuseRowObject: false).Select(r => (r.A, r.B, r.C))];
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class Row
    {
        public float A { get; set; }

        public int B { get; set; }

        public string C { get; set; } = "";
    }
}
