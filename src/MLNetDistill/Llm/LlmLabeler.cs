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

namespace MLNetDistill.Llm;

/// <summary>
/// A large language model as a teacher known only by its answers: for each text row it asks the model (through any
/// <see cref="IChatClient"/>) to name one class, reads the first answer token's top log-probabilities, maps the class
/// names' tokens to the classes and renormalises, and writes the soft labels in the public teacher-cache format (see
/// <c>Data/CacheFormat.md</c>), where the model id and the prompt's hash take the place of the teacher's SHA-256.
/// </summary>
/// <remarks>
/// <para>Requests run <see cref="LlmLabelerOptions.MaxConcurrency"/> at a time; a 429, a 5xx or a lost connection is
/// retried with exponential back-off (Polly), counted in the summary. Tokens and cost are counted from the endpoint's usage.</para>
/// <para>Resumable: every <see cref="LlmLabelerOptions.ChunkRows"/> answered rows the cache file is saved with the rows done
/// so far (written under a temporary name and renamed, so a killed run never leaves half a file). A run given a cache of
/// the same model, prompt, classes and data reads it back and asks only the rows after it. A cancelled run stops asking,
/// waits for the requests in flight (they are paid for), saves, then throws <see cref="OperationCanceledException"/>.</para>
/// <para>An answer naming no class is counted and handled by <see cref="LlmLabelerOptions.UnknownAnswer"/>, never guessed.
/// An endpoint that keeps failing stops the run after the retries with an error naming the row; the cache keeps what was done.</para>
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

    /// <summary>Labels every row of <paramref name="data"/> (continuing an earlier run's cache at <paramref name="cachePath"/>) and saves the soft labels there.</summary>
    /// <param name="data">The rows, with the text column <see cref="LlmLabelerOptions.TextColumnName"/>.</param>
    /// <param name="cachePath">The cache file (<c>.parquet</c> or <c>.csv</c>); when it exists and was made by the same model, prompt, classes and data, its rows are kept and not asked again.</param>
    /// <param name="progress">Receives the rows done after each answer and each checkpoint.</param>
    /// <param name="cancellationToken">Stops asking new rows; the requests in flight finish, the cache is saved, then <see cref="OperationCanceledException"/> is thrown.</param>
    /// <returns>What was done and what it cost.</returns>
    /// <exception cref="ArgumentException">The text column is missing or not text.</exception>
    /// <exception cref="InvalidDataException">The file at <paramref name="cachePath"/> is a cache of another model, prompt, classes or data.</exception>
    /// <exception cref="HttpRequestException">The endpoint failed for a row after the retries; the cache keeps the rows before it.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the cache keeps the rows answered.</exception>
    public async Task<LlmLabelingSummary> LabelAsync(IDataView data, string cachePath, IProgress<LlmLabelingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(cachePath);
        var watch = Stopwatch.StartNew();
        string[] texts = ReadTexts(data, _options.TextColumnName);
        string[] classes = [.. _options.Classes];
        var rows = new LlmCacheRows(texts.Length, classes.Length);
        long resumed = rows.Resume(cachePath, TeacherSha256, _options.DataFingerprint);
        var counters = new Counters();
        var done = new bool[texts.Length];
        Array.Fill(done, true, 0, (int)resumed);
        long prefix = resumed, saved = resumed;
        var sync = new object();
        Exception? failure = null;
        long failedRow = -1;
        var pipeline = Retries(counters, cancellationToken);
        var metadata = new CacheMetadata
        {
            TeacherSha256 = TeacherSha256,
            TeacherFile = LlmAnswer.TeacherFile(_options.Model, _options.PromptTemplate),
            Temperature = 1f,
            DataFingerprint = _options.DataFingerprint,
        };

        void Report() => progress?.Report(new LlmLabelingProgress(Volatile.Read(ref prefix), texts.Length, Volatile.Read(ref saved), Interlocked.Read(ref counters.Retries)));

        using (var gate = new SemaphoreSlim(_options.MaxConcurrency))
        {
            var inFlight = new List<Task>();
            for (long r = resumed; r < texts.Length; r++)
            {
                try
                {
                    await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                if (Volatile.Read(ref failure) is not null || cancellationToken.IsCancellationRequested)
                {
                    gate.Release();
                    break;
                }

                long row = r;
                inFlight.Add(Task.Run(async () =>
                {
                    try
                    {
                        await AskAsync(texts[row], classes, rows, row, pipeline, counters).ConfigureAwait(false);
                        lock (sync)
                        {
                            done[row] = true;
                            long p = prefix;
                            while (p < done.Length && done[p])
                            {
                                p++;
                            }

                            Volatile.Write(ref prefix, p);
                        }
                    }
                    catch (Exception e)
                    {
                        lock (sync)
                        {
                            if (failure is null || row < failedRow)
                            {
                                failure = e;
                                failedRow = row;
                            }
                        }
                    }
                    finally
                    {
                        gate.Release();
                    }

                    Report();
                }, CancellationToken.None));

                long ready = Volatile.Read(ref prefix);
                if (ready - saved >= _options.ChunkRows)
                {
                    rows.Save(cachePath, ready, metadata);
                    saved = ready;
                    Report();
                }

                if (inFlight.Count > 4 * _options.MaxConcurrency)
                {
                    inFlight.RemoveAll(t => t.IsCompleted);
                }
            }

            await Task.WhenAll(inFlight).ConfigureAwait(false);
        }

        if (prefix > saved || !File.Exists(cachePath))
        {
            rows.Save(cachePath, prefix, metadata);
            saved = prefix;
            Report();
        }

        var summary = new LlmLabelingSummary
        {
            RowsTotal = texts.Length,
            RowsLabeled = counters.Answered,
            RowsResumed = resumed,
            RowsSaved = saved,
            UnknownAnswers = counters.Unknown,
            AnswersWithoutLogProbabilities = counters.WithoutLogProbabilities,
            Requests = counters.Requests,
            Retries = counters.Retries,
            Throttled = counters.Throttled,
            InputTokens = counters.InputTokens,
            OutputTokens = counters.OutputTokens,
            Cost = _options.Cost(counters.InputTokens, counters.OutputTokens),
            Seconds = Math.Round(watch.Elapsed.TotalSeconds, 3),
            Model = _options.Model,
            TeacherSha256 = TeacherSha256,
        };
        LastSummary = summary;

        if (failure is not null)
        {
            string what = Status(failure) is int status and > 0 ? $"HTTP {status}" : failure.GetType().Name;
            throw new HttpRequestException(
                $"The LLM endpoint failed for row {failedRow.ToString(CultureInfo.InvariantCulture)} ({what}: {failure.Message}) after {_options.MaxRetries} retries. " +
                $"'{cachePath}' keeps the {saved:N0} rows labeled before it: fix the endpoint (address, key, model) and run again to continue from row {saved.ToString(CultureInfo.InvariantCulture)}.",
                failure, Status(failure) is int code and > 0 ? (HttpStatusCode)code : null);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(
                $"Labeling was stopped: '{cachePath}' keeps {saved:N0} of {texts.Length:N0} rows; run again to continue from row {saved.ToString(CultureInfo.InvariantCulture)}.", cancellationToken);
        }

        return summary;
    }

    /// <summary>Gets the summary of the last <see cref="LabelAsync"/> run, also when it threw (stopped or failed): what was done and paid for.</summary>
    public LlmLabelingSummary? LastSummary { get; private set; }

    private async Task AskAsync(string text, string[] classes, LlmCacheRows rows, long row, ResiliencePipeline<ChatResponse> pipeline, Counters counters)
    {
        var messages = new[] { new AIChatMessage(AIChatRole.User, LlmAnswer.Prompt(_options.PromptTemplate, classes, text)) };
        var chatOptions = new ChatOptions
        {
            ModelId = _options.Model,
            MaxOutputTokens = _options.MaxOutputTokens,
            Temperature = 0f,
            RawRepresentationFactory = _ => new ChatCompletionOptions { IncludeLogProbabilities = true, TopLogProbabilityCount = _options.TopLogProbabilities },
        };

        ChatResponse response = await pipeline.ExecuteAsync(async token =>
        {
            Interlocked.Increment(ref counters.Requests);
            return await _client.GetResponseAsync(messages, chatOptions, token).ConfigureAwait(false);
        }, CancellationToken.None).ConfigureAwait(false);

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
                OnRetry = args =>
                {
                    Interlocked.Increment(ref counters.Retries);
                    if (args.Outcome.Exception is { } e && Status(e) == 429)
                    {
                        Interlocked.Increment(ref counters.Throttled);
                    }

                    return default;
                },
            });
        }

        return builder.Build();
    }

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
        public long Answered;
        public long Unknown;
        public long WithoutLogProbabilities;
        public long InputTokens;
        public long OutputTokens;
    }
}
