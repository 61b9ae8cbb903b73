using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;
using MLNetDistill.Tests.Data;
using Xunit.Abstractions;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;
using TeacherCacheWriter = MLNetDistill.Cache.TeacherCacheWriter;

namespace MLNetDistill.Tests.Cli;

/// <summary>
/// The CLI stopped for real: SIGINT (Ctrl+C) and SIGKILL sent to a child <c>mlnet-distill</c> at chosen points of
/// <c>score</c>, <c>distill</c> and <c>compare</c> over the embedded Fashion-MNIST images and CNN teacher. A signal must end the
/// command within about a second with exit code 130 and one <c>cancelled:</c> line; neither may leave a partial file under
/// an output's name, a previous output must keep its bytes, and a rerun in the same folder must succeed.
/// </summary>
[Collection("ChildProcesses")]
public sealed class CancellationTests : IClassFixture<CancellationTests.FashionCache>, IDisposable
{
    private const string NothingWritten = "cancelled: no output was written under its final name.";

    /// <summary>Signal to exit, on this shared two-core machine; the CLI's own watchdog fires at 0.8 s.</summary>
    private static readonly TimeSpan StopWithin = TimeSpan.FromSeconds(1.5);

    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    private readonly TempFolder _temp = new();
    private readonly FashionCache _cache;
    private readonly ITestOutputHelper _log;

    public CancellationTests(FashionCache cache, ITestOutputHelper log)
    {
        _cache = cache;
        _log = log;
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>
    /// Kill points: a CSV cache's temporary file grows as rows are written (about 2.4 MB for the 10k rows), so its size marks
    /// how far the write got whatever the machine's speed; a Parquet cache's rows are buffered into one row group and land at
    /// the end, so its points are times after the temporary file appeared (the teacher is then scoring).
    /// </summary>
    [Theory]
    [InlineData(".parquet", 0, 0, false)]
    [InlineData(".csv", 0, 300_000, true)]
    [InlineData(".csv", 0, 1_500_000, false)]
    [InlineData(".parquet", 400, 0, true)]
    public void Score_SigIntWhileWritingCache_Exits130WithinASecondAndLeavesNoPartialCache(string extension, int delayMs, long tempBytes, bool previous)
    {
        string output = _temp.File("cache" + extension);
        var sentinels = previous ? Sentinels(output, extension == ".csv" ? [output, output + ".json"] : [output]) : [];

        using var child = ChildCli.Start(ScoreArgs(output));
        string point = WaitForKillPoint(child, [], delayMs, tempBytes);
        var sent = child.Elapsed;
        child.Signal(ChildCli.SigInt);
        int? code = child.WaitForExit(Long);
        var stopped = child.Elapsed - sent;
        _log.WriteLine($"score {extension}: SIGINT {point} ({sent.TotalSeconds:F2} s into the run); exit {code} after {stopped.TotalMilliseconds:F0} ms");

        Assert.Equal(130, code);
        Assert.True(stopped < StopWithin, $"stopped {stopped.TotalMilliseconds:F0} ms after SIGINT");
        Assert.Contains(NothingWritten, child.Error);
        Assert.DoesNotContain("error:", child.Error);
        Assert.Empty(TempFiles());
        AssertOnlySentinels(output, sentinels, extension);
    }

    [Fact]
    public void Score_SigTermWhileWritingCache_Exits143AndLeavesNoPartialCache()
    {
        string output = _temp.File("cache.parquet");

        using var child = ChildCli.Start(ScoreArgs(output));
        WaitForKillPoint(child, [], 300, 0);
        var sent = child.Elapsed;
        child.Signal(ChildCli.SigTerm);
        int? code = child.WaitForExit(Long);
        var stopped = child.Elapsed - sent;
        _log.WriteLine($"score .parquet: SIGTERM 300 ms after the temporary file appeared; exit {code} after {stopped.TotalMilliseconds:F0} ms");

        Assert.Equal(143, code);
        Assert.True(stopped < StopWithin, $"stopped {stopped.TotalMilliseconds:F0} ms after SIGTERM");
        Assert.Contains(NothingWritten, child.Error);
        Assert.Empty(_temp.Entries());
    }

    [Theory]
    [InlineData(".csv", new long[] { 0, 1_000_000, 2_000_000 })]
    [InlineData(".parquet", new long[] { -300 })]
    public void Score_SigKillWhileWritingCache_LeavesNoPartialCacheAndRerunSucceeds(string extension, long[] points)
    {
        string output = _temp.File("cache" + extension);
        var sentinels = Sentinels(output, extension == ".csv" ? [output, output + ".json"] : [output]);
        foreach (long at in points)
        {
            using var child = ChildCli.Start(ScoreArgs(output));
            // A point >= 0 is a size of the temporary file; a negative one, milliseconds after it appeared.
            string point = WaitForKillPoint(child, TempFiles(), at < 0 ? (int)-at : 0, Math.Max(at, 0));
            child.Signal(ChildCli.SigKill);
            int? code = child.WaitForExit(Long);
            _log.WriteLine($"score {extension}: SIGKILL {point}; exit {code}; temporary files left: {TempFiles().Length}");

            Assert.Equal(137, code);
            AssertOnlySentinels(output, sentinels, extension); // the killed run's rows never reach the final name
        }

        Assert.NotEmpty(TempFiles()); // what SIGKILL leaves: hidden temporary files only

        var (rerun, _, error) = ChildCli.Run(Long, ScoreArgs(output));

        Assert.True(rerun == 0, error);
        Assert.Equal(10_000, TeacherCache.ReadMetadata(output).Rows);
        Assert.Equal(10_000, TeacherCache.Read(output).GetColumn<float[]>(DataColumnNames.SoftLabels).Count());
        // A folder of shards with the killed runs' temporary files beside the cache: they are not taken for shards.
        Assert.Equal(10_000, TeacherCache.Read(_temp.Path).GetRowCount() ?? TeacherCache.Read(_temp.Path).GetColumn<float[]>(DataColumnNames.SoftLabels).LongCount());
    }

    [Fact]
    public void Distill_SigIntDuringMlpEpochs_Exits130AndKeepsPreviousModelAndReport()
    {
        string model = _temp.File("student.zip");
        string report = _temp.File("report.json");
        var sentinels = Sentinels(model, [model, report]);

        using var child = ChildCli.Start(DistillArgs(model, report, epochs: 50));
        Assert.True(child.WaitForErrorLine("epoch 2/50", Long), "no epoch line: " + child.Error);
        var sent = child.Elapsed;
        child.Signal(ChildCli.SigInt);
        int? code = child.WaitForExit(Long);
        var stopped = child.Elapsed - sent;
        _log.WriteLine($"distill mlp: SIGINT at epoch 2 ({sent.TotalSeconds:F2} s into the run); exit {code} after {stopped.TotalMilliseconds:F0} ms");

        Assert.Equal(130, code);
        Assert.True(stopped < StopWithin, $"stopped {stopped.TotalMilliseconds:F0} ms after SIGINT");
        Assert.Contains(NothingWritten, child.Error);
        Assert.DoesNotContain("epoch 10/50", child.Error);
        Assert.Empty(TempFiles());
        Assert.False(File.Exists(_temp.File("student.onnx")));
        foreach (var (path, bytes) in sentinels)
        {
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }
    }

    [Fact]
    public void Distill_SigKillDuringMlpEpochs_WritesNothingAndRerunSucceeds()
    {
        string model = _temp.File("student.zip");
        string report = _temp.File("report.json");

        // 50 epochs, killed at the second: on a quiet machine 4 epochs could finish before the signal lands.
        using (var child = ChildCli.Start(DistillArgs(model, report, epochs: 50)))
        {
            Assert.True(child.WaitForErrorLine("epoch 2/50", Long), "no epoch line: " + child.Error);
            child.Signal(ChildCli.SigKill);
            Assert.Equal(137, child.WaitForExit(Long));
        }

        Assert.All(_temp.Entries(), e => Assert.StartsWith(".", e)); // temporary files at most, no model, ONNX or report

        var (code, output, error) = ChildCli.Run(Long, DistillArgs(model, report, epochs: 4));

        Assert.True(code == 0, error);
        Assert.Contains("retained accuracy", output);
        var ml = new MLContext(0);
        using (var stream = File.OpenRead(model))
        {
            var loaded = ml.Model.Load(stream, out var schema);
            Assert.NotNull(schema.GetColumnOrNull(DataColumnNames.Features));
            (loaded as IDisposable)?.Dispose();
        }

        Assert.True(new FileInfo(_temp.File("student.onnx")).Length > 10_000);
        using var json = JsonDocument.Parse(File.ReadAllBytes(report));
        Assert.InRange(json.RootElement.GetProperty("student").GetProperty("accuracy").GetDouble(), 0.5, 1.0);
    }

    [Fact]
    public void Compare_SigIntDuringSdcaTraining_Exits130WithinASecondAndWritesNoReport()
    {
        string folder = Path.Combine(_temp.Path, "out");
        Directory.CreateDirectory(folder);
        string previous = Path.Combine(folder, "leaderboard.json");
        File.WriteAllText(previous, "{\"previous\": true}");

        using var child = ChildCli.Start("compare", "--teacher", TestPaths.FashionTeacher, "--train", TestPaths.FashionImages,
            "--students", "sdca;mlp:32:epochs=100", "--out", folder);
        Assert.True(child.WaitForErrorLine("training sdca", Long), "sdca never started: " + child.Error);
        Thread.Sleep(300);
        var sent = child.Elapsed;
        child.Signal(ChildCli.SigInt);
        int? code = child.WaitForExit(Long);
        var stopped = child.Elapsed - sent;
        _log.WriteLine($"compare: SIGINT 300 ms into SDCA's training ({sent.TotalSeconds:F2} s into the run); exit {code} after {stopped.TotalMilliseconds:F0} ms");

        Assert.Equal(130, code);
        Assert.True(stopped < StopWithin, $"stopped {stopped.TotalMilliseconds:F0} ms after SIGINT");
        Assert.DoesNotContain("evaluating sdca", child.Error); // stopped inside ML.NET's trainer, not after it
        Assert.Contains(NothingWritten, child.Error);
        Assert.Equal(["leaderboard.json"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
        Assert.Equal("{\"previous\": true}", File.ReadAllText(previous));
    }

    [Fact]
    public void Compare_SigKillDuringTraining_KeepsPreviousLeaderboardAndRerunSucceeds()
    {
        string folder = Path.Combine(_temp.Path, "out");
        Directory.CreateDirectory(folder);
        string leaderboard = Path.Combine(folder, "leaderboard.json");
        File.WriteAllText(leaderboard, "{\"previous\": true}");
        string[] args = ["compare", "--teacher", TestPaths.FashionTeacher, "--train", TestPaths.FashionImages, "--students", "sdca", "--out", folder];

        using (var child = ChildCli.Start(args))
        {
            Assert.True(child.WaitForErrorLine("training sdca", Long), "sdca never started: " + child.Error);
            Thread.Sleep(300);
            child.Signal(ChildCli.SigKill);
            Assert.Equal(137, child.WaitForExit(Long));
        }

        Assert.Equal(["leaderboard.json"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
        Assert.Equal("{\"previous\": true}", File.ReadAllText(leaderboard));

        var (code, _, error) = ChildCli.Run(Long, args);

        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(File.ReadAllBytes(leaderboard));
        var entry = Assert.Single(json.RootElement.GetProperty("students").EnumerateArray());
        Assert.Equal("sdca", entry.GetProperty("name").GetString());
        Assert.InRange(entry.GetProperty("accuracy").GetDouble(), 0.5, 1.0);
        foreach (string file in new[] { "report.md", "report.html", "tradeoff.png", "sdca.zip" })
        {
            Assert.True(new FileInfo(Path.Combine(folder, file)).Length > 100, file);
        }

        Assert.Empty(Directory.GetFiles(folder, ".*.tmp"));
    }

    /// <summary>
    /// Waits until the run has a temporary file of its own (not one of <paramref name="tempsBefore"/>, left by a killed run)
    /// of at least <paramref name="tempBytes"/> bytes, then <paramref name="delayMs"/> more; fails when the run ended first.
    /// </summary>
    private string WaitForKillPoint(ChildCli child, string[] tempsBefore, int delayMs, long tempBytes)
    {
        long Size() => TempFiles().Except(tempsBefore).Select(f => new FileInfo(f)).Where(f => f.Exists).Select(f => f.Length).DefaultIfEmpty(-1).Max();
        Assert.True(child.WaitUntil(() => Size() >= tempBytes, Long), $"the run ended before its temporary file reached {tempBytes:N0} bytes: " + child.Error);
        long size = Size();
        Thread.Sleep(delayMs);
        Assert.True(child.WaitForExit(TimeSpan.Zero) is null, "the run finished before the kill point: the data are too small for this machine's speed");
        return delayMs > 0 ? $"{delayMs} ms after the temporary file appeared" : $"with the temporary file at {size:N0} bytes";
    }

    private static string[] ScoreArgs(string output) =>
        ["score", "--teacher", TestPaths.FashionTeacher, "--data", TestPaths.FashionImages, "--out", output];

    private string[] DistillArgs(string model, string report, int epochs) =>
        ["distill", "--soft-labels", _cache.Path, "--train", TestPaths.FashionImages, "--student", $"mlp:64:epochs={epochs}", "--out", model, "--report", report];

    private string[] TempFiles() => Directory.GetFiles(_temp.Path, ".*.tmp");

    /// <summary>Previous outputs with recognizable bytes, to check they are left as they were.</summary>
    private static List<(string Path, byte[] Bytes)> Sentinels(string seed, string[] paths)
    {
        var list = new List<(string, byte[])>();
        foreach (string path in paths)
        {
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes($"previous output {Path.GetFileName(path)} beside {Path.GetFileName(seed)}\n");
            File.WriteAllBytes(path, bytes);
            list.Add((path, bytes));
        }

        return list;
    }

    private static void AssertOnlySentinels(string output, List<(string Path, byte[] Bytes)> sentinels, string extension)
    {
        if (sentinels.Count == 0)
        {
            Assert.False(File.Exists(output), $"{output} exists after the run was stopped");
            Assert.False(File.Exists(output + ".json"));
            return;
        }

        foreach (var (path, bytes) in sentinels)
        {
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }

        if (extension == ".csv")
        {
            Assert.True(File.Exists(output + ".json"), "the previous sidecar was removed before the new rows were complete");
        }
    }

    /// <summary>One teacher cache of the embedded 10k images, scored once in-process, for the distill runs' <c>--soft-labels</c>.</summary>
    public sealed class FashionCache : IDisposable
    {
        private readonly TempFolder _folder = new();

        public FashionCache()
        {
            Path = _folder.File("train-cache.parquet");
            TeacherCacheWriter.Score(new MLContext(0), new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher }, TestPaths.FashionImages, null, null, Path);
        }

        public string Path { get; }

        public void Dispose() => _folder.Dispose();
    }
}
