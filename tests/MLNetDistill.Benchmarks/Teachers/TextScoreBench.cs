using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Data;
using MLNetDistill.Teachers;
using MLNetDistill.Text;

namespace MLNetDistill.Benchmarks.Teachers;

/// <summary>
/// `-- text-score [teacher.onnx] [emails.csv] [repeats=3]`: rows/s of a text teacher, batched through the library
/// (length buckets on and off) vs one row at a time through ONNX Runtime with the same tokenizer; the tokenizer's share
/// of the time; and whether tokenizing on a second thread (a pipeline: the next batch is tokenized while ONNX Runtime
/// runs this one) pays. Defaults: samples/teachers/spam_transformer/model.onnx over the SpamAssassin test split
/// (samples/data/spam-assassin/csv/test.csv; make it with samples/data/spam-assassin/make_csv.py).
/// </summary>
internal static class TextScoreBench
{
    public static int Run(string[] args)
    {
        string teacher = args.Length > 0 ? args[0] : Path.Combine(BenchPaths.Repo, "samples", "teachers", "spam_transformer", "model.onnx");
        string data = args.Length > 1 ? args[1] : Path.Combine(BenchPaths.Repo, "samples", "data", "spam-assassin", "csv", "test.csv");
        int repeats = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var ml = new MLContext(seed: 0);
        IDataView view = DataSourceReader.LoadText(data, "Text");
        string[] texts = [.. view.GetColumn<ReadOnlyMemory<char>>("Text").Select(t => t.ToString())];
        var estimator = ml.Transforms.ScoreTextWithTeacher(teacher, "Text");
        using var fitted = estimator.Fit(view);
        int maxTokens = fitted.MaxTokens!.Value;
        TeacherTokenizer tokenizer = TeacherTokenizer.Load(teacher, null);
        Console.WriteLine($"teacher {teacher}: {fitted.TokenizerFile}, MaxTokens {maxTokens}; data {data}: {texts.Length} rows, {Environment.ProcessorCount} logical processors");

        // Tokenization alone (the same Encode the scorer calls).
        var tokens = new int[texts.Length][];
        double tokenize = Best(repeats, () =>
        {
            char[]? scratch = null;
            for (int i = 0; i < texts.Length; i++)
            {
                tokens[i] = [.. tokenizer.Encode(texts[i], maxTokens, ref scratch, out _)];
            }
        });
        double meanTokens = tokens.Average(t => t.Length);
        double csv = Best(repeats, () => view.GetColumn<ReadOnlyMemory<char>>("Text").Count());

        double Library(bool bucketing, int batch, int maxBatchTokens = 1024)
        {
            // Fitted once (session and graph), timed over Transform: CSV read, tokenization, padding, ONNX Runtime.
            var options = new TeacherScoringOptions { ModelFile = teacher, TextColumnName = "Text", LengthBucketing = bucketing, BatchSize = batch, MaxBatchTokens = maxBatchTokens };
            using var t = ml.Transforms.ScoreWithTeacher(options).Fit(view);
            return Best(repeats, () => _ = t.Transform(view).GetColumn<float[]>(DataColumnNames.SoftLabels).Count());
        }

        double bucketed = Library(true, 256);
        double unbucketed = Library(false, 256);
        double unbucketed32 = Library(false, 32, 16384);
        int[] budgets = [128, 512, 2048, 4096, 16384];
        double[] budgeted = [.. budgets.Select(b => Library(true, 256, Math.Max(b, maxTokens)))];

        using var session = new InferenceSession(teacher, new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount });
        bool hasMask = session.InputMetadata.ContainsKey("attention_mask");
        string output = session.OutputMetadata.Keys.First();
        double oneRow = Best(Math.Min(repeats, 2), () =>
        {
            char[]? scratch = null;
            foreach (string text in texts)
            {
                var ids = tokenizer.Encode(text, maxTokens, ref scratch, out _);
                RunRaw(session, hasMask, output, [[.. ids]], 0, 1, tokenizer.PadId);
            }
        });

        // Raw ORT in sorted batches of 64 rows (the library's bucketing, without the IDataView), tokenizing on this thread or on a second one.
        int[] order = [.. Enumerable.Range(0, texts.Length).OrderBy(i => tokens[i].Length)];
        string[] sorted = [.. order.Select(i => texts[i])];
        const int Batch = 64;
        double serial = Best(repeats, () =>
        {
            char[]? scratch = null;
            for (int start = 0; start < sorted.Length; start += Batch)
            {
                int n = Math.Min(Batch, sorted.Length - start);
                var batch = new int[n][];
                for (int r = 0; r < n; r++)
                {
                    batch[r] = [.. tokenizer.Encode(sorted[start + r], maxTokens, ref scratch, out _)];
                }

                RunRaw(session, hasMask, output, batch, 0, n, tokenizer.PadId);
            }
        });
        double pipelined = Best(repeats, () =>
        {
            using var queue = new BlockingCollection<int[][]>(boundedCapacity: 2);
            var producer = Task.Run(() =>
            {
                char[]? scratch = null;
                for (int start = 0; start < sorted.Length; start += Batch)
                {
                    int n = Math.Min(Batch, sorted.Length - start);
                    var batch = new int[n][];
                    for (int r = 0; r < n; r++)
                    {
                        batch[r] = [.. tokenizer.Encode(sorted[start + r], maxTokens, ref scratch, out _)];
                    }

                    queue.Add(batch);
                }

                queue.CompleteAdding();
            });
            foreach (int[][] batch in queue.GetConsumingEnumerable())
            {
                RunRaw(session, hasMask, output, batch, 0, batch.Length, tokenizer.PadId);
            }

            producer.Wait();
        });

        double Rate(double seconds) => texts.Length / seconds;
        Console.WriteLine($"mean tokens per text {meanTokens:F1} (max {maxTokens}); best of {repeats}");
        Console.WriteLine($"| path | seconds | rows/s | CPU seconds | rows per CPU second |");
        Console.WriteLine($"|---|---:|---:|---:|---:|");
        Console.WriteLine($"| CSV read only | {csv:F3} | {Rate(csv):N0} | {Cpu(csv)} | {texts.Length / double.Parse(Cpu(csv), CultureInfo.InvariantCulture):N0} |");
        Console.WriteLine($"| tokenize only (Microsoft.ML.Tokenizers BertTokenizer) | {tokenize:F3} | {Rate(tokenize):N0} | {Cpu(tokenize)} | {texts.Length / double.Parse(Cpu(tokenize), CultureInfo.InvariantCulture):N0} |");
        Console.WriteLine($"| library, length buckets, MaxBatchTokens 1024 (defaults) | {bucketed:F3} | {Rate(bucketed):N0} | {Cpu(bucketed)} | {texts.Length / double.Parse(Cpu(bucketed), CultureInfo.InvariantCulture):N0} |");
        Console.WriteLine($"| library, no buckets, MaxBatchTokens 1024 | {unbucketed:F3} | {Rate(unbucketed):N0} | {Cpu(unbucketed)} | {texts.Length / double.Parse(Cpu(unbucketed), CultureInfo.InvariantCulture):N0} |");
        Console.WriteLine($"| library, no buckets, BatchSize 32, MaxBatchTokens 16384 | {unbucketed32:F3} | {Rate(unbucketed32):N0} | {Cpu(unbucketed32)} | {texts.Length / double.Parse(Cpu(unbucketed32), CultureInfo.InvariantCulture):N0} |");
        for (int b = 0; b < budgets.Length; b++)
        {
            Console.WriteLine($"| library, length buckets, MaxBatchTokens {Math.Max(budgets[b], maxTokens)} | {budgeted[b]:F3} | {Rate(budgeted[b]):N0} | {Cpu(budgeted[b])} | {texts.Length / double.Parse(Cpu(budgeted[b]), CultureInfo.InvariantCulture):N0} |");
        }
        Console.WriteLine($"| raw ORT, one row at a time (same tokenizer) | {oneRow:F3} | {Rate(oneRow):N0} | {Cpu(oneRow)} | {texts.Length / double.Parse(Cpu(oneRow), CultureInfo.InvariantCulture):N0} |");
        Console.WriteLine($"| raw ORT, sorted batches of {Batch}, tokenize on the same thread | {serial:F3} | {Rate(serial):N0} | {Cpu(serial)} | {texts.Length / double.Parse(Cpu(serial), CultureInfo.InvariantCulture):N0} |");
        Console.WriteLine($"| raw ORT, sorted batches of {Batch}, tokenize on a second thread | {pipelined:F3} | {Rate(pipelined):N0} | {Cpu(pipelined)} | {texts.Length / double.Parse(Cpu(pipelined), CultureInfo.InvariantCulture):N0} |");
        Console.WriteLine($"tokenization share of the library's default run: {tokenize / bucketed:P1}; batched (buckets) vs one row at a time: {oneRow / bucketed:F2}x; second tokenizer thread: {serial / pipelined:F2}x");
        return 0;
    }

    private static void RunRaw(InferenceSession session, bool hasMask, string output, int[][] rows, int start, int count, int pad)
    {
        int sequence = 1;
        for (int r = start; r < start + count; r++)
        {
            sequence = Math.Max(sequence, rows[r].Length);
        }

        var ids = new long[count * sequence];
        var mask = new long[count * sequence];
        for (int r = 0; r < count; r++)
        {
            int[] row = rows[start + r];
            for (int t = 0; t < sequence; t++)
            {
                ids[r * sequence + t] = t < row.Length ? row[t] : pad;
                mask[r * sequence + t] = t < row.Length ? 1 : 0;
            }
        }

        long[] shape = [count, sequence];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        var names = hasMask ? new[] { "input_ids", "attention_mask" } : ["input_ids"];
        OrtValue[] values = hasMask ? [idsValue, maskValue] : [idsValue];
        using var results = session.Run(new RunOptions(), names, values, [output]);
        GC.KeepAlive(results);
    }

    /// <summary>CPU seconds (user + system, all threads) of the fastest run of each <see cref="Best"/>, by its wall seconds.</summary>
    private static readonly Dictionary<double, double> CpuOf = [];

    private static double Best(int repeats, Action action)
    {
        action(); // warm-up
        double best = double.MaxValue;
        double bestCpu = 0;
        using var process = Process.GetCurrentProcess();
        for (int i = 0; i < repeats; i++)
        {
            process.Refresh();
            TimeSpan cpu = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            action();
            double wall = watch.Elapsed.TotalSeconds;
            process.Refresh();
            if (wall < best)
            {
                best = wall;
                bestCpu = (process.TotalProcessorTime - cpu).TotalSeconds;
            }
        }

        CpuOf[best] = bestCpu;
        return best;
    }

    private static string Cpu(double wall) => CpuOf.TryGetValue(wall, out double cpu) ? cpu.ToString("F3", CultureInfo.InvariantCulture) : "?";
}
