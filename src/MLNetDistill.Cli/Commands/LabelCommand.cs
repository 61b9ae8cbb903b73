using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Llm;

namespace MLNetDistill.Cli.Commands;

/// <summary>
/// <c>mlnet-distill label</c>: soft labels for a text file from a large language model behind an OpenAI-compatible endpoint
/// (or imported from a batch job's JSONL), written as a teacher cache. The API key comes from the environment only.
/// </summary>
internal static class LabelCommand
{
    /// <summary>The environment variables the API key is read from, in order.</summary>
    internal static readonly string[] KeyVariables = ["MLNETDISTILL_LLM_API_KEY", "OPENAI_API_KEY"];

    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        [nameof(LlmLabelerOptions.Classes)] = "--classes",
        [nameof(LlmLabelerOptions.Model)] = "--model",
        [nameof(LlmLabelerOptions.PromptTemplate)] = "--prompt",
        [nameof(LlmLabelerOptions.TopLogProbabilities)] = "--top-logprobs",
        [nameof(LlmLabelerOptions.MaxConcurrency)] = "--concurrency",
        [nameof(LlmLabelerOptions.MaxRetries)] = "--retries",
        [nameof(LlmLabelerOptions.ChunkRows)] = "--chunk-rows",
        [nameof(LlmLabelerOptions.MaxRetryAfter)] = "--max-retry-after",
        [nameof(LlmLabelerOptions.InputCostPerMillionTokens)] = "--input-cost",
        [nameof(LlmLabelerOptions.OutputCostPerMillionTokens)] = "--output-cost",
        ["endpoint"] = "--llm-endpoint",
        ["data"] = "--data",
    };

    public static Command Create()
    {
        var endpoint = new Option<string?>("--llm-endpoint") { Description = "The OpenAI-compatible API's base address, e.g. https://api.openai.com/v1 (requests go to .../chat/completions). The key is read from MLNETDISTILL_LLM_API_KEY or OPENAI_API_KEY, never from the command line." };
        var model = new Option<string?>("--model") { Description = "The model id (sent to the endpoint and written into the cache as llm:MODEL)." };
        var classes = new Option<string>("--classes") { Description = "The class names, comma-separated, in the order of the soft labels (class 0 first), e.g. ham,spam.", Required = true };
        var data = new Option<string>("--data") { Description = "The texts: a CSV/TSV file with a header (UTF-8, RFC 4180 quoting).", Required = true };
        var text = new Option<string>("--text") { Description = "The text column.", DefaultValueFactory = _ => "Text" };
        var output = new Option<string>("--out") { Description = "The cache: OUT.parquet or OUT.csv, written when every row is answered (until then answered rows go in chunks to OUT.chunks/). An existing cache or chunks of the same model, prompt, classes and data are continued (rows already labeled are not asked again).", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "The prompt template with {classes} and {text} (default: asks for the class name only)." };
        var promptFile = new Option<string?>("--prompt-file") { Description = "A UTF-8 file holding the prompt template (instead of --prompt)." };
        var topLogprobs = new Option<int>("--top-logprobs") { Description = "Log-probabilities of the first answer token asked for (1-20).", DefaultValueFactory = _ => 10 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once.", DefaultValueFactory = _ => 4 };
        var retries = new Option<int>("--retries") { Description = "Retries of a request that failed with 429, 5xx or no connection (exponential back-off from 1 s, or the server's Retry-After on 429/503).", DefaultValueFactory = _ => 5 };
        var chunk = new Option<int>("--chunk-rows") { Description = "Rows per chunk: answered rows are written in chunks of this many to OUT.chunks/ (each written once), merged into OUT at the end; a killed run loses at most these.", DefaultValueFactory = _ => 500 };
        var maxRetryAfter = new Option<double>("--max-retry-after") { Description = "Longest wait, in seconds (0-600), a 429/503 answer's Retry-After header is honoured with (a longer one is cut to this); it replaces the back-off for that retry.", DefaultValueFactory = _ => 60 };
        var unknown = new Option<string>("--unknown") { Description = "A row whose answer names no class: uniform (soft label 1/K) or skip (NaN: students use its hard label alone, or leave it out). Counted either way.", DefaultValueFactory = _ => "uniform" };
        var inputCost = new Option<double>("--input-cost") { Description = "Price of a million prompt tokens, for the cost in the summary.", DefaultValueFactory = _ => 0 };
        var outputCost = new Option<double>("--output-cost") { Description = "Price of a million answer tokens, for the cost in the summary.", DefaultValueFactory = _ => 0 };
        var importBatch = new Option<string?>("--import-batch") { Description = "Import an OpenAI-compatible batch job's output (JSONL, custom_id = 0-based row index) instead of calling an endpoint." };
        var command = new Command("label", "Soft labels for texts from a large language model (the first answer token's log-probabilities over the class names), written as a teacher cache.")
        {
            endpoint, model, classes, data, text, output, prompt, promptFile, topLogprobs, concurrency, retries, chunk, maxRetryAfter, unknown, inputCost, outputCost, importBatch,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            string dataPath = parse.GetValue(data)!;
            string outPath = parse.GetValue(output)!;
            OutputFolder.PrepareForFile(outPath, "output");
            IDataView texts = DataSourceReader.LoadText(dataPath, parse.GetValue(text)!, labelColumnName: null, labelOptional: true);
            long rows = CountRows(texts);
            var options = new LlmLabelerOptions
            {
                Model = parse.GetValue(model) ?? "",
                TextColumnName = parse.GetValue(text)!,
                TopLogProbabilities = parse.GetValue(topLogprobs),
                MaxConcurrency = parse.GetValue(concurrency),
                MaxRetries = parse.GetValue(retries),
                ChunkRows = parse.GetValue(chunk),
                MaxRetryAfter = Seconds(parse.GetValue(maxRetryAfter)),
                UnknownAnswer = parse.GetValue(unknown)!.Trim().ToLowerInvariant() switch
                {
                    "uniform" => LlmUnknownAnswer.Uniform,
                    "skip" => LlmUnknownAnswer.Skip,
                    string other => throw new ArgumentException($"--unknown '{other}' is not uniform or skip."),
                },
                InputCostPerMillionTokens = parse.GetValue(inputCost),
                OutputCostPerMillionTokens = parse.GetValue(outputCost),
                DataFingerprint = FileFingerprint.Data(dataPath, rows, token),
            };
            foreach (string name in parse.GetValue(classes)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                options.Classes.Add(name);
            }

            if (parse.GetValue(prompt) is not null && parse.GetValue(promptFile) is not null)
            {
                throw new ArgumentException("Give --prompt or --prompt-file, not both.");
            }

            if ((parse.GetValue(promptFile) is { } file ? File.ReadAllText(file) : parse.GetValue(prompt)) is { } template)
            {
                options.PromptTemplate = template;
            }

            LlmLabelingSummary summary;
            if (parse.GetValue(importBatch) is { } jsonl)
            {
                summary = LlmBatchImporter.Import(jsonl, rows, outPath, options, token);
            }
            else
            {
                string url = parse.GetValue(endpoint) ?? throw new ArgumentException("label needs --llm-endpoint URL (the API's base address, e.g. https://api.openai.com/v1), or --import-batch FILE.jsonl.");
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
                {
                    throw new ArgumentException($"--llm-endpoint '{url}' is not an absolute address: give for example https://api.openai.com/v1 or http://127.0.0.1:8080/v1.");
                }

                if (string.IsNullOrWhiteSpace(options.Model))
                {
                    throw new ArgumentException("label needs --model NAME: the model id the endpoint serves.");
                }

                string? key = KeyVariables.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrEmpty(v));
                if (key is null)
                {
                    Console.Error.WriteLine($"no API key in {string.Join(" or ", KeyVariables)}: calling {uri.Host} without one (fine for a local server).");
                }

                using IChatClient client = LlmLabeler.CreateOpenAICompatibleClient(uri, options.Model, key ?? "none");
                var labeler = new LlmLabeler(client, options);
                summary = await Task.Run(() => ProgressDisplay.Run($"labeling {rows:N0} rows with {options.Model}", rows, progress =>
                {
                    bool lines = !Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive;
                    long saved = -1;
                    var rowsDone = new Progress(p =>
                    {
                        progress.Report(p.RowsDone);
                        if (lines && p.RowsSaved != Interlocked.Exchange(ref saved, p.RowsSaved))
                        {
                            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"saved {p.RowsSaved:N0} of {p.RowsTotal:N0} rows ({p.Retries:N0} retries so far)"));
                        }
                    });
                    try
                    {
                        return labeler.LabelAsync(texts, outPath, rowsDone, token).GetAwaiter().GetResult();
                    }
                    catch (Exception) when (labeler.LastSummary is { } done)
                    {
                        Console.Error.WriteLine(Describe(done, outPath));
                        throw;
                    }
                }), CancellationToken.None).ConfigureAwait(false);
            }

            Console.WriteLine(Describe(summary, outPath));
            return 0;
        }, ct, Flags));
        return command;
    }

    internal static string Describe(LlmLabelingSummary s, string path) => string.Create(CultureInfo.InvariantCulture,
        $"labeled {s.RowsLabeled:N0} rows ({s.RowsResumed:N0} kept from the earlier run, {s.RowsSaved:N0} of {s.RowsTotal:N0} in {path}); " +
        $"unknown answers {s.UnknownAnswers:N0}{(s.MissingRows > 0 ? $" ({s.MissingRows:N0} rows missing from the batch)" : "")}, without log-probabilities {s.AnswersWithoutLogProbabilities:N0}; " +
        $"requests {s.Requests:N0}, retries {s.Retries:N0} ({s.Throttled:N0} for 429), {s.RetriesWithRetryAfter:N0} waited as Retry-After asked; tokens {s.InputTokens:N0} in + {s.OutputTokens:N0} out, cost {s.Cost:F4}; {s.Seconds:F1} s");

    // Only the conversion: the range is the library's to check (LlmLabelerOptions.MaxRetryAfter), and its message is
    // prefixed with the flag by CommandRunner.
    private static TimeSpan Seconds(double seconds) =>
        double.IsFinite(seconds) && Math.Abs(seconds) < TimeSpan.FromDays(1).TotalSeconds
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--max-retry-after {seconds} is not a number of seconds from 0 to 600 (60 is usual)."));

    private static long CountRows(IDataView data)
    {
        long rows = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            rows++;
        }

        return rows;
    }

    private sealed class Progress(Action<LlmLabelingProgress> report) : IProgress<LlmLabelingProgress>
    {
        public void Report(LlmLabelingProgress value) => report(value);
    }
}
