using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Numerics;

namespace MLNetDistill.Evaluation;

/// <summary>
/// Evaluates a student (or the teacher itself) against labels and against the teacher's soft labels: the implementation
/// behind the public way, the catalogs' <c>EvaluateDistillation</c> (<see cref="DistillationEvaluationCatalog"/>).
/// </summary>
internal static class DistillationEvaluation
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
    public static DistillationMetrics Evaluate(IDataView predictions, string scoreColumnName = DataColumnNames.Score, string? teacherSoftLabelsColumnName = DataColumnNames.SoftLabels,
        string? labelColumnName = DataColumnNames.Label, bool scoresAreLogits = false, bool teacherScoresAreLogits = false)
    {
        var options = new DistillationEvaluationOptions
        {
            ScoreColumnName = scoreColumnName,
            TeacherColumnName = teacherSoftLabelsColumnName,
            LabelColumnName = labelColumnName,
            ScoresAreLogits = scoresAreLogits,
            TeacherScoresAreLogits = teacherScoresAreLogits,
        };
        return EvaluateDetailed(predictions, options).ToMetrics();
    }

    /// <summary>
    /// Computes every quality metric of a student against labels and its teacher in one pass: accuracy, macro-F1, log-loss,
    /// top-1 and top-k agreement, KL(teacher ‖ student), the expected calibration error of student and teacher, retained
    /// accuracy, per-class accuracy and agreement, and the inheritance table of the teacher's mistakes.
    /// </summary>
    /// <param name="predictions">Data with the student's class scores, the teacher's probabilities and (optionally) labels, e.g. <c>student.Transform(scoredTest)</c>.</param>
    /// <param name="options">The columns and settings; <see langword="null"/> for the defaults (<c>Score</c>, <c>SoftLabels</c>, <c>Label</c>, 15 bins, top-3).</param>
    /// <returns>The metrics.</returns>
    public static DistillationQuality EvaluateDetailed(IDataView predictions, DistillationEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        options = (options ?? new DistillationEvaluationOptions()).Validated();
        string scoreColumnName = options.ScoreColumnName;
        string? teacherSoftLabelsColumnName = options.TeacherColumnName;
        string? labelColumnName = options.LabelColumnName;
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
        var accumulator = new QualityAccumulator(k, options.CalibrationBins, options.TopK, teacherGetter is not null);
        VBuffer<float> s = default, t = default;
        float[] q = new float[k], p = new float[k];
        float y = float.NaN;
        bool scoresAreLogits = options.ScoresAreLogits, teacherScoresAreLogits = options.TeacherScoresAreLogits;
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

            if (teacherGetter is not null)
            {
                teacherGetter(ref t);
                t.CopyTo(p);
                if (teacherScoresAreLogits)
                {
                    SoftLabelMath.Softmax(p, 1f, p);
                }
            }

            int actual = -1;
            if (labelGetter is not null)
            {
                labelGetter(ref y);
                if (!float.IsNaN(y) && y >= 0 && y < k)
                {
                    actual = (int)y;
                }
            }

            accumulator.Add(q, teacherGetter is null ? ReadOnlySpan<float>.Empty : p, actual);
        }

        if (accumulator.Rows == 0)
        {
            throw new InvalidDataException("The evaluation data has no rows.");
        }

        return accumulator.Result();
    }

    /// <summary>Evaluates a binary student against labels and its teacher: accuracy, AUC, log-loss, agreement, KL, and the teacher's accuracy and AUC.</summary>
    /// <param name="predictions">Data with the student's <c>Probability</c>, the teacher's probabilities and (optionally) labels.</param>
    /// <param name="options">The columns; <see langword="null"/> for <c>Probability</c>, <c>SoftLabels</c>, <c>Label</c>.</param>
    /// <returns>The metrics.</returns>
    public static BinaryDistillationQuality EvaluateBinary(IDataView predictions, BinaryDistillationEvaluationOptions? options = null) =>
        ScalarDistillationEvaluator.EvaluateBinary(predictions, options);

    /// <summary>Evaluates a regression student against targets and its teacher: RMSE, MAE, R², the teacher's RMSE and R², RMSE to and correlation with the teacher.</summary>
    /// <param name="predictions">Data with the student's <c>Score</c>, the teacher's <c>TeacherScore</c> and (optionally) targets.</param>
    /// <param name="options">The columns; <see langword="null"/> for <c>Score</c>, <c>TeacherScore</c>, <c>Label</c>.</param>
    /// <returns>The metrics.</returns>
    public static RegressionDistillationQuality EvaluateRegression(IDataView predictions, RegressionDistillationEvaluationOptions? options = null) =>
        ScalarDistillationEvaluator.EvaluateRegression(predictions, options);

    private static int VectorSize(DataViewType type) => type is VectorDataViewType v ? v.Size : 0;
}
