using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

public sealed class LabelCandidatesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("Label", true)]
    [InlineData("class", true)]
    [InlineData("TARGET", true)]
    [InlineData("y", true)]
    [InlineData(" Class ", true)]
    [InlineData("pixel0", false)]
    [InlineData("labels_count", false)]
    [InlineData("x", false)]
    public void LooksLikeLabel_Name_TrueForLabelClassTargetYIgnoringCase(string name, bool expected)
    {
        Assert.Equal(expected, LabelCandidates.LooksLikeLabel(name));
    }

    [Fact]
    public void InSlotNames_CsvClassColumnReadAsFeature_ReturnsItsName()
    {
        string path = _temp.Write("d.csv", "a,b,Class\n1,2,3\n");

        var view = CsvFeatureReader.Load(path);

        Assert.Equal("Class", LabelCandidates.InSlotNames(view.Schema["Features"]));
    }

    [Fact]
    public void InSlotNames_NoLabelLikeSlot_ReturnsNull()
    {
        string path = _temp.Write("d.csv", "a,b,c\n1,2,3\n");

        var view = CsvFeatureReader.Load(path);

        Assert.Null(LabelCandidates.InSlotNames(view.Schema["Features"]));
    }

    [Fact]
    public void InSlotNames_VectorWithoutSlotNames_ReturnsNull()
    {
        string images = _temp.File("x-images-idx3-ubyte");
        IdxFiles.WriteImages(images, IdxFiles.Pattern(1, 4), 2, 2);

        var view = IdxReader.Load(images);

        Assert.Null(LabelCandidates.InSlotNames(view.Schema["Features"]));
    }
}
