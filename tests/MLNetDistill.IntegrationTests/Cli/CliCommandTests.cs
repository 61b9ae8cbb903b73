using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;
using TeacherCacheWriter = MLNetDistill.Cache.TeacherCacheWriter;

namespace MLNetDistill.Tests.Cli;

[Collection("Console")]
public sealed class CliCommandTests
{
    [Fact]
    public void Inspect_Json_ListsInputsOutputsAndIntermediates()
    {
        var (code, output, _) = CliRunner.Run("inspect", TestPaths.Fixture("mlp_two_outputs.onnx"), "--json");
        Assert.Equal(0, code);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal("pixels", json.GetProperty("inputs")[0].GetProperty("name").GetString());
        Assert.Equal(2, json.GetProperty("outputs").GetArrayLength());
        Assert.True(json.GetProperty("parameters").GetInt64() > 50_000);
        Assert.True(json.GetProperty("opset").GetInt64() >= 13);
        Assert.True(json.GetProperty("intermediateOutputs").GetArrayLength() > 0);
    }

    [Fact]
    public void Inspect_NotOnnx_ExitsNonZeroWithOneLine()
    {
        var (code, _, error) = CliRunner.Run("inspect", TestPaths.Fixture("not_onnx.onnx"));
        Assert.NotEqual(0, code);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Score_CsvToCsv_WritesCacheSidecarAndJsonSummary()
    {
        string output = TestPaths.TempFile(".csv");
        var (code, stdout, error) = CliRunner.Run("score", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--data", TestPaths.Fixture("breast_cancer.csv"),
            "--label", "label", "--temperature", "2", "--batch-size", "37", "--out", output, "--json");
        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(569, json.GetProperty("rows").GetInt64());
        Assert.Equal(2, json.GetProperty("classes").GetInt32());
        Assert.Equal(2f, json.GetProperty("temperature").GetSingle());
        Assert.Equal("cpu", json.GetProperty("device").GetString());
        Assert.InRange(json.GetProperty("teacherAccuracy").GetDouble(), 0.9, 1.0);
        Assert.True(json.GetProperty("rowsPerSecond").GetDouble() > 0);
        string[] lines = File.ReadAllLines(output);
        Assert.Equal("Label,logit_0,logit_1,soft_0,soft_1,teacher_pred", lines[0]);
        Assert.Equal(570, lines.Length);
        var metadata = TeacherCache.ReadMetadata(output);
        Assert.Equal(569, metadata.Rows);
        Assert.Equal(FileFingerprint.Sha256(TestPaths.Fixture("binary_teacher.onnx")), metadata.TeacherSha256);
    }

    [Fact]
    public void Score_CsvWithFirstColumnLabel_NoLabelFlag_ScoresAndReportsTeacherAccuracy()
    {
        string data = TestPaths.TempFile(".csv");
        float[] labels = Tests.Data.FashionCsv.Write(data, 200, "Label");
        string output = TestPaths.TempFile(".parquet");

        var (code, stdout, error) = CliRunner.Run("score", "--teacher", TestPaths.FashionTeacher, "--data", data, "--out", output, "--json");

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(200, json.GetProperty("rows").GetInt64());
        Assert.Equal(10, json.GetProperty("classes").GetInt32());
        var cache = TeacherCache.Read(output);
        Assert.Equal(labels, cache.GetColumn<float>("Label"));
        uint[] predicted = [.. cache.GetColumn<uint>("TeacherPredictedLabel")];
        double expected = predicted.Where((p, i) => p - 1 == labels[i]).Count() / 200.0;
        Assert.Equal(expected, json.GetProperty("teacherAccuracy").GetDouble(), 12);
        Assert.InRange(expected, 0.8, 1.0);
    }

    [Fact]
    public void Score_CsvWithLabelColumnNamedClass_NoLabelFlag_ErrorNamesTheColumnAndTheFlag()
    {
        string data = TestPaths.TempFile(".csv");
        Tests.Data.FashionCsv.Write(data, 3, "Class");
        string output = TestPaths.TempFile(".csv");

        var (code, _, error) = CliRunner.Run("score", "--teacher", TestPaths.FashionTeacher, "--data", data, "--out", output, "--json");

        Assert.Equal(2, code);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.StartsWith("error: Column 'Features' has 785 values per row", error, StringComparison.Ordinal);
        Assert.Contains("Column 'Class' of the data looks like a label read as a feature: pass its name as the label column. (CLI: --label Class)", error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Score_CsvWithLabelColumnNamedClass_LabelFlag_Scores()
    {
        string data = TestPaths.TempFile(".csv");
        Tests.Data.FashionCsv.Write(data, 3, "Class");
        string output = TestPaths.TempFile(".csv");

        var (code, stdout, error) = CliRunner.Run("score", "--teacher", TestPaths.FashionTeacher, "--data", data, "--label", "Class", "--out", output, "--json");

        Assert.True(code == 0, error);
        Assert.Equal(3, JsonDocument.Parse(stdout).RootElement.GetProperty("rows").GetInt64());
        Assert.StartsWith("Label,logit_0,", File.ReadAllLines(output)[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Score_LabelFlagNotInFile_ErrorNamesColumnFileAndColumns()
    {
        string data = TestPaths.TempFile(".csv");
        Tests.Data.FashionCsv.Write(data, 2, null);

        var (code, _, error) = CliRunner.Run("score", "--teacher", TestPaths.FashionTeacher, "--data", data, "--label", "Label", "--out", TestPaths.TempFile(".csv"), "--json");

        Assert.Equal(2, code);
        Assert.Contains($"Label column 'Label' is not in '{data}'. Its columns are: pixel0, pixel1, pixel2, pixel3, pixel4, pixel5, pixel6, pixel7, pixel8, pixel9, ... and 774 more.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Score_ThreeShards_ReadBackAsOneDataSetInOriginalOrder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string full = Path.Combine(folder, "..", Guid.NewGuid().ToString("N") + ".parquet");
        Assert.Equal(0, CliRunner.Run("score", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--data", TestPaths.Fixture("breast_cancer.csv"), "--label", "label", "--out", full).ExitCode);
        for (int i = 0; i < 3; i++)
        {
            var (code, _, error) = CliRunner.Run("score", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--data", TestPaths.Fixture("breast_cancer.csv"),
                "--label", "label", "--shard", $"{i}/3", "--out", Path.Combine(folder, $"part-{i}.parquet"));
            Assert.True(code == 0, error);
        }

        var expected = TeacherCache.Read(full).GetColumn<float[]>("SoftLabels").ToArray();
        var merged = TeacherCache.Read(folder).GetColumn<float[]>("SoftLabels").ToArray();
        Assert.Equal(expected.Length, merged.Length);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r], merged[r]);
        }
    }

    [Fact]
    public void Score_ShardAutoFromSlurm_UsesArrayTask()
    {
        Environment.SetEnvironmentVariable("SLURM_ARRAY_TASK_ID", "1");
        Environment.SetEnvironmentVariable("SLURM_ARRAY_TASK_COUNT", "4");
        try
        {
            string output = TestPaths.TempFile(".parquet");
            var (code, stdout, error) = CliRunner.Run("score", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--data", TestPaths.Fixture("breast_cancer.csv"),
                "--label", "label", "--shard", "auto", "--out", output, "--json");
            Assert.True(code == 0, error);
            var json = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal("1/4", json.GetProperty("shard").GetString());
            Assert.Equal(142, json.GetProperty("rows").GetInt64());
        }
        finally
        {
            Environment.SetEnvironmentVariable("SLURM_ARRAY_TASK_ID", null);
            Environment.SetEnvironmentVariable("SLURM_ARRAY_TASK_COUNT", null);
        }
    }

    [Theory]
    [InlineData("--temperature", "0", "Temperature")]
    [InlineData("--temperature", "NaN", "Temperature")]
    [InlineData("--batch-size", "0", "BatchSize")]
    [InlineData("--device", "tpu", "--device")]
    [InlineData("--shard", "3/3", "3/3")]
    public void Score_BadOption_ExitsNonZeroNamingIt(string option, string value, string named)
    {
        var (code, _, error) = CliRunner.Run("score", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--data", TestPaths.Fixture("breast_cancer.csv"),
            "--label", "label", option, value, "--out", TestPaths.TempFile(".csv"));
        Assert.NotEqual(0, code);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Score_CudaOnCpuBuild_ErrorsAndAutoFallsBackWithWarning()
    {
        string output = TestPaths.TempFile(".csv");
        var (code, _, error) = CliRunner.Run("score", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--data", TestPaths.Fixture("breast_cancer.csv"), "--label", "label", "--device", "cuda:0", "--out", output);
        Assert.NotEqual(0, code);
        Assert.Contains("CUDA device 0", error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        (code, var stdout, error) = CliRunner.Run("score", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--data", TestPaths.Fixture("breast_cancer.csv"), "--label", "label", "--device", "auto", "--out", output, "--json");
        Assert.Equal(0, code);
        Assert.Contains("warning: ", error, StringComparison.Ordinal);
        Assert.Equal("cpu", JsonDocument.Parse(stdout).RootElement.GetProperty("device").GetString());
    }

    [Fact]
    public void Demo_EmbeddedTeacherAndData_ComparesTheDefaultGridAndWritesTheReportToDistillDemo()
    {
        // No --out: the report goes to ./distill-demo under the current folder.
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string previous = Directory.GetCurrentDirectory();
        (int code, string output, string error) run;
        Directory.SetCurrentDirectory(folder);
        try
        {
            run = CliRunner.Run("demo");
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }

        var (code, output, error) = run;
        Assert.True(code == 0, error);
        string demo = Path.Combine(folder, "distill-demo");
        Assert.Contains("scored 10,000 rows once", output, StringComparison.Ordinal);
        Assert.Contains("teacher accuracy: 91", output, StringComparison.Ordinal);
        Assert.Contains("on all 10,000 rows", output, StringComparison.Ordinal);
        Assert.Contains("held-out rows", output, StringComparison.Ordinal);
        // Redirected, the trials are plain lines on stderr, and the leaderboard has every default student and the pick.
        Assert.Contains("trial 1/5: sdca", error, StringComparison.Ordinal);
        Assert.Contains("1,964 test rows scored by the teacher", error, StringComparison.Ordinal);
        string[] lines = output.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("student ", StringComparison.Ordinal) && l.Contains("pareto/chosen", StringComparison.Ordinal));
        foreach (string student in MLNetDistill.Experiments.StudentSizeExperiment.DefaultStudents)
        {
            Assert.Single(lines, l => l.StartsWith(student + " ", StringComparison.Ordinal));
        }

        Assert.Single(lines, l => l.Contains("<- chosen", StringComparison.Ordinal));
        Assert.Contains("pick: ", output, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(demo, "tradeoff.png"), output, StringComparison.Ordinal);
        foreach (string file in new[] { "leaderboard.json", "report.md", "tradeoff.png", "sdca.zip", "lightgbm_trees=30.zip", "mlp_128.zip", "mlp_128.onnx" })
        {
            Assert.True(File.Exists(Path.Combine(demo, file)), file);
        }

        // One teacher pass over the 10,000 images, shared by every student; the pick is within the demo's 10 %.
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(demo, "leaderboard.json"))).RootElement;
        Assert.Equal(5, json.GetProperty("students").GetArrayLength());
        Assert.Equal(0.10, json.GetProperty("accuracyTolerance").GetDouble(), 12);
        string chosen = json.GetProperty("chosen").GetString()!;
        Assert.Contains(lines, l => l.StartsWith(chosen + " ", StringComparison.Ordinal) && l.Contains("<- chosen", StringComparison.Ordinal));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Score_Cancelled_LeavesNoFile()
    {
        string output = TestPaths.TempFile(".parquet");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher };
        Assert.ThrowsAny<OperationCanceledException>(() => TeacherCacheWriter.Score(new MLContext(1), options, TestPaths.FashionImages, null, null, output, null, cts.Token));
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, "*" + Path.GetFileName(output) + "*.tmp"));
    }
}
