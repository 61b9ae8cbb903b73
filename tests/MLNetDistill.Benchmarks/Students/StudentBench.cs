using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Numerics;
using MLNetDistill.Teachers;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>What the student experiments share: the embedded CNN teacher's logits, test metrics, mean ± sd.</summary>
internal static class StudentBench
{
    /// <summary>The embedded CNN teacher's logits for rows x d images, row-major.</summary>
    public static float[] TeacherLogits(MLContext ml, float[] x, int rows, int d)
    {
        var schema = SchemaDefinition.Create(typeof(ImageRow));
        schema[nameof(ImageRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(r => new ImageRow { Features = x.AsSpan(r * d, d).ToArray() }), schema);
        using var teacher = ml.Transforms.ScoreWithTeacher(BenchPaths.CnnTeacher).Fit(data);
        return teacher.Transform(data).GetColumn<float[]>("TeacherLogits").SelectMany(v => v).ToArray();
    }

    /// <summary>Accuracy against the labels, agreement with the teacher's top class, and log-loss (probabilities clamped at 1e-15).</summary>
    public static StudentMetrics Evaluate(float[] logits, float[] teacherLogits, int[] labels, int classes)
    {
        int rows = labels.Length;
        int correct = 0, agree = 0;
        double logLoss = 0;
        float[] p = new float[classes];
        for (int r = 0; r < rows; r++)
        {
            var z = logits.AsSpan(r * classes, classes);
            int predicted = SoftLabelMath.ArgMax(z);
            correct += predicted == labels[r] ? 1 : 0;
            agree += predicted == SoftLabelMath.ArgMax(teacherLogits.AsSpan(r * classes, classes)) ? 1 : 0;
            SoftLabelMath.Softmax(z, 1f, p);
            logLoss -= Math.Log(Math.Max(p[labels[r]], 1e-15));
        }

        return new StudentMetrics((double)correct / rows, (double)agree / rows, logLoss / rows);
    }

    /// <summary>"mean ± sample sd" to four decimals.</summary>
    public static string Stat(IEnumerable<double> values)
    {
        double[] v = values.ToArray();
        double mean = v.Average();
        double sd = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return $"{mean:F4} ± {sd:F4}";
    }

    private sealed class ImageRow
    {
        public float[] Features { get; set; } = [];
    }
}

/// <summary>A student's quality on test rows.</summary>
internal sealed record StudentMetrics(double Accuracy, double Agreement, double LogLoss);
