using Microsoft.ML;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

public sealed class ColumnNameListTests
{
    [Theory]
    [InlineData(1, "c0")]
    [InlineData(3, "c0, c1, c2")]
    [InlineData(10, "c0, c1, c2, c3, c4, c5, c6, c7, c8, c9")]
    public void Format_TenOrFewerNames_ListsEveryName(int count, string expected)
    {
        Assert.Equal(expected, ColumnNameList.Format(Enumerable.Range(0, count).Select(i => $"c{i}")));
    }

    [Theory]
    [InlineData(11, 1)]
    [InlineData(785, 775)]
    public void Format_MoreThanTenNames_ListsTenThenCountsTheRest(int count, int more)
    {
        string text = ColumnNameList.Format(Enumerable.Range(0, count).Select(i => $"c{i}"));

        Assert.Equal($"c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, ... and {more} more", text);
    }

    [Fact]
    public void Format_NoNames_SaysNone()
    {
        Assert.Equal("(none)", ColumnNameList.Format(Array.Empty<string>()));
    }

    [Fact]
    public void Format_Schema_ListsVisibleColumnsOnly()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, [[1f, 2f]], [0f]);
        var copied = ml.Transforms.CopyColumns("Id", "Label").Fit(data).Transform(data); // hides the first Id

        Assert.Equal("Features, Label, Id", ColumnNameList.Format(copied.Schema));
    }
}
