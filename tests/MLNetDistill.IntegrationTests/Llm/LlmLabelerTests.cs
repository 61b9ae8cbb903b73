using Microsoft.Extensions.AI;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Llm;
using MLNetDistill.Tests.Data;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Tests.Llm;

public sealed class LlmLabelerTests
{
    private static readonly FloatComparer Tolerance = new(1e-5);

    [Fact]
    public async Task LabelAsync_LocalServer_SoftLabelsEqualTeacherProbabilities()
    {
        var texts = TextTeacher.Texts(200);
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities);
        using var folder = new TempFolder();
        string cache = folder.File("llm.parquet");
        using var client = Client(server);

        var summary = await new LlmLabeler(client, Options()).LabelAsync(View(texts), cache);

        Assert.Equal(200, summary.RowsLabeled);
        Assert.Equal(200, summary.RowsSaved);
        Assert.Equal(200, server.Requests);
        Assert.Equal(0, summary.Retries);
        Assert.Equal(0, summary.UnknownAnswers);
        Assert.Equal(0, summary.AnswersWithoutLogProbabilities);
        Assert.True(server.LastRequest!["logprobs"]!.GetValue<bool>());
        Assert.Equal(10, server.LastRequest!["top_logprobs"]!.GetValue<int>());
        Assert.Equal(200 + texts.Sum(t => 10L + (t.Length / 4)), summary.InputTokens + summary.OutputTokens);
        Assert.Equal(((texts.Sum(t => 10L + (t.Length / 4)) * 0.15) + (200 * 0.6)) / 1e6, summary.Cost, 1e-12);
        AssertCacheMatchesTeacher(cache, texts, 200);
        var metadata = TeacherCache.ReadMetadata(cache);
        Assert.Equal(summary.TeacherSha256, metadata.TeacherSha256);
        Assert.StartsWith("llm:test-model;prompt_sha256=", metadata.TeacherFile, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LabelAsync_Injected429s_RetriedCountedAndEveryRowAnsweredOnce()
    {
        var texts = TextTeacher.Texts(120);
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities);
        server.Throttle(count: 6, every: 9);
        using var folder = new TempFolder();
        string cache = folder.File("llm.parquet");
        using var client = Client(server);

        var summary = await new LlmLabeler(client, Options()).LabelAsync(View(texts), cache);

        long throttled = server.Requests - server.Answered;
        Assert.True(throttled >= 6, $"the server sent {throttled} 429s");
        Assert.Equal(throttled, summary.Throttled);
        Assert.Equal(throttled, summary.Retries);
        Assert.Equal(server.Requests, summary.Requests);
        Assert.All(texts, t => Assert.Equal(1, server.AnswersPerText[t]));
        AssertCacheMatchesTeacher(cache, texts, 120);
    }

    [Fact]
    public async Task LabelAsync_StoppedMidRunThenRunAgain_NoRowRequestedTwice()
    {
        var texts = TextTeacher.Texts(300);
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities) { Delay = TimeSpan.FromMilliseconds(2) };
        using var folder = new TempFolder();
        string cache = folder.File("llm.parquet");
        using var client = Client(server);
        using var stop = new CancellationTokenSource();
        server.OnAnswer = answered =>
        {
            if (answered == 130)
            {
                stop.Cancel();
            }
        };
        var options = Options();
        options.ChunkRows = 25;
        var labeler = new LlmLabeler(client, options);

        var stopped = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => labeler.LabelAsync(View(texts), cache, cancellationToken: stop.Token));
        long firstSaved = labeler.LastSummary!.RowsSaved;
        long firstRequests = server.Requests;
        Assert.InRange(firstSaved, 130, 299);
        Assert.Equal(firstRequests, firstSaved); // the requests in flight were waited for and written as a last chunk: none is lost
        Assert.Equal(firstSaved, ChunkFiles.SavedRows(cache).Count);
        Assert.False(File.Exists(cache)); // the cache file is written once, when every row is known
        Assert.Contains($"keeps {firstSaved} of 300 rows; run again to ask only the {300 - firstSaved} missing rows", stopped.Message, StringComparison.Ordinal);

        server.OnAnswer = null;
        var summary = await labeler.LabelAsync(View(texts), cache);

        Assert.Equal(firstSaved, summary.RowsResumed);
        Assert.Equal(300 - firstSaved, summary.RowsLabeled);
        Assert.Equal(300, server.Requests);
        Assert.All(texts, t => Assert.Equal(1, server.AnswersPerText[t]));
        AssertCacheMatchesTeacher(cache, texts, 300);
        Assert.False(Directory.Exists(ChunkFiles.Folder(cache)));
    }

    [Theory]
    [InlineData(LlmUnknownAnswer.Uniform)]
    [InlineData(LlmUnknownAnswer.Skip)]
    public async Task LabelAsync_AnswerNamingNoClass_CountedAndGivenThePolicysRow(LlmUnknownAnswer policy)
    {
        var texts = TextTeacher.Texts(60);
        var unknown = texts.Where((_, i) => i % 10 == 3).ToHashSet(StringComparer.Ordinal);
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, t => unknown.Contains(t) ? null : TextTeacher.Probabilities(t));
        using var folder = new TempFolder();
        string cache = folder.File("llm.parquet");
        using var client = Client(server);
        var options = Options();
        options.UnknownAnswer = policy;

        var summary = await new LlmLabeler(client, options).LabelAsync(View(texts), cache);

        Assert.Equal(unknown.Count, summary.UnknownAnswers);
        var soft = ReadSoft(cache);
        for (int i = 0; i < texts.Length; i++)
        {
            if (!unknown.Contains(texts[i]))
            {
                Assert.Equal(TextTeacher.Probabilities(texts[i]), soft[i], Tolerance);
            }
            else if (policy == LlmUnknownAnswer.Uniform)
            {
                Assert.Equal([0.5f, 0.5f], soft[i], Tolerance);
            }
            else
            {
                Assert.All(soft[i], p => Assert.True(float.IsNaN(p)));
            }
        }
    }

    [Fact]
    public async Task LabelAsync_UnreachableEndpoint_ThrowsAfterRetriesAndCacheKeepsWhatWasDone()
    {
        var texts = TextTeacher.Texts(80);
        using var folder = new TempFolder();
        string cache = folder.File("llm.parquet");
        Uri dead;
        await using (var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities))
        {
            using var client = Client(server);
            await new LlmLabeler(client, Options()).LabelAsync(View(texts[..50]), cache);
            dead = server.Endpoint;
        }

        using var deadClient = LlmLabeler.CreateOpenAICompatibleClient(dead, "test-model", "test-key", TimeSpan.FromSeconds(5));
        var options = Options();
        options.MaxRetries = 2;
        var labeler = new LlmLabeler(deadClient, options);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => labeler.LabelAsync(View(texts), cache));

        Assert.Contains("failed for row 50", error.Message, StringComparison.Ordinal);
        Assert.Contains("after 2 retries", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing rows (the first is row 50)", error.Message, StringComparison.Ordinal);
        Assert.Equal(50, labeler.LastSummary!.RowsResumed);
        Assert.True(labeler.LastSummary.Retries >= 2);
        AssertCacheMatchesTeacher(cache, texts, 50);
    }

    [Fact]
    public async Task LabelAsync_CacheOfAnotherPrompt_RefusedNamingTheFix()
    {
        var texts = TextTeacher.Texts(20);
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities);
        using var folder = new TempFolder();
        string cache = folder.File("llm.parquet");
        using var client = Client(server);
        await new LlmLabeler(client, Options()).LabelAsync(View(texts), cache);
        var other = Options();
        other.PromptTemplate = "Another prompt. " + ChatCompletionsServer.Template;

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new LlmLabeler(client, other).LabelAsync(View(texts), cache));

        Assert.Contains("delete this one to start over", error.Message, StringComparison.Ordinal);
        Assert.Equal(20, server.Requests);
    }

    [Fact]
    public void Constructor_ClassNamesStartingAlike_ThrowsNamingBoth()
    {
        var options = new LlmLabelerOptions { Model = "m" };
        options.Classes.Add("spam");
        options.Classes.Add("Spammy");

        var error = Assert.Throws<ArgumentException>(() => new LlmLabeler(new NoClient(), options));

        Assert.Contains("'spam' and 'Spammy'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LabelAsync_TextColumnIsNotText_ThrowsNamingTheColumn()
    {
        var mlContext = new MLContext(0);
        var data = mlContext.Data.LoadFromEnumerable([new NumberRow { Text = 1f }]);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => new LlmLabeler(new NoClient(), Options()).LabelAsync(data, TestPaths.TempFile(".parquet")));

        Assert.Contains("Column 'Text' holds Single, not text", error.Message, StringComparison.Ordinal);
    }

    internal static LlmLabelerOptions Options()
    {
        var options = new LlmLabelerOptions
        {
            Model = "test-model",
            PromptTemplate = ChatCompletionsServer.Template,
            MaxConcurrency = 4,
            RetryDelay = TimeSpan.FromMilliseconds(5),
            InputCostPerMillionTokens = 0.15,
            OutputCostPerMillionTokens = 0.6,
        };
        foreach (string c in TextTeacher.Classes)
        {
            options.Classes.Add(c);
        }

        return options;
    }

    internal static IChatClient Client(ChatCompletionsServer server) => LlmLabeler.CreateOpenAICompatibleClient(server.Endpoint, "test-model", "test-key");

    internal static IDataView View(string[] texts) => new MLContext(0).Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }));

    internal static float[][] ReadSoft(string cache) => SoftLabelCache.Read(cache);

    private static void AssertCacheMatchesTeacher(string cache, string[] texts, int rows)
    {
        var soft = ReadSoft(cache);
        Assert.Equal(rows, soft.Length);
        for (int i = 0; i < rows; i++)
        {
            Assert.Equal(TextTeacher.Probabilities(texts[i]), soft[i], Tolerance);
        }
    }

    private sealed class NumberRow
    {
        public float Text { get; set; }
    }

    private sealed class NoClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("not called");

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("not called");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
