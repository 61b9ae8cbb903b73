using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.SoftLabels;
using MLNetDistill.Teachers;

namespace MLNetDistill.Evaluation;

/// <summary>Evaluates a student (or the teacher itself) against labels and against the teacher's soft labels.</summary>
public static class DistillationEvaluator
{
    /// <summary>Computes <see cref="DistillationMetrics"/> from scored data.</summary>
    /// <param name="predictions">Data with the model's class probabilities, the teacher's soft labels and (optionally) labels.</param>
    /// <param name="scoreColumnName">The model's probabilities (vector of K; normalised here if they do not sum to 1).</param>
    /// <param name="teacherSoftLabelsColumnName">The teacher's probabilities at T = 1 (vector of K), or <see langword="null"/> when there is no teacher (agreement and KL are then NaN).</param>
    /// <param name="labelColumnName">The class label (index, key or bool), or <see langword="null"/>.</param>
    /// <param name="scoresAreLogits">Whether the model's scores are logits (softmax is applied) rather than probabilities.</param>
    /// <param name="teacherScoresAreLogits">
    /// Whether <paramref name="teacherSoftLabelsColumnName"/> holds the teacher's logits, turned here into probabilities at T = 1
    /// (softmax), so soft labels made at another temperature need no second teacher run.
    /// </param>
    /// <returns>The metrics.</returns>
    /// <example>
    /// <code language="csharp">
    /// // Teacher-scored test rows (TeacherLogits, SoftLabels at any T): the student against labels and the teacher at T = 1.
    /// var metrics = DistillationEvaluator.Evaluate(student.Transform(scoredTest), teacherSoftLabelsColumnName: DataColumnNames.TeacherLogits, teacherScoresAreLogits: true);
    /// Console.WriteLine($"accuracy {metrics.Accuracy:P2}, agreement {metrics.Agreement:P2}");
    /// </code>
    /// </example>
    public static DistillationMetrics Evaluate(IDataView predictions, string scoreColumnName = DataColumnNames.Score, string? teacherSoftLabelsColumnName = DataColumnNames.SoftLabels,
        string? labelColumnName = DataColumnNames.Label, bool scoresAreLogits = false, bool teacherScoresAreLogits = false)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var schema = predictions.Schema;
        var score = schema.GetColumnOrNull(scoreColumnName) ?? throw new ArgumentException($"Score column '{scoreColumnName}' is not in the data.");
        DataViewSchema.Column? teacherColumn = teacherSoftLabelsColumnName is null ? null
            : schema.GetColumnOrNull(teacherSoftLabelsColumnName) ?? throw new ArgumentException($"Teacher soft-label column '{teacherSoftLabelsColumnName}' is not in the data.");
        int k = VectorSize(score.Type);
        if (k < 2 || (teacherColumn is { } tc && VectorSize(tc.Type) != k))
        {
            throw new ArgumentException($"The model's '{scoreColumnName}' has {k} classes and the teacher's '{teacherSoftLabelsColumnName}' has {(teacherColumn is { } t2 ? VectorSize(t2.Type) : 0)}; they must agree and be at least 2.");
        }

        var label = labelColumnName is not null && schema.GetColumnOrNull(labelColumnName) is { } l && LabelReader.CanRead(l.Type) ? l : (DataViewSchema.Column?)null;
        var active = new List<DataViewSchema.Column> { score };
        if (teacherColumn is { } teacher)
        {
            active.Add(teacher);
        }

        if (label is { } lab)
        {
            active.Add(lab);
        }

        using var cursor = predictions.GetRowCursor(active);
        var scoreGetter = cursor.GetGetter<VBuffer<float>>(score);
        var teacherGetter = teacherColumn is { } tcol ? cursor.GetGetter<VBuffer<float>>(tcol) : null;
        var labelGetter = label is { } lb ? LabelReader.Create(cursor, lb) : null;
        VBuffer<float> s = default, t = default;
        float[] q = new float[k], p = new float[k];
        long rows = 0, labeled = 0, correct = 0, agree = 0;
        double logLoss = 0, kl = 0;
        long[] truePositive = new long[k], predictedCount = new long[k], actualCount = new long[k];
        float y = 0;
        while (cursor.MoveNext())
        {
            scoreGetter(ref s);
            s.CopyTo(q);
            if (scoresAreLogits)
            {
                SoftLabelMath.Softmax(q, 1f, q);
            }

            float sum = 0;
            foreach (float v in q)
            {
                sum += v;
            }

            if (sum > 0 && MathF.Abs(sum - 1) > 1e-4f)
            {
                for (int c = 0; c < k; c++)
                {
                    q[c] /= sum;
                }
            }

            int predicted = SoftLabelMath.ArgMax(q);
            if (teacherGetter is not null)
            {
                teacherGetter(ref t);
                t.CopyTo(p);
                if (teacherScoresAreLogits)
                {
                    SoftLabelMath.Softmax(p, 1f, p);
                }

                agree += predicted == SoftLabelMath.ArgMax(p) ? 1 : 0;
                // KL is never negative; float rounding makes KL(p || p) about -1e-14, which is 0.
                kl += Math.Max(0.0, SoftLabelMath.KlDivergence(p, q));
            }

            rows++;
            if (labelGetter is not null)
            {
                labelGetter(ref y);
                if (!float.IsNaN(y) && y >= 0 && y < k)
                {
                    int actual = (int)y;
                    labeled++;
                    correct += predicted == actual ? 1 : 0;
                    logLoss -= Math.Log(Math.Max(q[actual], 1e-15));
                    predictedCount[predicted]++;
                    actualCount[actual]++;
                    truePositive[actual] += predicted == actual ? 1 : 0;
                }
            }
        }

        if (rows == 0)
        {
            throw new InvalidDataException("The evaluation data has no rows.");
        }

        double macroF1 = double.NaN;
        if (labeled > 0)
        {
            double f1Sum = 0;
            int present = 0;
            for (int c = 0; c < k; c++)
            {
                if (actualCount[c] == 0 && predictedCount[c] == 0)
                {
                    continue;
                }

                present++;
                double precision = predictedCount[c] == 0 ? 0 : (double)truePositive[c] / predictedCount[c];
                double recall = actualCount[c] == 0 ? 0 : (double)truePositive[c] / actualCount[c];
                f1Sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            }

            macroF1 = f1Sum / present;
        }

        return new DistillationMetrics(
            labeled > 0 ? (double)correct / labeled : double.NaN,
            macroF1,
            labeled > 0 ? logLoss / labeled : double.NaN,
            teacherGetter is null ? double.NaN : (double)agree / rows,
            teacherGetter is null ? double.NaN : kl / rows,
            rows);
    }

    private static int VectorSize(DataViewType type) => type is VectorDataViewType v ? v.Size : 0;
}
