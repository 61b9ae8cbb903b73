using System.Text;
using System.Text.Json;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Tests.Data;
using MLNetDistill.Tests.Llm;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Tests.Cli;

[Collection("Console")]
public sealed class LabelCommandTests
{
    private const string Key = "sk-test-7c1f0e5b9a3d";

    [Fact]
    public async Task Label_LocalServerKeyFromEnvironment_CacheEqualsTeacherAndKeyIsNeverWritten()
    {
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities);
        using var folder = new TempFolder();
        var texts = TextTeacher.Texts(120);
        string csv = WriteCsv(folder.File("emails.csv"), texts, labels: null);
        string cache = folder.File("llm.parquet");

        var (code, output, error) = WithKey(() => CliRunner.Run("label", "--llm-endpoint", server.Endpoint.ToString(), "--model", "test-model", "--classes", "ham,spam",
            "--data", csv, "--text", "Text", "--out", cache, "--prompt", ChatCompletionsServer.Template, "--chunk-rows", "50", "--input-cost", "0.15", "--output-cost", "0.6"));

        Assert.True(code == 0, error);
        Assert.Equal("Bearer " + Key, server.LastAuthorization);
        Assert.Contains("labeled 120 rows (0 kept from the earlier run, 120 of 120", output, StringComparison.Ordinal);
        Assert.Contains("retries 0 (0 for 429)", output, StringComparison.Ordinal);
        Assert.Matches(@"saved (5\d|6\d|7\d|8\d|9\d|1[01]\d) of 120 rows", error); // a checkpoint after 50 or more new rows, before the end
        Assert.Contains("saved 120 of 120 rows", error, StringComparison.Ordinal);
        var soft = LlmLabelerTests.ReadSoft(cache);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(TextTeacher.Probabilities(texts[i]), soft[i], new FloatComparer(1e-5));
        }

        Assert.Equal(FileFingerprint.Data(csv, 120), TeacherCache.ReadMetadata(cache).DataFingerprint);
        foreach (string file in Directory.EnumerateFiles(folder.Path))
        {
            Assert.DoesNotContain(Key, Encoding.Latin1.GetString(File.ReadAllBytes(file)), StringComparison.Ordinal);
        }

        // Run again: nothing is asked twice.
        var (again, againOut, _) = WithKey(() => CliRunner.Run("label", "--llm-endpoint", server.Endpoint.ToString(), "--model", "test-model", "--classes", "ham,spam",
            "--data", csv, "--text", "Text", "--out", cache, "--prompt", ChatCompletionsServer.Template));
        Assert.Equal(0, again);
        Assert.Contains("labeled 0 rows (120 kept from the earlier run", againOut, StringComparison.Ordinal);
        Assert.Equal(120, server.Requests);
    }

    [Fact]
    public async Task Label_KilledMidRunThenRunAgain_SavedRowsAreNeverAskedAgain()
    {
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities) { Delay = TimeSpan.FromMilliseconds(5) };
        using var folder = new TempFolder();
        var texts = TextTeacher.Texts(240);
        string csv = WriteCsv(folder.File("emails.csv"), texts, labels: null);
        string cache = folder.File("llm.parquet");
        string[] args = ["label", "--llm-endpoint", server.Endpoint.ToString(), "--model", "test-model", "--classes", "ham,spam", "--data", csv, "--out", cache,
            "--prompt", ChatCompletionsServer.Template, "--chunk-rows", "20", "--concurrency", "2"];

        using (var child = ChildCli.Start(args))
        {
            Assert.True(child.WaitUntil(() => server.Answered >= 100, TimeSpan.FromSeconds(60)), child.Error);
            child.Signal(ChildCli.SigKill);
            Assert.NotNull(child.WaitForExit(TimeSpan.FromSeconds(30)));
        }

        await Task.Delay(300); // requests the killed process had in flight finish on the server side

        long answeredBeforeKill = server.Answered;
        long saved = ChunkFiles.SavedRows(cache).Count; // the complete chunks: rows written once, by id
        Assert.InRange(saved, 60, answeredBeforeKill);
        Assert.False(File.Exists(cache)); // the cache file is written once, when every row is known
        Assert.DoesNotContain(Directory.EnumerateFiles(folder.Path), f => Path.GetFileName(f).EndsWith(".tmp", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith('.'));
        var savedRows = ChunkFiles.SavedRows(cache);

        var (code, output, error) = CliRunner.Run(args);

        Assert.True(code == 0, error);
        Assert.Contains($"({saved:N0} kept from the earlier run", output, StringComparison.Ordinal);
        for (int i = 0; i < texts.Length; i++)
        {
            // Saved rows are asked once; rows answered after the last chunk are lost with the process and asked again.
            Assert.InRange(server.AnswersPerText[texts[i]], 1, savedRows.Contains(i) ? 1 : 2);
        }

        Assert.Equal(texts.Length + (answeredBeforeKill - saved), server.Answered);
        var soft = LlmLabelerTests.ReadSoft(cache);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(TextTeacher.Probabilities(texts[i]), soft[i], new FloatComparer(1e-5));
        }

        Assert.False(Directory.Exists(ChunkFiles.Folder(cache)));
    }

    [Fact]
    public async Task Label_KilledAfterSeveralChunks_RerunAsksOnlyTheMissingRowsAndEqualsAnUninterruptedRun()
    {
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities) { Delay = TimeSpan.FromMilliseconds(10) };
        using var folder = new TempFolder();
        var texts = TextTeacher.Texts(240);
        string csv = WriteCsv(folder.File("emails.csv"), texts, labels: null);
        string cache = folder.File("llm.parquet");
        string[] Args(string output) => ["label", "--llm-endpoint", server.Endpoint.ToString(), "--model", "test-model", "--classes", "ham,spam", "--data", csv, "--out", output,
            "--prompt", ChatCompletionsServer.Template, "--chunk-rows", "15", "--concurrency", "3"];

        using (var child = ChildCli.Start(Args(cache)))
        {
            Assert.True(child.WaitUntil(() => ChunkFiles.Complete(cache).Length >= 4, TimeSpan.FromSeconds(60)), child.Error);
            child.Signal(ChildCli.SigKill);
            Assert.NotNull(child.WaitForExit(TimeSpan.FromSeconds(30)));
        }

        await Task.Delay(300); // requests the killed process had in flight finish on the server side
        var saved = ChunkFiles.SavedRows(cache);
        Assert.InRange(saved.Count, 60, 239);
        Assert.Equal(ChunkFiles.Complete(cache).Length * 15, saved.Count); // whole chunks of distinct rows
        var before = texts.ToDictionary(t => t, t => server.AnswersPerText.GetValueOrDefault(t), StringComparer.Ordinal);

        var (code, output, error) = CliRunner.Run(Args(cache));

        Assert.True(code == 0, error);
        Assert.Contains($"labeled {240 - saved.Count:N0} rows ({saved.Count:N0} kept from the earlier run, 240 of 240", output, StringComparison.Ordinal);
        for (int i = 0; i < texts.Length; i++)
        {
            // The rerun asks exactly the rows no complete chunk holds, each once.
            Assert.Equal(saved.Contains(i) ? 0 : 1, server.AnswersPerText[texts[i]] - before[texts[i]]);
        }

        Assert.False(Directory.Exists(ChunkFiles.Folder(cache)));

        string uninterrupted = folder.File("uninterrupted.parquet");
        var (fresh, _, freshError) = CliRunner.Run(Args(uninterrupted));
        Assert.True(fresh == 0, freshError);
        LlmCacheChunksTests.AssertSameCache(uninterrupted, cache, 240);
    }

    [Fact]
    public void Label_MaxRetryAfterOutOfRange_OneErrorLineNamingTheFlag()
    {
        using var folder = new TempFolder();
        string csv = WriteCsv(folder.File("emails.csv"), TextTeacher.Texts(3), labels: null);

        var (code, output, error) = CliRunner.Run("label", "--llm-endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--classes", "ham,spam",
            "--data", csv, "--out", folder.File("llm.parquet"), "--max-retry-after", "900");

        Assert.Equal(2, code);
        Assert.Contains("error: --max-retry-after: MaxRetryAfter must be from 0 to 10 minutes (600 seconds) but was 900 seconds", error, StringComparison.Ordinal);
        Assert.Equal("", output);
        Assert.False(File.Exists(folder.File("llm.parquet")));
    }

    [Fact]
    public void Label_UnreachableEndpoint_OneErrorLineNamingTheRowAndWhatIsKept()
    {
        using var folder = new TempFolder();
        string csv = WriteCsv(folder.File("emails.csv"), TextTeacher.Texts(5), labels: null);

        var (code, output, error) = WithKey(() => CliRunner.Run("label", "--llm-endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--classes", "ham,spam",
            "--data", csv, "--out", folder.File("llm.parquet"), "--retries", "1", "--concurrency", "1"));

        Assert.Equal(2, code);
        Assert.Contains("error: The LLM endpoint failed for row 0", error, StringComparison.Ordinal);
        Assert.Contains("keeps 0 of 5 rows; run again to ask only the 5 missing rows (the first is row 0)", error, StringComparison.Ordinal);
        Assert.Contains("labeled 0 rows", error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Fact]
    public void Label_ImportBatch_WritesTheCacheAndCountsUnknownAndMissingRows()
    {
        using var folder = new TempFolder();
        string csv = WriteCsv(folder.File("emails.csv"), TextTeacher.Texts(10), labels: null);
        string cache = folder.File("batch.csv");

        var (code, output, error) = CliRunner.Run("label", "--import-batch", TestPaths.Fixture("llm_batch_output.jsonl"), "--model", "gpt-4o-mini-2024-07-18",
            "--classes", "ham,spam", "--data", csv, "--out", cache);

        Assert.True(code == 0, error);
        Assert.Contains("unknown answers 3 (2 rows missing from the batch)", output, StringComparison.Ordinal);
        Assert.Equal(10, TeacherCache.ReadMetadata(cache).Rows);
    }

    [Fact]
    public async Task Distill_TextWithLlmSoftLabelsAndTestSoftLabels_ReportsAgreementAndInheritance()
    {
        var mlContext = new MLContext(0);
        var emails = EmailData.Load(mlContext);
        string[] texts = EmailData.Texts(emails);
        float[] labels = EmailData.Labels(emails);
        using var folder = new TempFolder();
        string train = WriteCsv(folder.File("train.csv"), texts[..300], labels[..300]);
        string test = WriteCsv(folder.File("test.csv"), texts[300..], labels[300..]);
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities);
        foreach (var (data, cache) in new[] { (train, "train.parquet"), (test, "test.parquet") })
        {
            var (labeled, _, labelError) = WithKey(() => CliRunner.Run("label", "--llm-endpoint", server.Endpoint.ToString(), "--model", "test-model", "--classes", "ham,spam",
                "--data", data, "--out", folder.File(cache), "--prompt", ChatCompletionsServer.Template));
            Assert.True(labeled == 0, labelError);
        }

        string report = folder.File("report.json");
        var (code, output, error) = CliRunner.Run("distill", "--train", train, "--test", test, "--text", "Text", "--soft-labels", folder.File("train.parquet"),
            "--test-soft-labels", folder.File("test.parquet"), "--student", "sdca:iterations=50,text=word2", "--baseline", "--out", folder.File("student.zip"), "--report", report);

        Assert.True(code == 0, error);
        Assert.Contains("test rows judged against the labels of llm:test-model;prompt_sha256=", error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var root = json.RootElement;
        double teacherAccuracy = texts[300..].Select((t, i) => (TextTeacher.Probabilities(t)[1] > TextTeacher.Probabilities(t)[0] ? 1 : 0) == (int)labels[300 + i]).Count(x => x) / (double)(texts.Length - 300);
        Assert.Equal(teacherAccuracy, root.GetProperty("teacher").GetProperty("accuracy").GetDouble(), 9);
        Assert.InRange(root.GetProperty("student").GetProperty("agreement").GetDouble(), 0.5, 1.0);
        Assert.InRange(root.GetProperty("baseline").GetProperty("agreement").GetDouble(), 0.0, 1.0);
        Assert.True(root.GetProperty("inheritance").GetProperty("teacherMistakes").GetInt64() > 0);
        Assert.Contains("inherit  of the teacher's", output, StringComparison.Ordinal);
        Assert.True(File.Exists(folder.File("student.zip")));
    }

    [Fact]
    public async Task LabelThenDistill_UnlabeledCsv_StudentLearnsFromTheLlmSoftLabelsAlone()
    {
        // The README's recipe from a CSV nobody labeled: label it with the LLM, then distill from the cache alone. The
        // server plays a good LLM (0.85-0.9 on each email's real class; the tests' small text teacher is near chance here).
        var emails = EmailData.Load(new MLContext(0));
        var truth = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var (text, label) in EmailData.Texts(emails).Zip(EmailData.Labels(emails)))
        {
            truth.TryAdd(text, label);
        }

        await using var server = new ChatCompletionsServer(TextTeacher.Classes, text => truth[text] == 1 ? [0.1f, 0.9f] : [0.85f, 0.15f]);
        using var folder = new TempFolder();
        var texts = truth.Keys.Take(400).ToArray();
        string unlabeled = WriteCsv(folder.File("unlabeled.csv"), texts, labels: null);
        string cache = folder.File("cache.parquet");
        var (labeled, _, labelError) = WithKey(() => CliRunner.Run("label", "--llm-endpoint", server.Endpoint.ToString(), "--model", "test-model", "--classes", "ham,spam",
            "--data", unlabeled, "--text", "Text", "--out", cache, "--prompt", ChatCompletionsServer.Template));
        Assert.True(labeled == 0, labelError);

        string report = folder.File("report.json");
        var (code, output, error) = CliRunner.Run("distill", "--train", unlabeled, "--soft-labels", cache, "--text", "Text", "--student", "sdca:iterations=50,text=word2",
            "--baseline", "--pseudo-baseline", "--out", folder.File("student.zip"), "--report", report);

        Assert.True(code == 0, error);
        Assert.Contains("has no label column: the student learns from the soft labels alone", error, StringComparison.Ordinal);
        Assert.Contains("baseline not trained: --train has no hard labels", output, StringComparison.Ordinal);
        var root = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        Assert.True(root.GetProperty("testHeldOut").GetBoolean());
        Assert.Equal(400, root.GetProperty("trainRows").GetInt64() + root.GetProperty("testRows").GetInt64());
        Assert.Equal(0, root.GetProperty("teacherRowsScored").GetInt64()); // the LLM's cache, no teacher model
        Assert.Equal(JsonValueKind.Null, root.GetProperty("baseline").ValueKind);
        // Held-out rows without labels are measured against the LLM's labels: agreement and KL, no accuracy.
        Assert.Equal("NaN", root.GetProperty("student").GetProperty("accuracy").GetString());
        // 54 % of these emails are ham: a student that learned nothing agrees about that often (0.72 measured with this spec).
        Assert.InRange(root.GetProperty("student").GetProperty("agreement").GetDouble(), 0.65, 1.0);
        Assert.InRange(root.GetProperty("pseudoBaseline").GetProperty("agreement").GetDouble(), 0.6, 1.0);
        Assert.True(root.GetProperty("student").GetProperty("klToTeacher").GetDouble() >= 0);
        Assert.True(File.Exists(folder.File("student.zip")));
    }

    private static (int, string, string) WithKey(Func<(int, string, string)> run)
    {
        string? old = Environment.GetEnvironmentVariable("MLNETDISTILL_LLM_API_KEY");
        Environment.SetEnvironmentVariable("MLNETDISTILL_LLM_API_KEY", Key);
        try
        {
            return run();
        }
        finally
        {
            Environment.SetEnvironmentVariable("MLNETDISTILL_LLM_API_KEY", old);
        }
    }

    internal static string WriteCsv(string path, string[] texts, float[]? labels)
    {
        var csv = new StringBuilder(labels is null ? "Id,Text\n" : "Id,Text,Label\n");
        for (int i = 0; i < texts.Length; i++)
        {
            csv.Append(i).Append(",\"").Append(texts[i].Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            if (labels is not null)
            {
                csv.Append(',').Append(labels[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            csv.Append('\n');
        }

        File.WriteAllText(path, csv.ToString(), new UTF8Encoding(false));
        return path;
    }
}
