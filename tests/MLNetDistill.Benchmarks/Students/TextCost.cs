using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// The cost measures of text-table and text-cost, one implementation: per email one at a time (the teacher on a one-row
/// view: tokenize + one ONNX Runtime call; a student through a PredictionEngine) over every held-out email, and the whole
/// held-out set in one pass (the teacher batched).
/// </summary>
internal static class TextCost
{
    public static (double P50, double Mean, double RowsPerSecond) TimeTeacher(MLContext mlContext, TeacherScoringTransformer teacher, IDataView test, string[] texts)
    {
        var times = new double[texts.Length];
        for (int i = -20; i < texts.Length; i++)
        {
            var row = mlContext.Data.LoadFromEnumerable(new[] { new TextRow { Text = texts[Math.Max(i, 0)] } });
            long start = Stopwatch.GetTimestamp();
            var scored = teacher.Transform(row);
            using (var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == DataColumnNames.SoftLabels)))
            {
                var getter = cursor.GetGetter<VBuffer<float>>(cursor.Schema[DataColumnNames.SoftLabels]);
                VBuffer<float> v = default;
                while (cursor.MoveNext())
                {
                    getter(ref v);
                }
            }

            if (i >= 0)
            {
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        return (Median(times), times.Average(), Throughput(teacher.Transform(test), DataColumnNames.SoftLabels));
    }

    public static (double P50, double Mean, double RowsPerSecond) TimeStudent(MLContext mlContext, ITransformer model, IDataView test, string[] texts)
    {
        var engine = mlContext.Model.CreatePredictionEngine<TextRow, Prediction>(model);
        var times = new double[texts.Length];
        var input = new TextRow();
        var output = new Prediction();
        for (int i = -20; i < texts.Length; i++)
        {
            input.Text = texts[Math.Max(i, 0)];
            long start = Stopwatch.GetTimestamp();
            engine.Predict(input, ref output);
            if (i >= 0)
            {
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        return (Median(times), times.Average(), Throughput(model.Transform(test), DataColumnNames.Score));
    }

    /// <summary>Rows/s of one pass over <paramref name="scored"/>, reading <paramref name="column"/> (a float vector, a text vector or a text).</summary>
    public static double Throughput(IDataView scored, string column)
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
