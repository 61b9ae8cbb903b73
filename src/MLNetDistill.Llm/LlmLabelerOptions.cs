using System.Globalization;

namespace MLNetDistill.Llm;

/// <summary>Options of <see cref="LlmLabeler"/> and <see cref="LlmBatchImporter"/>: the classes, the model and prompt, and how the endpoint is called.</summary>
/// <remarks>The labeler keeps a copy made when it is built, checked then: changing the options afterwards does not change it.</remarks>
/// <example>
/// <code language="csharp">
/// var options = new LlmLabelerOptions { Model = "gpt-4o-mini", TextColumnName = "Text", MaxConcurrency = 8, InputCostPerMillionTokens = 0.15, OutputCostPerMillionTokens = 0.6 };
/// options.Classes.Add("ham");
/// options.Classes.Add("spam");
/// </code>
/// </example>
public sealed class LlmLabelerOptions
{
    /// <summary>The placeholder in <see cref="PromptTemplate"/> replaced by the class names, comma-separated.</summary>
    public const string ClassesPlaceholder = "{classes}";

    /// <summary>The placeholder in <see cref="PromptTemplate"/> replaced by the row's text.</summary>
    public const string TextPlaceholder = "{text}";

    /// <summary>The prompt used when none is given.</summary>
    public const string DefaultPromptTemplate =
        "Classify the text below as exactly one of these classes: {classes}.\nAnswer with the class name only, in lower case.\n\nText:\n{text}";

    /// <summary>Gets the class names, in the order of the soft labels (class 0 first). Each must start differently from the others (the first answer token picks the class).</summary>
    /// <value>Defaults to empty; at least two are needed.</value>
    public IList<string> Classes { get; } = new List<string>();

    /// <summary>Gets or sets the model id sent to the endpoint and written into the cache (<c>teacher_file</c> = <c>llm:MODEL</c>).</summary>
    /// <value>Defaults to empty; it must be set.</value>
    public string Model { get; set; } = "";

    /// <summary>Gets or sets the prompt, with <c>{classes}</c> and <c>{text}</c> placeholders; its hash is part of the cache's identity.</summary>
    /// <value>Defaults to <see cref="DefaultPromptTemplate"/>.</value>
    public string PromptTemplate { get; set; } = DefaultPromptTemplate;

    /// <summary>Gets or sets the data's text column (a string column).</summary>
    /// <value>Defaults to <c>Text</c>.</value>
    public string TextColumnName { get; set; } = "Text";

    /// <summary>Gets or sets how many log-probabilities of the first answer token are asked for (<c>top_logprobs</c>), 1 to 20.</summary>
    /// <value>Defaults to 10.</value>
    public int TopLogProbabilities { get; set; } = 10;

    /// <summary>Gets or sets the most tokens the model may answer with; only the first is read.</summary>
    /// <value>Defaults to 1 (the cheapest: the answer's first token is what is read).</value>
    public int MaxOutputTokens { get; set; } = 1;

    /// <summary>Gets or sets how many requests are in flight at once, 1 to 256.</summary>
    /// <value>Defaults to 4.</value>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Gets or sets how many times a request that failed with 429, 5xx or no connection is retried, with exponential back-off, 0 to 20.</summary>
    /// <value>Defaults to 5.</value>
    public int MaxRetries { get; set; } = 5;

    /// <summary>Gets or sets the first retry's delay; it doubles at each further retry (with jitter). From 0 to 10 minutes.</summary>
    /// <value>Defaults to 1 second.</value>
    /// <remarks>A 429 or 503 answer with a <c>Retry-After</c> header waits what the header asks instead, up to <see cref="MaxRetryAfter"/>.</remarks>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets the longest wait a 429 (too many requests) or 503 (unavailable) answer's <c>Retry-After</c> header is
    /// honoured with, from 0 to 10 minutes. The header (seconds, or an HTTP date) replaces the exponential back-off of
    /// <see cref="RetryDelay"/> for that retry; a longer wait asked for is cut to this. Answers without the header keep the back-off.
    /// </summary>
    /// <value>Defaults to 60 seconds: long enough for a per-minute rate limit to reset, short enough that a server asking for hours does not stall the run.</value>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets or sets how many newly answered rows make one chunk, 1 to 1,000,000: each chunk is written once, as its own file
    /// in the folder <c>CACHE.chunks</c> beside the cache, and never rewritten; when every row is answered the chunks are
    /// merged into the cache file and the folder is removed (see <c>Cache/CacheFormat.md</c>).
    /// </summary>
    /// <value>Defaults to 500: a killed run loses at most the rows answered since the last chunk (and those in flight), which a rerun asks again.</value>
    public int ChunkRows { get; set; } = 500;

    /// <summary>Gets or sets what a row gets whose answer names no known class.</summary>
    /// <value>Defaults to <see cref="LlmUnknownAnswer.Uniform"/>.</value>
    public LlmUnknownAnswer UnknownAnswer { get; set; } = LlmUnknownAnswer.Uniform;

    /// <summary>Gets or sets the price of a million prompt tokens, for the summary's cost; 0 or more.</summary>
    /// <value>Defaults to 0 (no cost reported).</value>
    public double InputCostPerMillionTokens { get; set; }

    /// <summary>Gets or sets the price of a million answer tokens, for the summary's cost; 0 or more.</summary>
    /// <value>Defaults to 0 (no cost reported).</value>
    public double OutputCostPerMillionTokens { get; set; }

    /// <summary>Gets or sets the data's fingerprint written into the cache (see <see cref="Data.FileFingerprint.Data"/>); a rerun continues only a cache of the same data.</summary>
    /// <value>Defaults to empty (unknown: not checked).</value>
    public string DataFingerprint { get; set; } = "";

    /// <summary>A checked copy (class names trimmed), so later edits do not reach the labeler.</summary>
    /// <param name="model">The model id to use instead of <see cref="Model"/> (a batch output's own), or <see langword="null"/> to keep it.</param>
    internal LlmLabelerOptions Validated(string? model = null)
    {
        var copy = new LlmLabelerOptions
        {
            Model = (model ?? Model)?.Trim() ?? "",
            PromptTemplate = PromptTemplate,
            TextColumnName = TextColumnName,
            TopLogProbabilities = TopLogProbabilities,
            MaxOutputTokens = MaxOutputTokens,
            MaxConcurrency = MaxConcurrency,
            MaxRetries = MaxRetries,
            RetryDelay = RetryDelay,
            MaxRetryAfter = MaxRetryAfter,
            ChunkRows = ChunkRows,
            UnknownAnswer = UnknownAnswer,
            InputCostPerMillionTokens = InputCostPerMillionTokens,
            OutputCostPerMillionTokens = OutputCostPerMillionTokens,
            DataFingerprint = DataFingerprint ?? "",
        };
        foreach (string name in Classes)
        {
            copy.Classes.Add(name?.Trim() ?? "");
        }

        copy.Check();
        return copy;
    }

    /// <summary>The price of <paramref name="inputTokens"/> and <paramref name="outputTokens"/> at the per-million-token prices.</summary>
    internal double Cost(long inputTokens, long outputTokens) =>
        (inputTokens * InputCostPerMillionTokens / 1e6) + (outputTokens * OutputCostPerMillionTokens / 1e6);

    private void Check()
    {
        if (Classes.Count < 2)
        {
            throw new ArgumentException($"Classes has {Classes.Count} class name(s): give at least two, in the order of the soft labels (for example ham, spam).", nameof(Classes));
        }

        for (int i = 0; i < Classes.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Classes[i]))
            {
                throw new ArgumentException($"Class {i} has an empty name: every class needs a name the model can answer with.", nameof(Classes));
            }

            for (int j = 0; j < i; j++)
            {
                if (Classes[i].StartsWith(Classes[j], StringComparison.OrdinalIgnoreCase) || Classes[j].StartsWith(Classes[i], StringComparison.OrdinalIgnoreCase))
                {
                    throw new ArgumentException(
                        $"Classes '{Classes[j]}' and '{Classes[i]}' start alike (one is the start of the other, ignoring case), so the answer's first token cannot tell them apart: rename one.",
                        nameof(Classes));
                }
            }
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(Model, nameof(Model));
        ArgumentException.ThrowIfNullOrWhiteSpace(TextColumnName, nameof(TextColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(PromptTemplate, nameof(PromptTemplate));
        if (!PromptTemplate.Contains(TextPlaceholder, StringComparison.Ordinal))
        {
            throw new ArgumentException($"PromptTemplate has no '{TextPlaceholder}' placeholder, so the row's text would never reach the model: add it (for example \"{DefaultPromptTemplate.Replace("\n", "\\n", StringComparison.Ordinal)}\").", nameof(PromptTemplate));
        }

        Range(nameof(TopLogProbabilities), TopLogProbabilities, 1, 20);
        Range(nameof(MaxOutputTokens), MaxOutputTokens, 1, 4096);
        Range(nameof(MaxConcurrency), MaxConcurrency, 1, 256);
        Range(nameof(MaxRetries), MaxRetries, 0, 20);
        Range(nameof(ChunkRows), ChunkRows, 1, 1_000_000);
        if (RetryDelay < TimeSpan.Zero || RetryDelay > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(RetryDelay), RetryDelay, $"RetryDelay must be from 0 to 10 minutes but was {RetryDelay}.");
        }

        if (MaxRetryAfter < TimeSpan.Zero || MaxRetryAfter > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(
                nameof(MaxRetryAfter), MaxRetryAfter, string.Create(CultureInfo.InvariantCulture, $"MaxRetryAfter must be from 0 to 10 minutes (600 seconds) but was {MaxRetryAfter.TotalSeconds} seconds: it caps the wait a 429/503 answer's Retry-After header asks for (60 seconds is usual)."));
        }

        if (!Enum.IsDefined(UnknownAnswer))
        {
            throw new ArgumentOutOfRangeException(nameof(UnknownAnswer), UnknownAnswer, $"UnknownAnswer {UnknownAnswer} is not one of {string.Join(", ", Enum.GetNames<LlmUnknownAnswer>())}.");
        }

        Price(nameof(InputCostPerMillionTokens), InputCostPerMillionTokens);
        Price(nameof(OutputCostPerMillionTokens), OutputCostPerMillionTokens);
    }

    private static void Range(string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)} but was {value.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    private static void Price(string name, double value)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite price of 0 or more but was {value.ToString(CultureInfo.InvariantCulture)}.");
        }
    }
}
