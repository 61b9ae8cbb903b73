using System.CommandLine;
using System.Text.Json;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Teachers;
using MLNetDistill.Cache;
using TeacherCacheWriter = MLNetDistill.Cache.TeacherCacheWriter;

namespace MLNetDistill.Cli.Commands;

/// <summary><c>mlnet-distill score</c>: run a teacher over a data file into a reusable cache of logits and soft labels.</summary>
internal static class ScoreCommand
{
    /// <summary>The flag of each option name the library's errors name, so they name what the user typed.</summary>
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["Temperature"] = "--temperature",
        ["output"] = "--out",
        ["TextColumnName"] = "--text",
        ["textColumnName"] = "--text",
        [IgnoreColumnsOption.Parameter] = IgnoreColumnsOption.Flag,
    };

    public static Command Create()
    {
        var teacher = new Option<string>("--teacher") { Description = "The teacher's .onnx file.", Required = true };
        var data = new Option<string>("--data") { Description = "CSV/TSV with a header, Parquet, or IDX images (*-images-idx3-ubyte[.gz]).", Required = true };
        var label = new Option<string?>("--label") { Description = "The label column of a CSV or Parquet file (default: a column named Label, in any case, if there is one)." };
        var temperature = new Option<float>("--temperature") { Description = "Soft-label temperature T (softmax(logits / T)).", DefaultValueFactory = _ => 1f };
        var shard = new Option<string?>("--shard") { Description = "Score only rows whose index mod n == i: i/n, or auto (Kubernetes Indexed Job or Slurm array)." };
        var shards = new Option<int?>("--shards") { Description = "With --shard auto under Kubernetes: the number of shards (the Job's completions)." };
        var output = new Option<string>("--out") { Description = "The cache to write: OUT.csv (plus OUT.csv.json) or OUT.parquet.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout instead of text." };
        var text = new Option<string?>("--text") { Description = "The text column of a CSV/TSV file, for a text teacher (input_ids, attention_mask): each row is tokenized with the teacher's tokenizer." };
        var ignore = IgnoreColumnsOption.Create();
        var command = new Command("score", "Score a data file with an ONNX teacher into a reusable cache of logits and soft labels.")
        {
            teacher, data, label, temperature, shard, shards, output, json, text, ignore,
        };
        var teacherOptions = new TeacherOptions();
        teacherOptions.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            var options = teacherOptions.Read(parse, parse.GetValue(text));
            options.ModelFile = parse.GetValue(teacher)!;
            options.Temperature = parse.GetValue(temperature);

            ShardSpec? shardSpec = parse.GetValue(shard) switch
            {
                null => null,
                "auto" => ShardSpec.Parse("auto", parse.GetValue(shards), Environment.GetEnvironmentVariable),
                string text => ShardSpec.Parse(text),
            };
            OutputFolder.PrepareForFile(parse.GetValue(output)!, "output");
            var summary = Run(options, parse.GetValue(data)!, parse.GetValue(label), shardSpec, parse.GetValue(output)!, parse.GetValue(json), token, IgnoreColumnsOption.Parse(parse.GetValue(ignore)));
            return Task.FromResult(summary is null ? 2 : 0);
        }, ct, TeacherOptions.WithFlags(Flags)));
        return command;
    }

    internal static TeacherScoringSummary? Run(TeacherScoringOptions options, string dataPath, string? label, ShardSpec? shard, string outputPath, bool json, CancellationToken token,
        IReadOnlyCollection<string>? ignore = null)
    {
        var ml = new MLContext(seed: 0);
        TeacherOptions.PrintWarnings(ml);
        TeacherScoringSummary summary = json || Console.IsOutputRedirected
            ? TeacherCacheWriter.Score(ml, options, dataPath, label, ignore, shard, outputPath, null, token)
            : ProgressDisplay.Run("scoring", (options.TextColumnName is { } text ? DataSourceReader.LoadText(dataPath, text, label, ignoreColumns: ignore) : DataSourceReader.Load(dataPath, label, ignoreColumns: ignore)).GetRowCount() is long n ? (shard is null ? n : (n + shard.Count - 1 - shard.Index) / shard.Count) : null, progress => TeacherCacheWriter.Score(ml, options, dataPath, label, ignore, shard, outputPath, progress, token));
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                rows = summary.Rows,
                seconds = Math.Round(summary.Seconds, 3),
                rowsPerSecond = Math.Round(summary.RowsPerSecond, 1),
                device = summary.Device,
                classes = summary.Classes,
                temperature = summary.Temperature,
                teacherAccuracy = summary.TeacherAccuracy,
                teacherOutput = summary.TeacherOutput,
                outputWasProbabilities = summary.OutputWasProbabilities,
                skippedRows = summary.SkippedRows,
                shard = shard?.ToString(),
                output = summary.Output,
                emptyTexts = summary.EmptyTexts,
                truncatedTexts = summary.TruncatedTexts,
            }, CommandRunner.Json));
        }
        else
        {
            Console.WriteLine($"scored {summary.Rows:N0} rows in {summary.Seconds:F2} s ({summary.RowsPerSecond:N0} rows/s) on {summary.Device}; {summary.Classes} classes, T = {summary.Temperature}; output {summary.TeacherOutput}{(summary.OutputWasProbabilities ? " (probabilities)" : "")}");
            if (summary.TeacherAccuracy is double acc)
            {
                Console.WriteLine($"teacher accuracy: {acc:P2}");
            }

            if (summary.SkippedRows > 0)
            {
                Console.WriteLine($"skipped {summary.SkippedRows:N0} rows with NaN or infinite features");
            }

            if (options.TextColumnName is not null)
            {
                Console.WriteLine($"texts: {summary.EmptyTexts:N0} empty (scored as the special tokens alone), {summary.TruncatedTexts:N0} truncated");
            }

            Console.WriteLine($"cache: {summary.Output}");
        }

        return summary;
    }
}
