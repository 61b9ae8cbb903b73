using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// The cost measures of text-table and text-cost, one implementation: per email one at a time (the teacher on a one-row
/// view: tokenize + one ONNX Runtime call; a student through a PredictionEngine) over every held-out email, each email's
/// time the best of <see cref="Repeats"/> passes, and the whole held-out set in one pass (the teacher batched; a student
/// over <see cref="StudentCopies"/> copies of it, so that opening its cursor is not counted as per-row cost), the best of
/// <see cref="Repeats"/> passes.
/// </summary>
internal static class TextCost
{
    /// <summary>How many times each email is timed; its time is the best (the machine is shared, so the others measure the neighbours).</summary>
    public const int Repeats = 3;

    public static (double P50, double Mean, double RowsPerSecond) TimeTeacher(MLContext mlContext, TeacherScoringTransformer teacher, IDataView test, string[] texts)
    {
        var times = PerEmail(texts, text =>
        {
            var scored = teacher.Transform(mlContext.Data.LoadFromEnumerable(new[] { new TextRow { Text = text } }));
            using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == DataColumnNames.SoftLabels));
            var getter = cursor.GetGetter<VBuffer<float>>(cursor.Schema[DataColumnNames.SoftLabels]);
            VBuffer<float> v = default;
            while (cursor.MoveNext())
            {
                getter(ref v);
            }
        });
        return (Median(times), times.Average(), Throughput(teacher.Transform(test), DataColumnNames.SoftLabels));
    }

    public static (double P50, double Mean, double RowsPerSecond) TimeStudent(MLContext mlContext, ITransformer model, IDataView test, string[] texts)
    {
        var engine = mlContext.Model.CreatePredictionEngine<TextRow, Prediction>(model);
        var input = new TextRow();
        var output = new Prediction();
        var times = PerEmail(texts, text =>
        {
            input.Text = text;
            engine.Predict(input, ref output);
        });
        // The batched pass over the held-out texts StudentCopies times: opening a cursor over a FeaturizeText model costs
        // tens of ms (its n-gram dictionary), which one pass over 1,209 short rows would count as per-row cost.
        var copies = mlContext.Data.Cache(mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, StudentCopies).SelectMany(_ => texts).Select(t => new TextRow { Text = t })));
        return (Median(times), times.Average(), Throughput(model.Transform(copies), DataColumnNames.Score));
    }

    /// <summary>How many copies of the held-out texts a student's batched pass reads.</summary>
    public const int StudentCopies = 10;

    /// <summary>The ms of opening a cursor and reading one row (the fixed cost a batched pass pays once).</summary>
    public static double SetupMilliseconds(MLContext mlContext, ITransformer model, string text, string column)
    {
        var one = mlContext.Data.LoadFromEnumerable(new[] { new TextRow { Text = text } });
        double best = double.MaxValue;
        for (int r = 0; r < Repeats; r++)
        {
            long start = Stopwatch.GetTimestamp();
            _ = Pass(model.Transform(one), column);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return best;
    }

    /// <summary>µs of <paramref name="score"/> per text, the best of <see cref="Repeats"/> passes over all of them (after 20 warm-up calls).</summary>
    public static double[] PerEmail(string[] texts, Action<string> score)
    {
        var times = Enumerable.Repeat(double.MaxValue, texts.Length).ToArray();
        for (int i = 0; i < Math.Min(20, texts.Length); i++)
        {
            score(texts[i]);
        }

        for (int r = 0; r < Repeats; r++)
        {
            for (int i = 0; i < texts.Length; i++)
            {
                long start = Stopwatch.GetTimestamp();
                score(texts[i]);
                times[i] = Math.Min(times[i], Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
        }

        return times;
    }

    /// <summary>Rows/s of the best of <see cref="Repeats"/> passes over <paramref name="scored"/>, reading <paramref name="column"/> (a float vector, a text vector or a text).</summary>
    public static double Throughput(IDataView scored, string column)
    {
        double best = 0;
        for (int r = 0; r < Repeats; r++)
        {
            best = Math.Max(best, Pass(scored, column));
        }

        return best;
    }

    private static double Pass(IDataView scored, string column)
    {
        long start = Stopwatch.GetTimestamp();
        long rows = 0;
        var col = scored.Schema[column];
        using var cursor = scored.GetRowCursor([col]);
        Action read = col.Type switch
        {
            VectorDataViewType { ItemType: NumberDataViewType } => Reader<VBuffer<float>>(cursor, col),
            VectorDataViewType => Reader<VBuffer<ReadOnlyMemory<char>>>(cursor, col),
            _ => Reader<ReadOnlyMemory<char>>(cursor, col),
        };
        while (cursor.MoveNext())
        {
            read();
            rows++;
        }

        return rows / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>The teacher's folder and file, size, and the architecture and max tokens of its metrics file (FOLDER.json beside FOLDER/) when there is one.</summary>
    public static string Describe(string teacherFile)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(teacherFile))!;
        string name = $"{Path.GetFileName(folder)}/{Path.GetFileName(teacherFile)} ({new FileInfo(teacherFile).Length:N0} bytes";
        string metrics = folder + ".json";
        if (File.Exists(metrics))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(metrics));
            var root = json.RootElement;
            name += $"; {root.GetProperty("architecture").GetString()}; {root.GetProperty("maxTokens").GetInt32()} tokens; {root.GetProperty("parameters").GetInt64():N0} parameters; test accuracy in training {root.GetProperty("testAccuracy").GetDouble():F4}";
        }

        return name + ")";
    }

    public static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static Action Reader<T>(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var getter = cursor.GetGetter<T>(column);
        T value = default!;
        return () => getter(ref value);
    }

    internal sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }
}
