using Microsoft.ML;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

/// <summary><see cref="AppendRowsDataView"/>: training rows then transfer or test rows, whose files may have different unused columns.</summary>
public sealed class AppendRowsDataViewTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Create_SecondLacksTextColumnsAndLabel_LeavesThemOutAndFillsTheLabelWithNaN()
    {
        IDataView first = CsvFeatureReader.LoadText(_temp.Write("train.csv", "Id,Text,Label,Group\na,one,1,spam\nb,two,0,ham\n"), "Text");
        IDataView second = CsvFeatureReader.LoadText(_temp.Write("transfer.csv", "Text\nthree\n"), "Text", "Label", labelOptional: true);

        var appended = new AppendRowsDataView(first, second);

        Assert.Equal(["Label", "Text"], ViewRows.ColumnNames(appended));
        Assert.Equal(["one", "two", "three"], CsvTextReaderTests.Texts(appended, "Text"));
        var labels = ViewRows.Singles(appended, "Label");
        Assert.Equal([1f, 0f], labels.Take(2));
        Assert.True(float.IsNaN(labels[2]));
    }

    [Fact]
    public void Create_SameColumns_KeepsTheFirstSchema()
    {
        IDataView first = CsvFeatureReader.LoadText(_temp.Write("a.csv", "Id,Text,Label\na,one,1\n"), "Text");
        IDataView second = CsvFeatureReader.LoadText(_temp.Write("b.csv", "Id,Text,Label\nb,two,0\n"), "Text");

        var appended = new AppendRowsDataView(first, second);

        Assert.Same(first.Schema, appended.Schema);
        Assert.Equal(["a", "b"], CsvTextReaderTests.Texts(appended, "Id"));
    }

    [Fact]
    public void Create_FeaturesOfDifferentWidths_Throws()
    {
        IDataView first = CsvFeatureReader.Load(_temp.Write("a.csv", "x,y,Label\n1,2,0\n"));
        IDataView second = CsvFeatureReader.Load(_temp.Write("b.csv", "x,Label\n1,0\n"));

        var ex = Assert.Throws<ArgumentException>(() => new AppendRowsDataView(first, second));

        Assert.Contains("'Features'", ex.Message, StringComparison.Ordinal);
    }
}
