using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

/// <summary><see cref="CsvFeatureReader.LoadText"/> and <see cref="DataSourceReader.LoadText"/>: CSV files whose examples are texts.</summary>
public sealed class CsvTextReaderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    internal static List<string> Texts(IDataView view, string column)
    {
        var values = new List<string>();
        using var cursor = view.GetRowCursor([view.Schema[column]]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema[column]);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            values.Add(value.ToString());
        }

        return values;
    }

    [Fact]
    public void LoadText_QuotedCellsWithCommasQuotesAndLineBreaks_ReadsEachCellWhole()
    {
        string path = _temp.Write("mail.csv",
            "Id,Text,Label,Group\n" +
            "a,\"Subject: hi, there\n\nbody \"\"quoted\"\", more\",1,spam_2\r\n" +
            "b,plain text,0,easy_ham_1\n" +
            "c,\"\",0,hard_ham_1\n" +
            "d,\"last\nline\",1,spam_1");

        IDataView view = CsvFeatureReader.LoadText(path, "Text");

        Assert.Equal(["Label", "Id", "Text", "Group"], ViewRows.ColumnNames(view));
        Assert.Equal(TextDataViewType.Instance, view.Schema["Text"].Type);
        Assert.Equal(["Subject: hi, there\n\nbody \"quoted\", more", "plain text", "", "last\nline"], Texts(view, "Text"));
        Assert.Equal(["a", "b", "c", "d"], Texts(view, "Id"));
        Assert.Equal(["spam_2", "easy_ham_1", "hard_ham_1", "spam_1"], Texts(view, "Group"));
        Assert.Equal([1f, 0f, 0f, 1f], ViewRows.Singles(view, "Label"));
    }

    [Fact]
    public void LoadText_FixtureEmails_ReadsAllFiftyRowsWithTheirLabels()
    {
        IDataView view = DataSourceReader.LoadText(TestPaths.Fixture("text_emails.csv"), "Text");

        List<string> texts = Texts(view, "Text");
        List<float> labels = ViewRows.Singles(view, "Label");

        Assert.Equal(50, texts.Count);
        Assert.Equal(50, labels.Count);
        Assert.All(labels, y => Assert.True(y is 0f or 1f));
        Assert.Contains(texts, t => t.Contains('\n', StringComparison.Ordinal) && t.StartsWith("Subject: ", StringComparison.Ordinal));
        Assert.Contains("Subject: \"free\", cheap, now!\n\nSay \"yes\", reply, win $1,000,000 \"today\"", texts);
        Assert.Contains("", texts);
    }

    [Fact]
    public void LoadText_InvalidUtf8OnLineFour_InvalidDataExceptionNamesLineFour()
    {
        string path = _temp.File("latin1.csv");
        byte[] head = System.Text.Encoding.UTF8.GetBytes("Id,Text,Label\n1,\"two\nlines\",0\n2,caf");
        byte[] tail = System.Text.Encoding.UTF8.GetBytes(",1\n");
        File.WriteAllBytes(path, [.. head, 0xE9, .. tail]); // é in Latin-1: not UTF-8

        var error = Assert.Throws<InvalidDataException>(() => ViewRows.Count(CsvFeatureReader.LoadText(path, "Text")));

        Assert.Contains("line 4", error.Message, StringComparison.Ordinal);
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_InvalidUtf8FarIntoTheFile_ThrowsFromTheCursorWithTheLine()
    {
        string path = _temp.File("late.csv");
        var text = new System.Text.StringBuilder("Id,Text,Label\n");
        for (int i = 0; i < 3000; i++)
        {
            text.Append(i).Append(",\"row ").Append(i).Append(" text, with a comma\",0\n");
        }

        byte[] head = System.Text.Encoding.UTF8.GetBytes(text.ToString() + "3000,bad ");
        File.WriteAllBytes(path, [.. head, 0xFF, (byte)',', (byte)'1', (byte)'\n']);

        IDataView view = CsvFeatureReader.LoadText(path, "Text"); // the first rows are fine
        var error = Assert.Throws<InvalidDataException>(() => ViewRows.Count(view));

        Assert.Contains("line 3002", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_NumericColumnAsText_ArgumentExceptionSaysNotText()
    {
        string path = _temp.Write("nums.csv", "Id,Text,Score,Label\n1,hello,0.5,0\n2,world,1.5,1\n");

        var error = Assert.Throws<ArgumentException>(() => CsvFeatureReader.LoadText(path, "Score"));

        Assert.Contains("'Score'", error.Message, StringComparison.Ordinal);
        Assert.Contains("not text", error.Message, StringComparison.Ordinal);
        Assert.Contains("'0.5'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_TextColumnIsTheLabel_ArgumentException()
    {
        string path = _temp.Write("l.csv", "Text,Label\nhello,0\n");

        var error = Assert.Throws<ArgumentException>(() => CsvFeatureReader.LoadText(path, "Label"));

        Assert.Contains("also the label", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_MissingTextColumn_ArgumentExceptionListsColumns()
    {
        string path = _temp.Write("m.csv", "Id,Body,Label\n1,hello,0\n");

        var error = Assert.Throws<ArgumentException>(() => CsvFeatureReader.LoadText(path, "Text"));

        Assert.Contains("'Text'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Body", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_RaggedRecordAfterMultilineCell_NamesTheRecordsFirstLine()
    {
        string path = _temp.Write("r.csv", "Id,Text,Label\n1,\"a\nb\nc\",0\n2,oops,0,extra\n");

        var error = Assert.Throws<InvalidDataException>(() => ViewRows.Count(CsvFeatureReader.LoadText(path, "Text")));

        Assert.Contains("line 5", error.Message, StringComparison.Ordinal);
        Assert.Contains("4 cells", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_ParquetFile_ArgumentExceptionSaysTextComesFromCsv()
    {
        string path = _temp.Write("x.parquet", "not really");

        var error = Assert.Throws<ArgumentException>(() => DataSourceReader.LoadText(path, "Text"));

        Assert.Contains(".csv", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NumericCsvWithTextColumn_StillLeavesTheTextOut()
    {
        string path = _temp.Write("mixed.csv", "Text,x,Label\n\"a, b\",1.5,0\n");

        IDataView view = CsvFeatureReader.Load(path);

        Assert.Equal(["Label", "Features"], ViewRows.ColumnNames(view));
        Assert.Equal([1.5f], ViewRows.Vectors(view, "Features")[0]);
    }
}
