using System.Globalization;
using System.Text;
using System.Text.Json;
using MLNetDistill.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Teachers;
using MLNetDistill.Tests.Teachers;
using MLNetDistill.Tests.Data;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Tests.Cli;

/// <summary>
/// Files as users have them: train, transfer and test files whose unused columns differ, and numeric columns that are not
/// features (an Id) left out with <c>--ignore-columns</c>, end to end through the CLI on files the tests write.
/// </summary>
[Collection("Console")]
public sealed class DataFilesTests : IDisposable
{
    private static readonly string DigitsTeacher = TestPaths.Fixture("digits_teacher.onnx");
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Distill_TextFilesWithDifferentUnusedColumns_DistillsOnTheTextAlone()
    {
        var (train, transfer, test) = EmailFiles();

        var (code, _, error) = CliRunner.Run("distill", "--teacher", TextTeacherScoringTests.Model, "--text", "Text", "--train", train, "--transfer", transfer, "--test", test,
            "--student", "sdca:iterations=5", "--out", _temp.File("text.zip"), "--report", _temp.File("text.json"));

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(_temp.File("text.json"))).RootElement;
        Assert.Equal(20, json.GetProperty("trainRows").GetInt64());
        Assert.Equal(15, json.GetProperty("transferRows").GetInt64());
        Assert.Equal(15, json.GetProperty("testRows").GetInt64());
        Assert.InRange(json.GetProperty("student").GetProperty("agreement").GetDouble(), 0.0, 1.0);
    }

    [Fact]
    public void Compare_TextFilesWithDifferentUnusedColumns_RanksTheStudent()
    {
        var (train, transfer, test) = EmailFiles();
        string folder = _temp.File("compare");

        var (code, _, error) = CliRunner.Run("compare", "--teacher", TextTeacherScoringTests.Model, "--text", "Text", "--train", train, "--transfer", transfer, "--test", test,
            "--students", "sdca:iterations=5", "--out", folder);

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "leaderboard.json"))).RootElement;
        Assert.Equal(15, json.GetProperty("transferRows").GetInt64());
        Assert.Equal(1, json.GetProperty("students").GetArrayLength());
    }

    [Fact]
    public void Distill_NumericTrainWithIdAndTextColumns_IgnoreColumnsIdMatchesThePlainFiles()
    {
        string plainTrain = TestPaths.Fixture("digits_train.csv");
        string plainTest = TestPaths.Fixture("digits_test.csv");
        string train = WithColumns(plainTrain, "train-id.csv", ("Id", i => i.ToString(CultureInfo.InvariantCulture)), ("Source", _ => "uci"));
        string test = WithColumns(plainTest, "test-note.csv", ("Note", i => $"scan {i}"));

        var plain = Distill(plainTrain, plainTest, "plain");
        var (failed, _, error) = Run(train, test, "no-ignore");
        var ignored = Distill(train, test, "ignored", "--ignore-columns", "Id");

        Assert.NotEqual(0, failed);
        Assert.Contains("only in the training data: 'Id'", error, StringComparison.Ordinal);
        Assert.Contains("(CLI: --ignore-columns Id)", error, StringComparison.Ordinal);
        Assert.Equal(Figures(plain), Figures(ignored));
        Assert.InRange(ignored.GetProperty("student").GetProperty("accuracy").GetDouble(), 0.8, 1.0);
    }

    [Fact]
    public void Distill_IdInTestFileOnly_IgnoreColumnsReadsTheTrainingFileWithoutIt()
    {
        string plainTrain = TestPaths.Fixture("digits_train.csv");
        string test = WithColumns(TestPaths.Fixture("digits_test.csv"), "test-id.csv", ("Id", i => (1000 + i).ToString(CultureInfo.InvariantCulture)));

        var plain = Distill(plainTrain, TestPaths.Fixture("digits_test.csv"), "plain");
        var ignored = Distill(plainTrain, test, "ignored", "--ignore-columns", "Id");

        Assert.Equal(Figures(plain), Figures(ignored));
    }

    [Fact]
    public void Distill_SoftLabelsAndTestWithExtraId_ErrorNamesTheColumnBeforeTraining()
    {
        string train = TestPaths.Fixture("digits_train.csv");
        string cache = _temp.File("train.parquet");
        string test = WithColumns(TestPaths.Fixture("digits_test.csv"), "test-id.csv", ("Id", i => i.ToString(CultureInfo.InvariantCulture)));
        var (scored, _, scoreError) = CliRunner.Run("score", "--teacher", DigitsTeacher, "--data", train, "--out", cache);
        Assert.True(scored == 0, scoreError);

        var (code, _, error) = CliRunner.Run("distill", "--soft-labels", cache, "--train", train, "--test", test, "--student", "sdca",
            "--out", _temp.File("s.zip"), "--report", _temp.File("s.json"));
        var (ignoredCode, _, ignoredError) = CliRunner.Run("distill", "--soft-labels", cache, "--train", train, "--test", test, "--student", "sdca",
            "--ignore-columns", "Id", "--out", _temp.File("i.zip"), "--report", _temp.File("i.json"));

        Assert.Equal(2, code);
        Assert.Contains("--test: The test data has 65 features but the training data has 64", error, StringComparison.Ordinal);
        Assert.Contains("Only in the test data: 'Id'", error, StringComparison.Ordinal);
        Assert.Contains("(CLI: --ignore-columns Id)", error, StringComparison.Ordinal);
        Assert.DoesNotContain("to train)", error, StringComparison.Ordinal); // found before any student is trained
        Assert.True(ignoredCode == 0, ignoredError);
    }

    [Fact]
    public void Score_CsvWithIdColumn_IgnoreColumnsScoresLikeThePlainFile()
    {
        string plainTest = TestPaths.Fixture("digits_test.csv");
        string withId = WithColumns(plainTest, "test-id.csv", ("Id", i => i.ToString(CultureInfo.InvariantCulture)));

        var (plainCode, plainOut, plainError) = CliRunner.Run("score", "--teacher", DigitsTeacher, "--data", plainTest, "--out", _temp.File("plain.parquet"), "--json");
        var (code, stdout, error) = CliRunner.Run("score", "--teacher", DigitsTeacher, "--data", withId, "--ignore-columns", "Id", "--out", _temp.File("id.parquet"), "--json");

        Assert.True(plainCode == 0, plainError);
        Assert.True(code == 0, error);
        var plain = JsonDocument.Parse(plainOut).RootElement;
        var ignored = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(719, ignored.GetProperty("rows").GetInt64());
        Assert.Equal(plain.GetProperty("teacherAccuracy").GetDouble(), ignored.GetProperty("teacherAccuracy").GetDouble());
        Assert.Equal(Logits(_temp.File("plain.parquet")), Logits(_temp.File("id.parquet")));
    }

    [Fact]
    public void Score_IgnoredColumnNotInFile_ErrorNamesTheFlagAndListsTheColumns()
    {
        var (code, _, error) = CliRunner.Run("score", "--teacher", DigitsTeacher, "--data", TestPaths.Fixture("digits_test.csv"), "--ignore-columns", "Id",
            "--out", _temp.File("x.parquet"));

        Assert.Equal(2, code);
        Assert.Contains("error: --ignore-columns: Ignored column 'Id' is not in", error, StringComparison.Ordinal);
        Assert.Contains("pixel_0_0, pixel_0_1", error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.File("x.parquet")));
    }

    [Fact]
    public void Distill_IgnoringTheLabel_FailsNamingIt()
    {
        var (code, _, error) = CliRunner.Run("distill", "--teacher", DigitsTeacher, "--train", TestPaths.Fixture("digits_train.csv"), "--label", "label",
            "--ignore-columns", "label", "--student", "sdca", "--out", _temp.File("l.zip"), "--report", _temp.File("l.json"));

        Assert.Equal(2, code);
        Assert.Contains("--ignore-columns: Column 'label' is the label column", error, StringComparison.Ordinal);
    }

    private (int Code, string Out, string Error) Run(string train, string test, string name, params string[] extra) =>
        CliRunner.Run([
            "distill", "--teacher", DigitsTeacher, "--train", train, "--test", test, "--label", "label", "--student", "lightgbm:trees=10",
            "--seed", "3", "--out", _temp.File(name + ".zip"), "--report", _temp.File(name + ".json"), .. extra]);

    private JsonElement Distill(string train, string test, string name, params string[] extra)
    {
        var (code, _, error) = Run(train, test, name, extra);
        Assert.True(code == 0, error);
        return JsonDocument.Parse(File.ReadAllText(_temp.File(name + ".json"))).RootElement;
    }

    private static float[][] Logits(string cache) =>
        [.. TeacherCache.Read(cache).GetColumn<float[]>(DataColumnNames.TeacherLogits)];

    private static string Figures(JsonElement report)
    {
        var s = report.GetProperty("student");
        return string.Join(" ", new[] { "accuracy", "macroF1", "logLoss", "agreement", "klToTeacher", "modelBytes" }.Select(f => s.GetProperty(f).GetRawText()))
            + " " + report.GetProperty("teacher").GetProperty("accuracy").GetRawText();
    }

    /// <summary>A copy of a numeric CSV fixture with extra columns in front, each cell made from the row number.</summary>
    private string WithColumns(string source, string name, params (string Name, Func<int, string> Cell)[] columns)
    {
        var text = new StringBuilder();
        int row = -1;
        foreach (string line in File.ReadLines(source))
        {
            text.Append(string.Join(',', columns.Select(c => row < 0 ? c.Name : c.Cell(row)))).Append(',').Append(line).Append('\n');
            row++;
        }

        return _temp.Write(name, text.ToString());
    }

    /// <summary>
    /// The fixture's 50 emails as three files: train (rows 0-19: Id, Text, Label, Group), transfer (rows 20-34: Text only)
    /// and test (rows 35-49: Id, Text, Label, without Group).
    /// </summary>
    private (string Train, string Transfer, string Test) EmailFiles()
    {
        IDataView emails = DataSourceReader.LoadText(TextTeacherScoringTests.Emails, "Text");
        List<string> ids = CsvTextReaderTests.Texts(emails, "Id");
        List<string> texts = CsvTextReaderTests.Texts(emails, "Text");
        List<string> groups = CsvTextReaderTests.Texts(emails, "Group");
        List<float> labels = ViewRows.Singles(emails, "Label");
        string Quote(string cell) => "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        string Label(int i) => labels[i].ToString(CultureInfo.InvariantCulture);
        string File(string name, string header, IEnumerable<int> rows, Func<int, string> line) =>
            _temp.Write(name, header + "\n" + string.Concat(rows.Select(i => line(i) + "\n")));

        return (
            File("train.csv", "Id,Text,Label,Group", Enumerable.Range(0, 20), i => $"{ids[i]},{Quote(texts[i])},{Label(i)},{groups[i]}"),
            File("transfer.csv", "Text", Enumerable.Range(20, 15), i => Quote(texts[i])),
            File("test.csv", "Id,Text,Label", Enumerable.Range(35, 15), i => $"{ids[i]},{Quote(texts[i])},{Label(i)}"));
    }
}
