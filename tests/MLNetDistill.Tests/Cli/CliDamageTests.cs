using MLNetDistill.Tests.Fuzz;
using MLNetDistill.Cache;

namespace MLNetDistill.Tests.Cli;

/// <summary>Regression tests for CLI argument arrays the fuzzer found crashing (tests/MLNetDistill.Tests/Fuzz).</summary>
[Collection("Console")]
public sealed class CliDamageTests(FuzzCorpusFixture fixture) : IClassFixture<FuzzCorpusFixture>
{
    [Fact]
    public void Score_BatchSizeTooLargeForOneBuffer_PrintsOneErrorLineNamingTheFlag()
    {
        // Fuzz cli case 187 (seed 20261201): `--batch-size 1000000000` with the 30-feature teacher printed
        // "Unhandled exception: System.OverflowException" and a stack trace.
        string output = Path.Combine(fixture.Corpus.Folder, "cli-batch.parquet");

        var (code, _, error) = CliRunner.Run("score", "--teacher", fixture.Corpus.BinaryTeacher, "--data", fixture.Corpus.CsvPath,
            "--label", "label", "--out", output, "--batch-size", "1000000000");

        Assert.Equal(2, code);
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("--batch-size", error);
        Assert.DoesNotContain("Exception", error);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Score_BatchSizeLargerThanTheData_Succeeds()
    {
        string output = Path.Combine(fixture.Corpus.Folder, "cli-big-batch.parquet");

        var (code, _, error) = CliRunner.Run("score", "--teacher", fixture.Corpus.BinaryTeacher, "--data", fixture.Corpus.ParquetPath,
            "--label", "label", "--out", output, "--batch-size", "10000000", "--skip-invalid");

        Assert.True(code == 0, error);
        Assert.Equal(FuzzCorpus.Rows - 4, MLNetDistill.Cache.TeacherCache.ReadMetadata(output).Rows); // rows 2, 7, 12, 17 hold a null
    }

    [Theory]
    [InlineData("--report")]
    [InlineData("--out")]
    public void Distill_OutputPathIsTheRoot_PrintsOneErrorLineNamingTheFlag(string flag)
    {
        // Fuzz cli case 882 (seed 20261201, after the output-folder check came in): `--report /` printed
        // "error: Value cannot be null." (Path.GetDirectoryName("/") is null).
        string[] args = ["distill", "--teacher", fixture.Corpus.BinaryTeacher, "--train", fixture.Corpus.ParquetPath, "--student", "sdca",
            "--out", Path.Combine(fixture.Corpus.Folder, "root-test", "s.zip"), "--report", Path.Combine(fixture.Corpus.Folder, "root-test", "r.json")];
        args[Array.IndexOf(args, flag) + 1] = "/";

        var (code, _, error) = CliRunner.Run(args);

        Assert.Equal(2, code);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.StartsWith($"error: {flag}: '/' is a folder, not a file", line);
    }
}
