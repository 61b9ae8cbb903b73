using System.Text.Json;
using MLNetDistill.Data;
using MLNetDistill.Tests.Teachers;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Tests.Cli;

/// <summary><c>mlnet-distill score --text</c> end to end on the fixture text teacher and emails.</summary>
[Collection("Console")]
public sealed class ScoreTextCommandTests
{
    [Fact]
    public void Score_TextCsvToParquet_WritesCacheWithTheTeachersProbabilitiesAndCounts()
    {
        string output = TestPaths.TempFile(".parquet");

        var (code, stdout, error) = CliRunner.Run("score", "--teacher", TextTeacherScoringTests.Model, "--data", TextTeacherScoringTests.Emails,
            "--text", "Text", "--max-tokens", "64", "--batch-size", "5", "--out", output, "--json");

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(50, json.GetProperty("rows").GetInt64());
        Assert.Equal(2, json.GetProperty("classes").GetInt32());
        Assert.Equal(2, json.GetProperty("emptyTexts").GetInt64());
        Assert.True(json.GetProperty("truncatedTexts").GetInt64() > 0);
        Assert.InRange(json.GetProperty("teacherAccuracy").GetDouble(), 0.5, 1.0);
        var metadata = TeacherCache.ReadMetadata(output);
        Assert.Equal(50, metadata.Rows);
        Assert.Equal(FileFingerprint.Sha256(TextTeacherScoringTests.Model), metadata.TeacherSha256);
        using var golden = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("golden_text_teacher.json")));
        float[][] expected = [.. golden.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("probabilities").EnumerateArray().Select(x => x.GetSingle()).ToArray())];
        float[][] actual = [.. Microsoft.ML.Data.ColumnCursorExtensions.GetColumn<float[]>(TeacherCache.Read(output), DataColumnNames.SoftLabels)];
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], new FloatComparer(2e-5));
        }
    }

    [Fact]
    public void Score_TextToCsvText_PrintsTextCountsAndCache()
    {
        string output = TestPaths.TempFile(".csv");

        var (code, stdout, error) = CliRunner.Run("score", "--teacher", TextTeacherScoringTests.Model, "--data", TextTeacherScoringTests.Emails, "--text", "Text", "--out", output);

        Assert.True(code == 0, error);
        Assert.Contains("texts: 2 empty", stdout, StringComparison.Ordinal);
        Assert.Equal(51, File.ReadAllLines(output).Length);
    }

    [Fact]
    public void Score_TextColumnMissing_OneErrorLineListingColumns()
    {
        var (code, _, error) = CliRunner.Run("score", "--teacher", TextTeacherScoringTests.Model, "--data", TextTeacherScoringTests.Emails, "--text", "Body", "--out", TestPaths.TempFile(".csv"));

        Assert.NotEqual(0, code);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains("'Body'", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void Score_MaxTokensWithoutText_ErrorSaysAddText()
    {
        var (code, _, error) = CliRunner.Run("score", "--teacher", TextTeacherScoringTests.Model, "--data", TextTeacherScoringTests.Emails, "--max-tokens", "32", "--out", TestPaths.TempFile(".csv"));

        Assert.NotEqual(0, code);
        Assert.Contains("--text", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Score_TextTeacherWithoutText_ErrorSaysUseText()
    {
        var (code, _, error) = CliRunner.Run("score", "--teacher", TextTeacherScoringTests.Model, "--data", TextTeacherScoringTests.Emails, "--out", TestPaths.TempFile(".csv"));

        Assert.NotEqual(0, code);
        Assert.Contains("--text", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Score_BadMaxTokens_ErrorNamesTheFlag()
    {
        var (code, _, error) = CliRunner.Run("score", "--teacher", TextTeacherScoringTests.Model, "--data", TextTeacherScoringTests.Emails, "--text", "Text", "--max-tokens", "1", "--out", TestPaths.TempFile(".csv"));

        Assert.NotEqual(0, code);
        Assert.Contains("--max-tokens", error, StringComparison.Ordinal);
    }
}
