using System.CommandLine;
using System.Text.Json;
using MLNetDistill.Cli;
using MLNetDistill.Cli.Commands;
using MLNetDistill.Tests.Data;
using MLNetDistill.Tests.Teachers;

namespace MLNetDistill.Tests.Cli;

/// <summary>The teacher options shared by <c>score</c>, <c>distill</c>, <c>compare</c> and <c>demo</c> (issue 21, item 2).</summary>
[Collection("Console")]
public sealed class TeacherOptionsCommandTests
{
    private static readonly string[] TeacherFlags = ["--tokenizer", "--max-tokens", "--device", "--batch-size", "--skip-invalid", "--teacher-output"];

    [Fact]
    public void Create_ScoreDistillCompareDemo_ShareOneTeacherOptionBlock()
    {
        Command[] commands = [ScoreCommand.Create(), DistillCommand.Create(), CompareCommand.Create(), DemoCommand.Create()];
        Assert.Equal(TeacherFlags, new TeacherOptions().All.Select(o => o.Name));

        foreach (string flag in TeacherFlags)
        {
            var options = commands.Select(c => c.Options.SingleOrDefault(o => o.Name == flag)).ToArray();
            Assert.All(options, Assert.NotNull);
            Assert.Single(options.Select(o => o!.Description).Distinct());
            Assert.Single(options.Select(o => o!.ValueType).Distinct());
            Assert.False(string.IsNullOrWhiteSpace(options[0]!.Description));
        }

        // demo takes compare's --students.
        Assert.Equal(commands[2].Options.Single(o => o.Name == "--students").Description, commands[3].Options.Single(o => o.Name == "--students").Description);
    }

    [Theory]
    [InlineData("score")]
    [InlineData("distill")]
    [InlineData("compare")]
    [InlineData("demo")]
    public void Help_TeacherCommand_ListsEveryTeacherOption(string command)
    {
        var (code, stdout, _) = CliRunner.Run(command, "--help");

        Assert.Equal(0, code);
        Assert.All(TeacherFlags, flag => Assert.Contains(flag, stdout, StringComparison.Ordinal));
    }

    [Fact]
    public void Distill_TextTeacherWithoutVocabBeside_NeedsAndTakesTokenizer()
    {
        using var folder = new TempFolder();
        string model = folder.File("teacher.onnx");
        File.Copy(TextTeacherScoringTests.Model, model);
        string vocab = TestPaths.Fixture(Path.Combine("text_teacher", "vocab.txt"));
        string[] args = ["distill", "--teacher", model, "--train", TextTeacherScoringTests.Emails, "--text", "Text", "--student", "sdca:iterations=10,text=word1",
            "--out", folder.File("student.zip"), "--report", folder.File("report.json")];

        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains("no tokenizer beside it", error, StringComparison.Ordinal);

        (code, _, error) = CliRunner.Run([.. args, "--tokenizer", vocab]);
        Assert.True(code == 0, error);
        using var report = JsonDocument.Parse(File.ReadAllText(folder.File("report.json")));
        Assert.InRange(report.RootElement.GetProperty("teacher").GetProperty("accuracy").GetDouble(), 0.9, 1.0);
    }

    [Theory]
    [InlineData("--batch-size", "0", "--batch-size")]
    [InlineData("--max-tokens", "1", "--max-tokens")]
    [InlineData("--teacher-output", "nope", "--teacher-output")]
    public void Distill_BadTeacherOption_ReachesTheScorerAndNamesTheFlag(string flag, string value, string named)
    {
        using var folder = new TempFolder();
        var (code, _, error) = CliRunner.Run("distill", "--teacher", TextTeacherScoringTests.Model, "--train", TextTeacherScoringTests.Emails, "--text", "Text",
            "--student", "sdca:iterations=10,text=word1", flag, value, "--out", folder.File("student.zip"), "--report", folder.File("report.json"));

        Assert.Equal(2, code);
        Assert.StartsWith("error: " + named, error.Trim().Split('\n')[^1], StringComparison.Ordinal);
        Assert.False(File.Exists(folder.File("report.json")));
    }

    [Fact]
    public void Distill_TokenizerWithoutText_ErrorsNamingText()
    {
        using var folder = new TempFolder();
        var (code, _, error) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"), "--label", "label",
            "--student", "sdca", "--tokenizer", "vocab.txt", "--out", folder.File("student.zip"), "--report", folder.File("report.json"));

        Assert.Equal(2, code);
        Assert.Contains("--text", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Distill_CudaOnCpuBuild_ErrorsAndAutoFallsBackWithWarning()
    {
        using var folder = new TempFolder();
        string[] args = ["distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"), "--label", "label",
            "--student", "sdca", "--out", folder.File("student.zip"), "--report", folder.File("report.json")];

        var (code, _, error) = CliRunner.Run([.. args, "--device", "cuda"]);
        Assert.Equal(2, code);
        Assert.Contains("CUDA device 0", error, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.File("report.json")));

        (code, var stdout, error) = CliRunner.Run([.. args, "--device", "auto"]);
        Assert.True(code == 0, error);
        Assert.Contains("warning: ", error, StringComparison.Ordinal);
        Assert.Contains("CUDA device 0", error, StringComparison.Ordinal);
        Assert.Contains("teacher  accuracy", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_CudaOnCpuBuild_ErrorsNamingTheDevice()
    {
        using var folder = new TempFolder();
        var (code, _, error) = CliRunner.Run("compare", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"), "--label", "label",
            "--students", "sdca", "--device", "cuda:0", "--out", folder.File("out"));

        Assert.Equal(2, code);
        Assert.Contains("CUDA device 0", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_UnknownStudentSpec_ErrorsBeforeScoring()
    {
        using var folder = new TempFolder();
        var (code, stdout, error) = CliRunner.Run("demo", "--students", "sdca;bogus:1", "--out", folder.File("demo"));

        Assert.Equal(2, code);
        Assert.Contains("bogus", error, StringComparison.Ordinal);
        Assert.DoesNotContain("scored", stdout, StringComparison.Ordinal);
    }
}
