using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

public sealed class CsvFeatureReaderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Load_LabelInMiddle_LabelAndOtherColumnsInFileOrder()
    {
        string path = _temp.Write("iris.csv", "sepal_length,species,petal_width\n5.1,0,0.2\r\n6.4,2,-1.5e-1\n\n7,1,\n");

        IDataView view = CsvFeatureReader.Load(path, "species");

        Assert.Equal(["Label", "Features"], ViewRows.ColumnNames(view));
        Assert.Null(view.GetRowCount());
        Assert.Equal([0f, 2f, 1f], ViewRows.Singles(view, "Label"));
        List<float[]> features = ViewRows.Vectors(view, "Features");
        Assert.Equal([5.1f, 0.2f], features[0]);
        Assert.Equal([6.4f, -0.15f], features[1]);
        Assert.Equal(7f, features[2][0]);
        Assert.True(float.IsNaN(features[2][1])); // an empty cell is missing
        VBuffer<ReadOnlyMemory<char>> slots = default;
        view.Schema["Features"].GetSlotNames(ref slots);
        Assert.Equal(["sepal_length", "petal_width"], slots.DenseValues().Select(s => s.ToString()));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(17, 7)]
    public void Load_GeneratedFile_ReadsEveryValue(int rows, int columns)
    {
        var lines = new List<string> { string.Join(',', Enumerable.Range(0, columns).Select(c => $"f{c}").Append("y")) };
        for (int r = 0; r < rows; r++)
        {
            lines.Add(string.Join(',', Enumerable.Range(0, columns).Select(c => (r * 0.5f - c * 1.25f).ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append((r % 3).ToString())));
        }

        string path = _temp.Write("gen.csv", string.Join('\n', lines));

        IDataView view = CsvFeatureReader.Load(path, "y");

        List<float[]> features = ViewRows.Vectors(view, "Features");
        Assert.Equal(rows, features.Count);
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(Enumerable.Range(0, columns).Select(c => r * 0.5f - c * 1.25f), features[r]);
        }

        Assert.Equal(Enumerable.Range(0, rows).Select(r => (float)(r % 3)), ViewRows.Singles(view, "Label"));
    }

    [Fact]
    public void Load_NoLabelColumn_AllNumericColumnsAreFeaturesAndTextColumnsAreLeftOut()
    {
        string path = _temp.Write("d.csv", "id,name,x\n1,\"Smith, J\",2.5\n2,\"O\"\"Brien\",3.5\n");

        IDataView view = CsvFeatureReader.Load(path, null);

        Assert.Equal(["Features"], ViewRows.ColumnNames(view));
        Assert.Equal([[1f, 2.5f], [2f, 3.5f]], ViewRows.Vectors(view, "Features"));
    }

    [Theory]
    [InlineData("data.tsv", "full,name\tx\ty\tlabel\nSmith, J\t1.5\t-2\t1\n")] // .tsv: tabs, even with commas in the header
    [InlineData("data.txt", "name\tx\ty\tlabel\nSmith, J\t1.5\t-2\t1\n")] // a tab in the header
    public void Load_TabSeparated_SplitsOnTabs(string name, string text)
    {
        string path = _temp.Write(name, text);

        IDataView view = CsvFeatureReader.Load(path, "label");

        Assert.Equal([1f], ViewRows.Singles(view, "Label"));
        Assert.Equal([[1.5f, -2f]], ViewRows.Vectors(view, "Features")); // the text cell "Smith, J" is one cell, left out
    }

    [Fact]
    public void Load_TsvExtensionWithoutTabs_IsStillTabSeparated()
    {
        string path = _temp.Write("one.tsv", "x,y\n1.5\n");

        IDataView view = CsvFeatureReader.Load(path, null);

        VBuffer<ReadOnlyMemory<char>> slots = default;
        view.Schema["Features"].GetSlotNames(ref slots);
        Assert.Equal("x,y", slots.DenseValues().Single().ToString());
        Assert.Equal([[1.5f]], ViewRows.Vectors(view, "Features"));
    }

    [Fact]
    public void Cursor_RaggedRow_ThrowsNamingLineAndCounts()
    {
        var text = new System.Text.StringBuilder("a,b,c,d,e,label\n");
        for (int i = 2; i < 17; i++)
        {
            text.Append("1,2,3,4,5,0\n");
        }

        text.Append("1,2,3,4,0\n");
        string path = _temp.Write("ragged.csv", text.ToString());
        IDataView view = CsvFeatureReader.Load(path, "label");

        var ex = Assert.Throws<InvalidDataException>(() => ViewRows.Count(view));

        Assert.Contains("line 17 has 5 cells but the header has 6", ex.Message);
    }

    [Fact]
    public void Cursor_NonNumericCell_ThrowsNamingLineAndColumn()
    {
        string path = _temp.Write("bad.csv", "sepal,petal_width,label\n" + string.Concat(Enumerable.Repeat("1,2,0\n", 7)) + "1,abc,0\n");
        IDataView view = CsvFeatureReader.Load(path, "label");

        Assert.Equal(8, ViewRows.Singles(view, "Label").Count); // features inactive: the bad cell is not parsed
        var ex = Assert.Throws<InvalidDataException>(() => ViewRows.Vectors(view, "Features"));

        Assert.Contains("line 9, column 'petal_width': 'abc' is not a number", ex.Message);
    }

    [Fact]
    public void Load_LabelMissing_ThrowsListingColumns()
    {
        string path = _temp.Write("m.csv", "alpha,beta\n1,2\n");

        var ex = Assert.Throws<ArgumentException>(() => CsvFeatureReader.Load(path, "gamma"));

        Assert.Contains("'gamma'", ex.Message);
        Assert.Contains("alpha, beta", ex.Message);
    }

    [Fact]
    public void Load_LabelDiffersInCase_MatchesIgnoringCase()
    {
        string path = _temp.Write("case.csv", "x,Target\n1,3\n");

        Assert.Equal([3f], ViewRows.Singles(CsvFeatureReader.Load(path, "target"), "Label"));
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("a,b\n", "no data rows")]
    [InlineData("a,b\n\n\n", "no data rows")]
    public void Load_EmptyOrHeaderOnly_ThrowsEmptyData(string text, string expected)
    {
        string path = _temp.Write("e.csv", text);

        var ex = Assert.Throws<InvalidDataException>(() => CsvFeatureReader.Load(path, null));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        string path = _temp.File("none.csv");
        var ex = Assert.Throws<FileNotFoundException>(() => CsvFeatureReader.Load(path, null));
        Assert.Equal(path, ex.FileName);
        Assert.Contains($"CSV file '{path}' was not found: check the path", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LongFile_StreamsPastTheReadBuffer()
    {
        const int rows = 20_011;
        using (var writer = new StreamWriter(_temp.File("long.csv")))
        {
            writer.WriteLine("x,label");
            for (int i = 0; i < rows; i++)
            {
                writer.WriteLine($"{i},{i % 10}");
            }
        }

        List<float[]> features = ViewRows.Vectors(CsvFeatureReader.Load(_temp.File("long.csv"), "label"), "Features");

        Assert.Equal(rows, features.Count);
        Assert.Equal(rows - 1, features[^1][0]);
    }

    [Fact]
    public void Load_UsedByMlNet_NormalizerFitsAndTransforms()
    {
        string path = _temp.Write("n.csv", "a,b,label\n0,10,0\n5,20,1\n10,30,0\n");
        var ml = new MLContext(seed: 1);
        IDataView view = CsvFeatureReader.Load(path, "label");

        IDataView normalized = ml.Transforms.NormalizeMinMax("Features", fixZero: false).Fit(view).Transform(view);

        List<float[]> rows = ViewRows.Vectors(normalized, "Features");
        Assert.Equal([0f, 0.5f, 1f], rows.Select(r => r[0]), new FloatComparer(1e-6));
        Assert.Equal([0f, 0.5f, 1f], rows.Select(r => r[1]), new FloatComparer(1e-6));
    }
}
