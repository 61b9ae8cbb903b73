using System.Text.Json;
using MLNetDistill.Data;
using MLNetDistill.Tests.Teachers;
using F = MLNetDistill.Tests.Text.TeacherTokenizerBpeFixture;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Tests.Cli;

/// <summary><c>mlnet-distill score --text --tokenizer</c> with a byte-level BPE tokenizer.json and a .tiktoken file.</summary>
[Collection("Console")]
public sealed class ScoreBpeTokenizerCommandTests
{
    [Theory]
    [InlineData("bpe")]
    [InlineData("tiktoken")]
    public void Score_TextWithBpeOrTiktokenTokenizer_CacheHoldsOrtProbabilitiesOfTheJsIds(string kind)
    {
        F golden = F.Load();
        string tokenizer = kind == "bpe" ? F.TokenizerJson : F.TiktokenRanks;
        int[][] full = kind == "bpe" ? golden.Ids : golden.Tiktoken;
        int[][] ids = kind == "bpe"
            ? [.. full.Select(r => F.CutKeepingEnd(r, 64))]
            : [.. full.Select(r => r.Length > 64 ? r[..64] : r)];
        float[][] logits = TeacherTokenizerBpeScoringTests.OrtLogits(ids);
        string output = TestPaths.TempFile(".parquet");

        var (code, stdout, error) = CliRunner.Run("score", "--teacher", F.Model, "--data", TextTeacherScoringTests.Emails,
            "--text", "Text", "--tokenizer", tokenizer, "--max-tokens", "64", "--out", output, "--json");

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(50, json.GetProperty("rows").GetInt64());
        Assert.Equal(full.Count(r => r.Length > 64), json.GetProperty("truncatedTexts").GetInt64());
        float[][] actual = [.. Microsoft.ML.Data.ColumnCursorExtensions.GetColumn<float[]>(TeacherCache.Read(output), DataColumnNames.TeacherLogits)];
        Assert.Equal(logits.Length, actual.Length);
        for (int i = 0; i < logits.Length; i++)
        {
            Assert.Equal(logits[i], actual[i], new FloatComparer(2e-5));
        }
    }
}
