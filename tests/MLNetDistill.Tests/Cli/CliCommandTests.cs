using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

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
    public void Demo_EmbeddedTeacherAndData_PrintsAccuracy()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", Guid.NewGuid().ToString("N"));
        var (code, output, error) = CliRunner.Run("demo", "--out", folder);
        Assert.True(code == 0, error);
        Assert.Contains("scored 10,000 rows once", output, StringComparison.Ordinal);
        Assert.Contains("teacher accuracy: 91", output, StringComparison.Ordinal);
        Assert.Contains("on all 10,000 rows", output, StringComparison.Ordinal);
        Assert.Contains("held-out rows", output, StringComparison.Ordinal);
        Assert.Contains("sdca distilled", output, StringComparison.Ordinal);
        Assert.Contains("mlp:128:epochs=15 hard labels", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder, "student-mlp.onnx")));
        Assert.False(File.Exists(Path.Combine(folder, "teacher-cache.parquet")));

        // One teacher pass over the 10,000 images, shared by both students and their twins.
        foreach (string report in new[] { "report-sdca.json", "report-mlp.json" })
        {
            var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, report))).RootElement;
            Assert.Equal(10_000, json.GetProperty("teacherRowsScored").GetInt64());
            Assert.Equal(10_000, json.GetProperty("trainRows").GetInt64() + json.GetProperty("testRows").GetInt64());
            Assert.True(json.GetProperty("testHeldOut").GetBoolean());
        }
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
