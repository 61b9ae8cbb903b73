using System.Globalization;
using System.Text;
using System.Text.Json;
using MLNetDistill.Data;

namespace MLNetDistill.Llm;

/// <summary>
/// Imports the output of an OpenAI-compatible batch job (the Batch API's <c>.jsonl</c>: one chat completion with
/// <c>logprobs</c> per line, keyed by <c>custom_id</c>) into the public teacher-cache format, with the same mapping of
/// first-token log-probabilities to classes as <see cref="LlmLabeler"/>.
/// </summary>
/// <remarks>
/// <para>Each line is <c>{"custom_id": "ROW", "response": {"status_code": 200, "body": CHAT_COMPLETION}, "error": null}</c>;
/// <c>ROW</c> is the 0-based row index of the data, alone or after a prefix ending in <c>-</c> (<c>17</c>, <c>row-17</c>).
/// Lines may come in any order. A row with no line, an error line or an answer naming no class is counted and gets
/// <see cref="LlmLabelerOptions.UnknownAnswer"/>. A line that is not JSON, has no usable <c>custom_id</c>, names a row outside
/// the data or repeats a row is an <see cref="InvalidDataException"/> naming the line.</para>
/// <para>The format is documented with a fixture in <c>Cache/CacheFormat.md</c> ("Soft labels from an LLM").</para>
/// </remarks>
/// <example>
/// <code language="csharp">
/// var options = new LlmLabelerOptions { Model = "gpt-4o-mini" }; // the model and prompt the batch was made with
/// options.Classes.Add("ham");
/// options.Classes.Add("spam");
/// LlmLabelingSummary summary = LlmBatchImporter.Import("batch_output.jsonl", rows: 5000, "emails-llm.parquet", options);
/// </code>
/// </example>
public static class LlmBatchImporter
{
    /// <summary>Reads a batch job's output and writes the soft labels of every row of the data to a cache.</summary>
    /// <param name="jsonlPath">The batch output file.</param>
    /// <param name="rows">The data's row count (rows without a line are counted as missing).</param>
    /// <param name="cachePath">The cache to write (<c>.parquet</c> or <c>.csv</c>); an existing file is replaced.</param>
    /// <param name="options">The classes, the model and the prompt template the batch was made with (they make the cache's identity). An empty <see cref="LlmLabelerOptions.Model"/> takes the model the first answer names.</param>
    /// <param name="cancellationToken">Stops the import between lines.</param>
    /// <returns>The rows imported, unknown and missing, and the tokens and cost the answers report.</returns>
    /// <exception cref="FileNotFoundException">The JSONL file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is damaged; the message names the file and line.</exception>
    public static LlmLabelingSummary Import(string jsonlPath, long rows, string cachePath, LlmLabelerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jsonlPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(cachePath);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (!File.Exists(jsonlPath))
        {
            throw new FileNotFoundException($"Batch output '{jsonlPath}' was not found.", jsonlPath);
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var counters = new LlmLabeler.Counters();
        var (answers, checkedOptions) = ReadAnswers(jsonlPath, rows, options, counters, cancellationToken);
        string[] classes = [.. checkedOptions.Classes];
        var (cache, missing) = MapAnswers(answers, rows, classes, checkedOptions.UnknownAnswer, counters);
        string identity = LlmAnswer.Identity(checkedOptions.Model, checkedOptions.PromptTemplate, classes);
        cache.Save(cachePath, rows, new CacheMetadata
        {
            TeacherSha256 = identity,
            TeacherFile = LlmAnswer.TeacherFile(checkedOptions.Model, checkedOptions.PromptTemplate),
            Temperature = 1f,
            DataFingerprint = checkedOptions.DataFingerprint,
        });
        return new LlmLabelingSummary
        {
            RowsTotal = rows,
            RowsLabeled = counters.Answered,
            RowsSaved = rows,
            UnknownAnswers = counters.Unknown,
            MissingRows = missing,
            AnswersWithoutLogProbabilities = counters.WithoutLogProbabilities,
            InputTokens = counters.InputTokens,
            OutputTokens = counters.OutputTokens,
            Cost = checkedOptions.Cost(counters.InputTokens, counters.OutputTokens),
            Seconds = Math.Round(watch.Elapsed.TotalSeconds, 3),
            Model = checkedOptions.Model,
            TeacherSha256 = identity,
        };
    }

    /// <summary>Reads every line's answer by row (error lines counted, not kept), and the options checked with the model the batch names when <see cref="LlmLabelerOptions.Model"/> is empty.</summary>
    private static (Dictionary<long, (List<(string Token, float LogProbability)>? Top, string? Text)> Answers, LlmLabelerOptions Options) ReadAnswers(
        string jsonlPath, long rows, LlmLabelerOptions options, LlmLabeler.Counters counters, CancellationToken cancellationToken)
    {
        LlmLabelerOptions? checkedOptions = string.IsNullOrWhiteSpace(options.Model) ? null : options.Validated();
        var lines = File.ReadLines(jsonlPath, new UTF8Encoding(false, throwOnInvalidBytes: true));
        var answers = new Dictionary<long, (List<(string Token, float LogProbability)>? Top, string? Text)>();
        long lineNumber = 0;
        try
        {
            foreach (string line in lines)
            {
                lineNumber++;
                cancellationToken.ThrowIfCancellationRequested();
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                var (row, top, text, model, ok) = ParseLine(line, jsonlPath, lineNumber, rows, counters);
                if (checkedOptions is null)
                {
                    checkedOptions = options.Validated(model ?? throw new InvalidDataException($"{jsonlPath}:{lineNumber}: the answer names no model, and LlmLabelerOptions.Model is empty: set Model to the model the batch was run with."));
                }

                if (answers.ContainsKey(row))
                {
                    throw new InvalidDataException($"{jsonlPath}:{lineNumber}: row {row} (custom_id) was already answered on an earlier line: a batch output holds each row once; remove the repeated line.");
                }

                if (ok)
                {
                    answers[row] = (top, text);
                }
            }
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{jsonlPath}:{lineNumber + 1}: the file is not valid UTF-8 ({e.Message}); batch outputs are UTF-8 JSON lines.", e);
        }

        return (answers, checkedOptions ?? options.Validated());
    }

    /// <summary>Every row's soft labels and logits from its answer (a row without one, or whose answer names no class, gets the unknown-answer policy's row); returns the rows and how many had no answer.</summary>
    private static (LlmCacheRows Rows, long Missing) MapAnswers(Dictionary<long, (List<(string Token, float LogProbability)>? Top, string? Text)> answers, long rows, string[] classes,
        LlmUnknownAnswer policy, LlmLabeler.Counters counters)
    {
        var cache = new LlmCacheRows(rows, classes.Length);
        long missing = 0;
        for (long r = 0; r < rows; r++)
        {
            var soft = cache.Soft(r);
            bool known = false;
            if (answers.TryGetValue(r, out var answer))
            {
                counters.Answered++;
                if (answer.Top is { Count: > 0 } top)
                {
                    known = LlmAnswer.FromTopLogProbabilities(classes, top, soft);
                }
                else
                {
                    counters.WithoutLogProbabilities++;
                    known = LlmAnswer.FromText(classes, answer.Text, soft);
                }
            }
            else
            {
                missing++;
            }

            LlmLabeler.Fill(known, soft, cache.Logits(r), policy, counters);
        }

        return (cache, missing);
    }

    private static (long Row, List<(string, float)>? Top, string? Text, string? Model, bool Ok) ParseLine(string line, string path, long lineNumber, long rows, LlmLabeler.Counters counters)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{lineNumber}: not a JSON line ({e.Message}); a batch output has one JSON object per line.", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("custom_id", out var id) || id.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: no \"custom_id\" string: each line must say which row it answers (\"custom_id\": \"17\" or \"row-17\", the 0-based row index).");
            }

            string idText = id.GetString()!;
            string digits = idText[(idText.LastIndexOf('-') + 1)..];
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long row))
            {
                throw new InvalidDataException($"{path}:{lineNumber}: custom_id '{idText}' does not end in a row number: use the 0-based row index, alone or after a prefix ending in '-' (\"row-17\").");
            }

            if (row >= rows)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: custom_id '{idText}' names row {row}, but the data has {rows} rows (0 to {rows - 1}): import the output against the data the batch was made from.");
            }

            bool failed = (root.TryGetProperty("error", out var error) && error.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
                || !root.TryGetProperty("response", out var response)
                || (response.TryGetProperty("status_code", out var status) && status.ValueKind == JsonValueKind.Number && status.GetInt32() != 200)
                || !response.TryGetProperty("body", out _);
            if (failed)
            {
                return (row, null, null, null, false);
            }

            var body = root.GetProperty("response").GetProperty("body");
            string? model = body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            if (body.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                counters.InputTokens += usage.TryGetProperty("prompt_tokens", out var pt) && pt.ValueKind == JsonValueKind.Number ? pt.GetInt64() : 0;
                counters.OutputTokens += usage.TryGetProperty("completion_tokens", out var ct) && ct.ValueKind == JsonValueKind.Number ? ct.GetInt64() : 0;
            }

            if (!body.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                return (row, null, null, model, false);
            }

            var choice = choices[0];
            string? text = choice.TryGetProperty("message", out var message) && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String
                ? content.GetString()
                : null;
            List<(string, float)>? top = null;
            if (choice.TryGetProperty("logprobs", out var logprobs) && logprobs.ValueKind == JsonValueKind.Object
                && logprobs.TryGetProperty("content", out var tokens) && tokens.ValueKind == JsonValueKind.Array && tokens.GetArrayLength() > 0)
            {
                var first = tokens[0];
                top = [];
                if (first.TryGetProperty("top_logprobs", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var t in list.EnumerateArray())
                    {
                        top.Add((t.GetProperty("token").GetString() ?? "", t.GetProperty("logprob").GetSingle()));
                    }
                }

                if (top.Count == 0 && first.TryGetProperty("token", out var token))
                {
                    top.Add((token.GetString() ?? "", first.GetProperty("logprob").GetSingle()));
                }
            }

            return (row, top, text, model, true);
        }
    }
}
