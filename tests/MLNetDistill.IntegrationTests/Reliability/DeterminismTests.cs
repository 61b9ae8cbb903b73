using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Tests.Cli;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Reliability;

/// <summary>
/// The determinism contract: every training command takes <c>--seed</c>, and the same inputs and seed give byte-identical
/// STUDENT.zip and STUDENT.onnx files and the same REPORT.json apart from its timing fields (<c>trainSeconds</c>), in one
/// process and across processes; the hard-label twin does not depend on transfer rows.
/// </summary>
[Collection("Console")]
public sealed class DeterminismTests : IDisposable
{
    /// <summary>The report fields that hold wall-clock times, the only ones allowed to differ between runs.</summary>
    private static readonly string[] TimingFields = ["trainSeconds"];

    /// <summary>The fields of leaderboard.json that hold wall-clock times or rates (with the size cost axis nothing else depends on them).</summary>
    private static readonly string[] LeaderboardTimingFields =
    [
        "trainSeconds", "seconds", "costSeconds", "latencyP50Microseconds", "latencyP99Microseconds", "throughputRowsPerSecond",
        "onnxLatencyP50Microseconds", "onnxLatencyP99Microseconds", "onnxThroughputRowsPerSecond", "latencySpeedUp",
    ];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("sdca")]
    [InlineData("lbfgs")]
    [InlineData("lightgbm:trees=20")]
    [InlineData("fasttree:trees=10")]
    [InlineData("logits:fasttree:trees=10")]
    [InlineData("mlp:16:epochs=5")]
    public void Distill_SameSeedTwiceInOneProcess_ByteIdenticalZipOnnxAndReport(string spec)
    {
        var first = DistillInProcess("a", spec, seed: 7);
        var second = DistillInProcess("b", spec, seed: 7);

        Assert.Equal(File.ReadAllBytes(first.Zip), File.ReadAllBytes(second.Zip));
        Assert.True(File.Exists(first.Onnx), $"{spec} wrote no .onnx");
        Assert.Equal(File.ReadAllBytes(first.Onnx), File.ReadAllBytes(second.Onnx));
        Assert.Equal(WithoutTimings(first.Report), WithoutTimings(second.Report));
        AssertFixedEntryTimes(first.Zip);
    }

    [Theory]
    [InlineData("sdca")]
    [InlineData("lightgbm:trees=20")]
    [InlineData("mlp:16:epochs=5")]
    public void Distill_SameSeedInTwoProcesses_ByteIdenticalZipOnnxAndReport(string spec)
    {
        var first = DistillInChildProcess("p1", spec, seed: 7);
        var second = DistillInChildProcess("p2", spec, seed: 7);

        Assert.Equal(File.ReadAllBytes(first.Zip), File.ReadAllBytes(second.Zip));
        Assert.Equal(File.ReadAllBytes(first.Onnx), File.ReadAllBytes(second.Onnx));
        Assert.Equal(WithoutTimings(first.Report), WithoutTimings(second.Report));
        // And the same as in this process: nothing depends on the process.
        var here = DistillInProcess("here", spec, seed: 7);
        Assert.Equal(File.ReadAllBytes(here.Zip), File.ReadAllBytes(first.Zip));
        Assert.Equal(WithoutTimings(here.Report), WithoutTimings(first.Report));
    }

    [Theory]
    [InlineData("sdca")]
    [InlineData("lightgbm:trees=20")]
    [InlineData("fasttree:trees=10")]
    [InlineData("mlp:16:epochs=5")]
    public void Distill_DifferentSeed_DifferentModel(string spec)
    {
        // The test rows are given, so the seed reaches the trainer alone (not a held-out split).
        var seven = DistillInProcess("s7", spec, seed: 7);
        var eight = DistillInProcess("s8", spec, seed: 8);

        Assert.NotEqual(File.ReadAllBytes(seven.Zip), File.ReadAllBytes(eight.Zip));
        Assert.Equal(7, JsonNode.Parse(File.ReadAllText(seven.Report))!["seed"]!.GetValue<int>());
        Assert.Equal(8, JsonNode.Parse(File.ReadAllText(eight.Report))!["seed"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("sdca")]
    [InlineData("lbfgs")]
    [InlineData("lightgbm:trees=20")]
    [InlineData("fasttree:trees=10")]
    [InlineData("logits:fasttree:trees=10")]
    [InlineData("mlp:16:epochs=5")]
    public void Run_BaselineWithAndWithoutTransfer_TwinByteIdenticalAndSameMetrics(string spec)
    {
        // 200 labeled rows (20% held out, seeded) and 369 unlabeled transfer rows for the teacher to label.
        var ml = new MLContext(seed: 5);
        IDataView all = DataSourceReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label");
        IDataView train = ml.Data.TakeRows(all, 200);
        IDataView transfer = ml.Transforms.DropColumns(DataColumnNames.Label).Fit(all).Transform(ml.Data.SkipRows(all, 200));
        var options = new DistillationExperimentOptions { TeacherModelFile = TestPaths.Fixture("binary_teacher.onnx"), Baseline = true, Seed = 5 };
        options.Students.Add(DistillationStudent.FromSpec(spec));

        using var without = new DistillationExperiment(ml, options).Run(train);
        using var with = new DistillationExperiment(ml, options).Run(train, transfer: transfer);

        Assert.Equal(0, without.TransferRows);
        Assert.Equal(369, with.TransferRows);
        var twin = without.Students[0].Baseline!;
        var twinWithTransfer = with.Students[0].Baseline!;
        Assert.Equal(ModelArchive.ToBytes(ml.Model, twin.Model, without.InputSchema), ModelArchive.ToBytes(ml.Model, twinWithTransfer.Model, with.InputSchema));
        Assert.Equal(twin.Metrics, twinWithTransfer.Metrics);
        Assert.Equal(twin.ModelBytes, twinWithTransfer.ModelBytes);
        // The transfer rows did reach the distilled student, so the comparison is not between two identical runs.
        Assert.NotEqual(ModelArchive.ToBytes(ml.Model, without.Students[0].Distilled.Model, without.InputSchema),
            ModelArchive.ToBytes(ml.Model, with.Students[0].Distilled.Model, with.InputSchema));
    }

    [Fact]
    public void Compare_SameSeedTwice_ByteIdenticalModelFilesAndLeaderboardApartFromTimings()
    {
        string[] folders = [_temp.File("c1"), _temp.File("c2")];
        foreach (string folder in folders)
        {
            var (code, _, error) = CliRunner.Run("compare", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"),
                "--label", "label", "--students", "sdca;lightgbm:trees=10;logits:fasttree:trees=5;mlp:8:epochs=3", "--seed", "7", "--out", folder);
            Assert.True(code == 0, error);
        }

        string[] models = [.. Directory.GetFiles(folders[0]).Select(Path.GetFileName).Where(f => f!.EndsWith(".zip", StringComparison.Ordinal) || f.EndsWith(".onnx", StringComparison.Ordinal)).Order(StringComparer.Ordinal)!];
        Assert.Equal(8, models.Length); // four students, each as .zip and .onnx
        foreach (string model in models)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(folders[0], model)), File.ReadAllBytes(Path.Combine(folders[1], model)));
        }

        Assert.Equal(File.ReadAllBytes(Path.Combine(folders[0], "tradeoff.png")), File.ReadAllBytes(Path.Combine(folders[1], "tradeoff.png")));
        string first = WithoutTimings(Path.Combine(folders[0], "leaderboard.json"), LeaderboardTimingFields);
        Assert.Equal(first, WithoutTimings(Path.Combine(folders[1], "leaderboard.json"), LeaderboardTimingFields));
        Assert.DoesNotContain("latencyP50Microseconds", first, StringComparison.Ordinal); // the timing fields were there, and are gone
    }

    [Theory]
    [InlineData("distill")]
    [InlineData("compare")]
    [InlineData("demo")]
    public void Command_ThatTrains_TakesSeed(string command)
    {
        var (code, output, error) = CliRunner.Run(command, "--help");

        Assert.True(code == 0, error);
        Assert.Contains("--seed", output, StringComparison.Ordinal);
    }

    private (string Zip, string Onnx, string Report) DistillInProcess(string name, string spec, int seed)
    {
        var (zip, onnx, report) = Outputs(name);
        var (code, _, error) = CliRunner.Run(Arguments(spec, seed, zip, report));
        Assert.True(code == 0, error);
        return (zip, onnx, report);
    }

    private (string Zip, string Onnx, string Report) DistillInChildProcess(string name, string spec, int seed)
    {
        var (zip, onnx, report) = Outputs(name);
        string cli = Path.Combine(AppContext.BaseDirectory, "mlnet-distill.dll");
        Assert.True(File.Exists(cli), $"The built CLI is not beside the tests: {cli}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(cli);
        foreach (string argument in Arguments(spec, seed, zip, report))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "the CLI did not finish in 2 minutes");
        Assert.True(process.ExitCode == 0, error + output.Result);
        return (zip, onnx, report);
    }

    private (string Zip, string Onnx, string Report) Outputs(string name)
    {
        string folder = Directory.CreateDirectory(_temp.File(name)).FullName;
        return (Path.Combine(folder, "STUDENT.zip"), Path.Combine(folder, "STUDENT.onnx"), Path.Combine(folder, "REPORT.json"));
    }

    private static string[] Arguments(string spec, int seed, string zip, string report) =>
    [
        "distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"), "--label", "label",
        "--test", TestPaths.Fixture("breast_cancer.csv"), "--student", spec, "--baseline", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--out", zip, "--report", report,
    ];

    /// <summary>The report with every timing field removed, at any depth.</summary>
    private static string WithoutTimings(string reportPath, string[]? fields = null)
    {
        var node = JsonNode.Parse(File.ReadAllText(reportPath))!;
        Strip(node, fields ?? TimingFields);
        return node.ToJsonString();
    }

    private static void Strip(JsonNode? node, string[] fields)
    {
        if (node is JsonObject obj)
        {
            foreach (string field in fields)
            {
                obj.Remove(field);
            }

            foreach (var child in obj)
            {
                Strip(child.Value, fields);
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array)
            {
                Strip(child, fields);
            }
        }
    }

    private static void AssertFixedEntryTimes(string zipPath)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        Assert.NotEmpty(zip.Entries);
        Assert.All(zip.Entries, e => Assert.Equal(ModelArchive.EntryTime.DateTime, e.LastWriteTime.DateTime));
    }
}
