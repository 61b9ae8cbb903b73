namespace MLNetDistill.Llm;

/// <summary>What an LLM labeling run (or a batch import) did and cost.</summary>
/// <example>
/// <code language="csharp">
/// LlmLabelingSummary summary = await labeler.LabelAsync(data, "cache.parquet");
/// Console.WriteLine($"{summary.RowsLabeled} rows labeled ({summary.RowsResumed} from the earlier run), {summary.UnknownAnswers} unknown answers, " +
///     $"{summary.InputTokens + summary.OutputTokens} tokens, cost {summary.Cost:F4}");
/// </code>
/// </example>
public sealed record LlmLabelingSummary
{
    /// <summary>Gets the data's rows.</summary>
    public long RowsTotal { get; init; }

    /// <summary>Gets the rows answered in this run (requests that were paid for).</summary>
    public long RowsLabeled { get; init; }

    /// <summary>Gets the rows read back from the cache of an earlier run and not asked again.</summary>
    public long RowsResumed { get; init; }

    /// <summary>Gets the rows kept on disk when the run ended: all of them in the cache file after a complete run; after a stopped or failed one, those in the cache file and its chunk folder, which a rerun does not ask again.</summary>
    public long RowsSaved { get; init; }

    /// <summary>Gets the answers (of this run) that named no known class; their rows got <see cref="LlmLabelerOptions.UnknownAnswer"/>.</summary>
    public long UnknownAnswers { get; init; }

    /// <summary>Gets the rows a batch import found no successful answer for (no line, or an error line); counted in <see cref="UnknownAnswers"/> too and given <see cref="LlmLabelerOptions.UnknownAnswer"/>.</summary>
    public long MissingRows { get; init; }

    /// <summary>Gets the answers that came without log-probabilities, labeled one-hot from the answer's text (a client or endpoint that does not return them).</summary>
    public long AnswersWithoutLogProbabilities { get; init; }

    /// <summary>Gets the HTTP requests made, retries included.</summary>
    public long Requests { get; init; }

    /// <summary>Gets the requests retried (429, 5xx, no connection).</summary>
    public long Retries { get; init; }

    /// <summary>Gets the retries caused by HTTP 429 (too many requests).</summary>
    public long Throttled { get; init; }

    /// <summary>Gets the retries that waited what a 429 or 503 answer's <c>Retry-After</c> header asked (up to <see cref="LlmLabelerOptions.MaxRetryAfter"/>) instead of the exponential back-off; counted in <see cref="Retries"/> too.</summary>
    public long RetriesWithRetryAfter { get; init; }

    /// <summary>Gets the prompt tokens the endpoint counted.</summary>
    public long InputTokens { get; init; }

    /// <summary>Gets the answer tokens the endpoint counted.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Gets the cost from the token counts and <see cref="LlmLabelerOptions.InputCostPerMillionTokens"/> and <see cref="LlmLabelerOptions.OutputCostPerMillionTokens"/>, in their currency.</summary>
    public double Cost { get; init; }

    /// <summary>Gets the wall-clock seconds of the run.</summary>
    public double Seconds { get; init; }

    /// <summary>Gets the model id written into the cache's metadata (<c>teacher_file</c> is <c>llm:MODEL</c>).</summary>
    public string Model { get; init; } = "";

    /// <summary>Gets the SHA-256 that stands for the teacher in the cache: of the model id, the prompt template and the class names.</summary>
    public string TeacherSha256 { get; init; } = "";
}
