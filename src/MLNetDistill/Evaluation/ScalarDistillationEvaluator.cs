using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Numerics;
using MLNetDistill.Data;

namespace MLNetDistill.Evaluation;

/// <summary>The binary and regression distillation evaluators: one Single per row for the student (and the teacher), one pass.</summary>
internal static class ScalarDistillationEvaluator
{
    public static BinaryDistillationQuality EvaluateBinary(IDataView data, BinaryDistillationEvaluationOptions? options)
    {
        ArgumentNullException.ThrowIfNull(data);
        options = (options ?? new BinaryDistillationEvaluationOptions()).Validated();
        var schema = data.Schema;
        var probability = SingleColumn(schema, options.ProbabilityColumnName, "Probability");
        DataViewSchema.Column? teacher = null;
        if (options.TeacherColumnName is { } teacherName)
        {
            var t = schema.GetColumnOrNull(teacherName) ?? throw new ArgumentException($"Teacher column '{teacherName}' is not in the data.");
            if (t.Type != NumberDataViewType.Single && !(t.Type is VectorDataViewType { Size: 2 } v && v.ItemType == NumberDataViewType.Single))
            {
                throw new ArgumentException($"Teacher column '{teacherName}' holds {t.Type}; a binary teacher's probabilities must be a vector of 2 Singles (negative, positive) or one Single (positive).");
            }

            teacher = t;
        }

        var label = LabelColumn(schema, options.LabelColumnName);
        using var cursor = data.GetRowCursor(Active(probability, teacher, label));
        var probabilityGetter = cursor.GetGetter<float>(probability);
        var teacherGetter = TeacherProbability(cursor, teacher);
        var labelGetter = label is { } l ? LabelReader.Create(cursor, l) : null;
        var scores = new List<float>();
        var teacherScores = new List<float>();
        var positives = new List<bool>();
        long rows = 0, correct = 0, teacherCorrect = 0, agree = 0;
        double logLoss = 0, kl = 0;
        float q = 0, p = 0, y = float.NaN;
        Span<float> qs = stackalloc float[2], ps = stackalloc float[2];
        while (cursor.MoveNext())
        {
            rows++;
            probabilityGetter(ref q);
            bool predicted = q > 0.5f;
            bool teacherPredicted = false;
            if (teacherGetter is not null)
            {
                teacherGetter(ref p);
                teacherPredicted = p > 0.5f;
                agree += predicted == teacherPredicted ? 1 : 0;
                qs[0] = 1 - q;
                qs[1] = q;
                ps[0] = 1 - p;
                ps[1] = p;
                kl += Math.Max(0.0, SoftLabelMath.KlDivergence(ps, qs));
            }

            if (labelGetter is null)
            {
                continue;
            }

            labelGetter(ref y);
            if (float.IsNaN(y))
            {
                continue;
            }

            bool positive = y > 0.5f;
            positives.Add(positive);
            scores.Add(q);
            correct += predicted == positive ? 1 : 0;
            logLoss -= Math.Log(Math.Max(positive ? q : 1 - q, 1e-15));
            if (teacherGetter is not null)
            {
                teacherScores.Add(p);
                teacherCorrect += teacherPredicted == positive ? 1 : 0;
            }
        }

        NoRows(rows);
        long labeled = positives.Count;
        bool hasTeacher = teacherGetter is not null;
        double accuracy = labeled > 0 ? (double)correct / labeled : double.NaN;
        double teacherAccuracy = labeled > 0 && hasTeacher ? (double)teacherCorrect / labeled : double.NaN;
        bool[] truth = [.. positives];
        return new BinaryDistillationQuality(rows, labeled, accuracy, Auc([.. scores], truth), labeled > 0 ? logLoss / labeled : double.NaN,
            hasTeacher ? (double)agree / rows : double.NaN, hasTeacher ? kl / rows : double.NaN,
            teacherAccuracy, hasTeacher ? Auc([.. teacherScores], truth) : double.NaN, accuracy / teacherAccuracy);
    }

    public static RegressionDistillationQuality EvaluateRegression(IDataView data, RegressionDistillationEvaluationOptions? options)
    {
        ArgumentNullException.ThrowIfNull(data);
        options = (options ?? new RegressionDistillationEvaluationOptions()).Validated();
        var schema = data.Schema;
        var score = SingleColumn(schema, options.ScoreColumnName, "Score");
        DataViewSchema.Column? teacher = options.TeacherColumnName is { } teacherName ? SingleColumn(schema, teacherName, "Teacher") : null;
        var label = LabelColumn(schema, options.LabelColumnName);
        using var cursor = data.GetRowCursor(Active(score, teacher, label));
        var scoreGetter = cursor.GetGetter<float>(score);
        var teacherGetter = teacher is { } tc ? cursor.GetGetter<float>(tc) : null;
        var labelGetter = label is { } l ? LabelReader.Create(cursor, l) : null;
        long rows = 0, labeled = 0;
        double squared = 0, absolute = 0, teacherSquared = 0, labelSum = 0, labelSquares = 0, toTeacher = 0;
        double sumS = 0, sumT = 0, sumSS = 0, sumTT = 0, sumST = 0;
        float s = 0, t = 0, y = float.NaN;
        while (cursor.MoveNext())
        {
            rows++;
            scoreGetter(ref s);
            if (teacherGetter is not null)
            {
                teacherGetter(ref t);
                double d = s - t;
                toTeacher += d * d;
                sumS += s;
                sumT += t;
                sumSS += (double)s * s;
                sumTT += (double)t * t;
                sumST += (double)s * t;
            }

            if (labelGetter is null)
            {
                continue;
            }

            labelGetter(ref y);
            if (float.IsNaN(y))
            {
                continue;
            }

            labeled++;
            double e = s - y;
            squared += e * e;
            absolute += Math.Abs(e);
            labelSum += y;
            labelSquares += (double)y * y;
            if (teacherGetter is not null)
            {
                double te = t - y;
                teacherSquared += te * te;
            }
        }

        NoRows(rows);
        bool hasTeacher = teacherGetter is not null;
        bool hasLabels = labeled > 0;
        double total = labelSquares - (labelSum * labelSum / labeled);
        double covariance = (rows * sumST) - (sumS * sumT);
        double spread = Math.Sqrt((rows * sumSS) - (sumS * sumS)) * Math.Sqrt((rows * sumTT) - (sumT * sumT));
        return new RegressionDistillationQuality(rows, labeled,
            hasLabels ? Math.Sqrt(squared / labeled) : double.NaN,
            hasLabels ? absolute / labeled : double.NaN,
            hasLabels ? 1 - (squared / total) : double.NaN,
            hasLabels && hasTeacher ? Math.Sqrt(teacherSquared / labeled) : double.NaN,
            hasLabels && hasTeacher ? 1 - (teacherSquared / total) : double.NaN,
            hasTeacher ? Math.Sqrt(toTeacher / rows) : double.NaN,
            hasTeacher && spread > 0 ? covariance / spread : double.NaN);
    }

    /// <summary>The ROC AUC by the rank-sum (Mann-Whitney) formula, tied scores given their mean rank; NaN unless both classes occur.</summary>
    internal static double Auc(float[] scores, bool[] positive)
    {
        long positives = 0;
        foreach (bool b in positive)
        {
            positives += b ? 1 : 0;
        }

        long negatives = positive.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        var order = new int[scores.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        float[] keys = (float[])scores.Clone();
        Array.Sort(keys, order);
        double positiveRanks = 0;
        for (int i = 0; i < keys.Length;)
        {
            int j = i;
            while (j + 1 < keys.Length && keys[j + 1] == keys[i])
            {
                j++;
            }

            double meanRank = ((i + 1) + (j + 1)) / 2.0;
            for (int r = i; r <= j; r++)
            {
                positiveRanks += positive[order[r]] ? meanRank : 0;
            }

            i = j + 1;
        }

        return (positiveRanks - (positives * (positives + 1) / 2.0)) / ((double)positives * negatives);
    }

    private static DataViewSchema.Column SingleColumn(DataViewSchema schema, string name, string role)
    {
        var column = schema.GetColumnOrNull(name) ?? throw new ArgumentException($"{role} column '{name}' is not in the data.");
        if (column.Type != NumberDataViewType.Single)
        {
            throw new ArgumentException($"{role} column '{name}' holds {column.Type}; it must be one Single per row.");
        }

        return column;
    }

    private static DataViewSchema.Column? LabelColumn(DataViewSchema schema, string? name) =>
        name is not null && schema.GetColumnOrNull(name) is { } l && LabelReader.CanRead(l.Type) ? l : null;

    private static List<DataViewSchema.Column> Active(DataViewSchema.Column main, DataViewSchema.Column? teacher, DataViewSchema.Column? label)
    {
        var active = new List<DataViewSchema.Column> { main };
        if (teacher is { } t)
        {
            active.Add(t);
        }

        if (label is { } l)
        {
            active.Add(l);
        }

        return active;
    }

    private static ValueGetter<float>? TeacherProbability(DataViewRow row, DataViewSchema.Column? teacher)
    {
        if (teacher is not { } column)
        {
            return null;
        }

        if (column.Type == NumberDataViewType.Single)
        {
            return row.GetGetter<float>(column);
        }

        var vector = row.GetGetter<VBuffer<float>>(column);
        VBuffer<float> buffer = default;
        return (ref float value) =>
        {
            vector(ref buffer);
            value = buffer.GetItemOrDefault(1);
        };
    }

    private static void NoRows(long rows)
    {
        if (rows == 0)
        {
            throw new InvalidDataException("The evaluation data has no rows.");
        }
    }
}
