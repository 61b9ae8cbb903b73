using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using OpenAI;
using OpenAI.Chat;
using Polly;
using Polly.Retry;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Llm;

/// <summary>
/// A large language model as a teacher known only by its answers: for each text row it asks the model (through any
/// <see cref="IChatClient"/>) to name one class, reads the first answer token's top log-probabilities, maps the class
/// names' tokens to the classes and renormalises, and writes the soft labels in the public teacher-cache format (see
/// <c>Cache/CacheFormat.md</c>), where the model id and the prompt's hash take the place of the teacher's SHA-256.
/// </summary>
/// <remarks>
/// <para>Requests run <see cref="LlmLabelerOptions.MaxConcurrency"/> at a time; a 429, a 5xx or a lost connection is
/// retried with exponential back-off (Polly), counted in the summary; a 429 or 503 with a <c>Retry-After</c> header (seconds
/// or an HTTP date) waits what it asks instead, up to <see cref="LlmLabelerOptions.MaxRetryAfter"/>, counted too. Tokens and
/// cost are counted from the endpoint's usage.</para>
/// <para>Resumable: every <see cref="LlmLabelerOptions.ChunkRows"/> answered rows are written once as a chunk file in the
/// folder <c>CACHE.chunks</c> (under a temporary name and renamed, so a killed run never leaves half a chunk) and never
/// rewritten, so the disk writes grow with the rows; when every row is answered the chunks are merged into the cache file,
/// in input order, and the folder is removed. A run given the cache and chunks of the same model, prompt, classes and data
/// reads them back and asks only the rows they do not hold. A cancelled run stops asking, waits for the requests in flight
/// (they are paid for), writes what was answered as a last chunk, then throws <see cref="OperationCanceledException"/>.</para>
/// <para>An answer naming no class is counted and handled by <see cref="LlmLabelerOptions.UnknownAnswer"/>, never guessed.
/// An endpoint that keeps failing stops the run after the retries with an error naming the row; the chunks keep what was done.</para>
/// </remarks>
/// <example>
/// <code language="csharp">
/// string key = Environment.GetEnvironmentVariable("OPENAI_API_KEY")!;
/// using IChatClient client = LlmLabeler.CreateOpenAICompatibleClient(new Uri("https://api.openai.com/v1"), "gpt-4o-mini", key);
/// var options = new LlmLabelerOptions { Model = "gpt-4o-mini", TextColumnName = "Text" };
/// options.Classes.Add("ham");
/// options.Classes.Add("spam");
/// IDataView emails = mlContext.Data.LoadFromTextFile&lt;Email&gt;("emails.tsv", hasHeader: true);
/// LlmLabelingSummary summary = await new LlmLabeler(client, options).LabelAsync(emails, "emails-llm.parquet");
/// IDataView softLabels = TeacherCache.Read("emails-llm.parquet"); // TeacherLogits, SoftLabels, TeacherPredictedLabel
/// </code>
/// </example>
public sealed class LlmLabeler
{
    private readonly IChatClient _client;
    private readonly LlmLabelerOptions _options;

    /// <summary>Makes a labeler; the options are checked and copied here.</summary>
    /// <param name="client">The chat client (not disposed by the labeler). Log-probabilities are read from an OpenAI-compatible response; without them the answer's text gives a one-hot label, counted.</param>
    /// <param name="options">The classes, model, prompt and call settings.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range; the message names it and the fix.</exception>
    public LlmLabeler(IChatClient client, LlmLabelerOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options.Validated();
        TeacherSha256 = LlmAnswer.Identity(_options.Model, _options.PromptTemplate, [.. _options.Classes]);
    }

    /// <summary>Gets the hash written as the cache's <c>teacher_sha256</c>: SHA-256 of the model id, the prompt template and the class names.</summary>
    public string TeacherSha256 { get; }

    /// <summary>
    /// Makes a chat client for an OpenAI-compatible endpoint (OpenAI, Azure OpenAI's v1 API, vLLM, llama.cpp's server,
    /// Ollama's <c>/v1</c>) with the SDK's own retries turned off, so that <see cref="LabelAsync"/>'s retries are the only ones and are counted.
    /// </summary>
    /// <param name="endpoint">The API's base address, e.g. <c>https://api.openai.com/v1</c> (requests go to <c>ENDPOINT/chat/completions</c>).</param>
    /// <param name="model">The model id.</param>
    /// <param name="apiKey">The API key (read it from the environment; never write it to a file). Servers that need none take any text.</param>
    /// <param name="networkTimeout">How long one request may take; defaults to 100 seconds.</param>
    /// <returns>The client; dispose it when done.</returns>
    /// <example>
    /// <code language="csharp">
    /// using IChatClient client = LlmLabeler.CreateOpenAICompatibleClient(new Uri("http://127.0.0.1:8080/v1"), "llama-3.1-8b", "none");
    /// </code>
    /// </example>
    public static IChatClient CreateOpenAICompatibleClient(Uri endpoint, string model, string apiKey, TimeSpan? networkTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Endpoint '{endpoint}' is not an http(s) address: give the API's base address, for example https://api.openai.com/v1.", nameof(endpoint));
        }

        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = networkTimeout ?? TimeSpan.FromSeconds(100),
        };
        return new ChatClient(model, new ApiKeyCredential(apiKey), clientOptions).AsIChatClient();
    }

    /// <summary>Labels every row of <paramref name="data"/> (continuing an earlier run's cache and chunks at <paramref name="cachePath"/>) and saves the soft labels there.</summary>
    /// <param name="data">The rows, with the text column <see cref="LlmLabelerOptions.TextColumnName"/>.</param>
    /// <param name="cachePath">
    /// The cache file (<c>.parquet</c> or <c>.csv</c>), written when every row is answered. While the run goes, answered rows
    /// are written in chunks to the folder <c>CACHE.chunks</c> beside it, removed once they are merged into the cache. A
    /// cache file and chunks an earlier run of the same model, prompt, classes and data left are read back and their rows
    /// are not asked again.
    /// </param>
    /// <param name="progress">Receives the rows done after each answer and after each chunk written.</param>
    /// <param name="cancellationToken">Stops asking new rows (and waiting out retries); the requests in flight finish, the rows answered are written as a chunk, then <see cref="OperationCanceledException"/> is thrown.</param>
    /// <returns>What was done and what it cost.</returns>
    /// <exception cref="ArgumentException">The text column is missing or not text.</exception>
    /// <exception cref="InvalidDataException">The file at <paramref name="cachePath"/>, or a chunk beside it, is of another model, prompt, classes or data.</exception>
    /// <exception cref="HttpRequestException">The endpoint failed for a row after the retries; the chunks keep the rows answered.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the chunks keep the rows answered.</exception>
    public async Task<LlmLabelingSummary> LabelAsync(IDataView data, string cachePath, IProgress<LlmLabelingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(cachePath);
        var watch = Stopwatch.StartNew();
        var run = ReadRows(data, cachePath, progress);
        run.Resume(TeacherSha256, _options.DataFingerprint);
        await SendAsync(run, cancellationToken).ConfigureAwait(false);

        // Every answer is kept before anything else can fail: the last rows become a (smaller) chunk of their own.
        await run.FlushAsync(all: true).ConfigureAwait(false);
        bool complete = run.IsComplete;
        SaveCache(run, complete);
        var summary = Summarize(run, watch);
        LastSummary = summary;
        ThrowIfStopped(run, complete, cachePath, cancellationToken);
        return summary;
    }

    /// <summary>Gets the summary of the last <see cref="LabelAsync"/> run, also when it threw (stopped or failed): what was done and paid for.</summary>
    public LlmLabelingSummary? LastSummary { get; private set; }

    /// <summary>Stage 1: the rows' texts, and the run's state with the identity its chunks and cache are written with.</summary>
    private LlmLabelingRun ReadRows(IDataView data, string cachePath, IProgress<LlmLabelingProgress>? progress)
    {
        string[] texts = ReadTexts(data, _options.TextColumnName);
        var metadata = new CacheMetadata
        {
            TeacherSha256 = TeacherSha256,
            TeacherFile = LlmAnswer.TeacherFile(_options.Model, _options.PromptTemplate),
            Temperature = 1f,
            DataFingerprint = _options.DataFingerprint,
        };
        return new LlmLabelingRun(texts, [.. _options.Classes], cachePath, metadata, _options.ChunkRows, progress);
    }

    /// <summary>
    /// Stage 2: asks the rows not yet answered, <see cref="LlmLabelerOptions.MaxConcurrency"/> at a time, each through the
    /// retry pipeline, writing a chunk whenever ChunkRows answers wait. Stops asking at the first failure or when the token
    /// is cancelled, then waits for the requests in flight (they are paid for).
    /// </summary>
    private async Task SendAsync(LlmLabelingRun run, CancellationToken cancellationToken)
    {
        var pipeline = Retries(run.Counters, cancellationToken);
        using var gate = new SemaphoreSlim(_options.MaxConcurrency);
        var inFlight = new List<Task>();
        for (long r = 0; r < run.Texts.Length; r++)
        {
            if (run.Done[r])
            {
                continue;
            }

            try
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (Volatile.Read(ref run.Failure) is not null || cancellationToken.IsCancellationRequested)
            {
                gate.Release();
                break;
            }

            long row = r;
            inFlight.Add(Task.Run(() => AnswerAsync(run, row, pipeline, gate, cancellationToken), CancellationToken.None));
            await run.FlushAsync(all: false).ConfigureAwait(false);
            if (inFlight.Count > 4 * _options.MaxConcurrency)
            {
                inFlight.RemoveAll(t => t.IsCompleted);
            }
        }

        await Task.WhenAll(inFlight).ConfigureAwait(false);
    }

    /// <summary>One row's request: its answer parsed into the row's soft labels, or its failure recorded; then the gate is released and progress reported.</summary>
    private async Task AnswerAsync(LlmLabelingRun run, long row, ResiliencePipeline<ChatResponse> pipeline, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        try
        {
            await AskAsync(run.Texts[row], run.Classes, run.Rows, row, pipeline, run.Counters, cancellationToken).ConfigureAwait(false);
            run.Answered(row);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && (e is OperationCanceledException || IsTransient(e)))
        {
            // Stopped while waiting to retry, or a retryable failure after the stop (not retried then): the row
            // was not answered, and the endpoint did not fail; a rerun asks it.
        }
        catch (Exception e)
        {
            run.Failed(row, e);
        }
        finally
        {
            gate.Release();
        }

        run.Report();
    }

    /// <summary>
    /// Stage 3: when every row is answered, one write of the whole cache, in input order, then the chunks go: a run killed
    /// in between finds the cache complete (and the chunks' same rows), merges again and removes them.
    /// </summary>
    private static void SaveCache(LlmLabelingRun run, bool complete)
    {
        if (complete && (run.Chunks.Read > 0 || run.Chunks.Written > 0 || !File.Exists(run.CachePath)))
        {
            run.Rows.Save(run.CachePath, run.Texts.Length, run.Metadata);
            run.Chunks.Delete();
            run.Report();
        }
    }

    /// <summary>Stage 4: what was done and what it cost, also for a run that stopped or failed.</summary>
    private LlmLabelingSummary Summarize(LlmLabelingRun run, Stopwatch watch)
    {
        var counters = run.Counters;
        return new LlmLabelingSummary
        {
            RowsTotal = run.Texts.Length,
            RowsLabeled = counters.Answered,
            RowsResumed = run.Resumed,
            RowsSaved = run.Saved,
            UnknownAnswers = counters.Unknown,
            AnswersWithoutLogProbabilities = counters.WithoutLogProbabilities,
            Requests = counters.Requests,
            Retries = counters.Retries,
            Throttled = counters.Throttled,
            RetriesWithRetryAfter = counters.RetryAfter,
            InputTokens = counters.InputTokens,
            OutputTokens = counters.OutputTokens,
            Cost = _options.Cost(counters.InputTokens, counters.OutputTokens),
            Seconds = Math.Round(watch.Elapsed.TotalSeconds, 3),
            Model = _options.Model,
            TeacherSha256 = TeacherSha256,
        };
    }

    /// <summary>Stage 5: a run that failed or was stopped throws, saying what the chunks keep and how to go on.</summary>
    private void ThrowIfStopped(LlmLabelingRun run, bool complete, string cachePath, CancellationToken cancellationToken)
    {
        long rows = run.Texts.Length, saved = run.Saved;
        long firstMissing = Array.IndexOf(run.Done, false);
        string kept = string.Create(CultureInfo.InvariantCulture,
            $"'{run.Chunks.Folder}' (beside '{cachePath}') keeps {saved:N0} of {rows:N0} rows; run again to ask only the {rows - saved:N0} missing rows (the first is row {firstMissing})");

        if (run.Failure is { } failure)
        {
            string what = Status(failure) is int status and > 0 ? $"HTTP {status}" : failure.GetType().Name;
            throw new HttpRequestException(
                $"The LLM endpoint failed for row {run.FailedRow.ToString(CultureInfo.InvariantCulture)} ({what}: {failure.Message}) after {_options.MaxRetries} retries. " +
                $"Fix the endpoint (address, key, model): {kept}.",
                failure, Status(failure) is int code and > 0 ? (HttpStatusCode)code : null);
        }

        if (!complete)
        {
            throw new OperationCanceledException($"Labeling was stopped: {kept}.", cancellationToken);
        }
    }

    private async Task AskAsync(string text, string[] classes, LlmCacheRows rows, long row, ResiliencePipeline<ChatResponse> pipeline, Counters counters, CancellationToken stop)
    {
        var messages = new[] { new AIChatMessage(AIChatRole.User, LlmAnswer.Prompt(_options.PromptTemplate, classes, text)) };
        var chatOptions = new ChatOptions
        {
            ModelId = _options.Model,
            MaxOutputTokens = _options.MaxOutputTokens,
            Temperature = 0f,
            RawRepresentationFactory = _ => new ChatCompletionOptions { IncludeLogProbabilities = true, TopLogProbabilityCount = _options.TopLogProbabilities },
        };

        // The stop token reaches the pipeline, so a stopped run does not sit out a retry's wait (a Retry-After of a minute),
        // but not the request: one in flight is paid for, so its answer is waited for and kept.
        ChatResponse response = await pipeline.ExecuteAsync(async _ =>
        {
            Interlocked.Increment(ref counters.Requests);
            return await _client.GetResponseAsync(messages, chatOptions, CancellationToken.None).ConfigureAwait(false);
        }, stop).ConfigureAwait(false);

        if (response.Usage is { } usage)
        {
            Interlocked.Add(ref counters.InputTokens, usage.InputTokenCount ?? 0);
            Interlocked.Add(ref counters.OutputTokens, usage.OutputTokenCount ?? 0);
        }

        var soft = rows.Soft(row);
        bool known;
        if (TopLogProbabilities(response) is { Count: > 0 } top)
        {
            known = LlmAnswer.FromTopLogProbabilities(classes, top, soft);
        }
        else
        {
            Interlocked.Increment(ref counters.WithoutLogProbabilities);
            known = LlmAnswer.FromText(classes, response.Text, soft);
        }

        Fill(known, soft, rows.Logits(row), _options.UnknownAnswer, counters);
        Interlocked.Increment(ref counters.Answered);
    }

    /// <summary>Writes the logits for a mapped answer, or the unknown-answer policy's row, and counts unknown answers.</summary>
    internal static void Fill(bool known, Span<float> soft, Span<float> logits, LlmUnknownAnswer policy, Counters counters)
    {
        if (known)
        {
            LlmAnswer.Logits(soft, logits);
            return;
        }

        Interlocked.Increment(ref counters.Unknown);
        if (policy == LlmUnknownAnswer.Uniform)
        {
            soft.Fill(1f / soft.Length);
            logits.Clear();
        }
        else
        {
            soft.Fill(float.NaN);
            logits.Fill(float.NaN);
        }
    }

    /// <summary>The first answer token's top log-probabilities from an OpenAI-compatible response (or the token itself when no alternatives were listed).</summary>
    internal static List<(string Token, float LogProbability)>? TopLogProbabilities(ChatResponse response)
    {
        if (response.RawRepresentation is not ChatCompletion { ContentTokenLogProbabilities: { Count: > 0 } tokens })
        {
            return null;
        }

        var first = tokens[0];
        var top = new List<(string, float)>(first.TopLogProbabilities.Count + 1);
        foreach (var t in first.TopLogProbabilities)
        {
            top.Add((t.Token, t.LogProbability));
        }

        if (top.Count == 0)
        {
            top.Add((first.Token, first.LogProbability));
        }

        return top;
    }

    private ResiliencePipeline<ChatResponse> Retries(Counters counters, CancellationToken stop)
    {
        var builder = new ResiliencePipelineBuilder<ChatResponse>();
        if (_options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<ChatResponse>
            {
                ShouldHandle = args => ValueTask.FromResult(!stop.IsCancellationRequested && args.Outcome.Exception is { } e && IsTransient(e)),
                MaxRetryAttempts = _options.MaxRetries,
                Delay = _options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,

                // A 429/503 saying how long to wait (Retry-After) is waited that long, up to MaxRetryAfter; null keeps the back-off.
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Exception)),
                OnRetry = args =>
                {
                    Interlocked.Increment(ref counters.Retries);
                    if (args.Outcome.Exception is { } e && Status(e) == 429)
                    {
                        Interlocked.Increment(ref counters.Throttled);
                    }

                    if (RetryAfter(args.Outcome.Exception) is not null)
                    {
                        Interlocked.Increment(ref counters.RetryAfter);
                    }

                    return default;
                },
            });
        }

        return builder.Build();
    }

    /// <summary>The wait a failure's Retry-After header asks for, capped at <see cref="LlmLabelerOptions.MaxRetryAfter"/>; <see langword="null"/> when it has none.</summary>
    private TimeSpan? RetryAfter(Exception? failure) =>
        LlmRetryAfter.From(failure, DateTimeOffset.UtcNow) is TimeSpan wait ? (wait < _options.MaxRetryAfter ? wait : _options.MaxRetryAfter) : null;

    /// <summary>Whether a failure is worth retrying: 429, 5xx, or no answer at all (connection refused, reset, timed out).</summary>
    internal static bool IsTransient(Exception e) => Status(e) switch
    {
        null or 0 => e is ClientResultException or HttpRequestException or IOException or TimeoutException or TaskCanceledException,
        429 or 408 => true,
        int status => status >= 500,
    };

    private static int? Status(Exception e) => e switch
    {
        ClientResultException c => c.Status,
        HttpRequestException h => h.StatusCode is { } code ? (int)code : null,
        _ => e.InnerException is { } inner ? Status(inner) : null,
    };

    private static string[] ReadTexts(IDataView data, string column)
    {
        var col = data.Schema.GetColumnOrNull(column)
            ?? throw new ArgumentException(
                $"The data has no text column '{column}' (it has {string.Join(", ", data.Schema.Where(c => !c.IsHidden).Select(c => c.Name))}): set TextColumnName to the column that holds the texts.", nameof(data));
        if (col.Type is not TextDataViewType)
        {
            throw new ArgumentException($"Column '{column}' holds {col.Type}, not text: the labeler sends each row's text to the model; name a string column.", nameof(data));
        }

        var texts = new List<string>();
        using var cursor = data.GetRowCursor([col]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(col);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            texts.Add(value.ToString());
        }

        return [.. texts];
    }

    /// <summary>What a run counts, updated from several requests at once.</summary>
    internal sealed class Counters
    {
        public long Requests;
        public long Retries;
        public long Throttled;
        public long RetryAfter;
        public long Answered;
        public long Unknown;
        public long WithoutLogProbabilities;
        public long InputTokens;
        public long OutputTokens;
    }
}
