using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Teachers;

namespace MLNetDistill;

/// <summary>Extension methods that add the distillation evaluator to <see cref="MulticlassClassificationCatalog"/> (<c>mlContext.MulticlassClassification</c>).</summary>
public static class DistillationEvaluationCatalog
{
    /// <summary>
    /// Evaluates a student against the labels and against its teacher in one pass: accuracy, macro-F1, log-loss, top-1 and
    /// top-3 agreement, KL(teacher ‖ student), the expected calibration error (15 bins) of student and teacher, retained
    /// accuracy, per-class accuracy and agreement, and the inheritance table of the teacher's mistakes.
    /// </summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="data">Teacher-scored rows run through the student, e.g. <c>student.Transform(scoredTest)</c>.</param>
    /// <param name="labelColumnName">The class label (index, key or bool); when the data has no such column, only the teacher metrics are computed and a warning goes to <see cref="MLContext.Log"/>.</param>
    /// <param name="scoreColumnName">The student's class probabilities (vector of K).</param>
    /// <param name="teacherColumnName">The teacher's class probabilities (vector of K), or <see langword="null"/> without a teacher.</param>
    /// <returns>The metrics.</returns>
    /// <example>
    /// <code language="csharp">
    /// var quality = mlContext.MulticlassClassification.EvaluateDistillation(student.Transform(scoredTest));
    /// Console.WriteLine($"accuracy {quality.Accuracy:P2}, agreement {quality.Agreement:P2}, top-3 {quality.TopKAgreement:P2}");
    /// </code>
    /// </example>
    public static DistillationQuality EvaluateDistillation(this MulticlassClassificationCatalog catalog, IDataView data, string labelColumnName = DataColumnNames.Label,
        string scoreColumnName = DataColumnNames.Score, string? teacherColumnName = DataColumnNames.SoftLabels) =>
        EvaluateDistillation(catalog, data, new DistillationEvaluationOptions { LabelColumnName = labelColumnName, ScoreColumnName = scoreColumnName, TeacherColumnName = teacherColumnName });

    /// <summary>Evaluates a student against the labels and against its teacher, with every option: logit inputs, the number of calibration bins, the k of the top-k agreement.</summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="data">Teacher-scored rows run through the student.</param>
    /// <param name="options">The options; copied and checked here.</param>
    /// <returns>The metrics.</returns>
    /// <example>
    /// <code language="csharp">
    /// // The teacher at T = 1 from its logits, whatever temperature the soft labels were made at.
    /// var options = new DistillationEvaluationOptions { TeacherColumnName = DataColumnNames.TeacherLogits, TeacherScoresAreLogits = true, CalibrationBins = 10 };
    /// var quality = mlContext.MulticlassClassification.EvaluateDistillation(student.Transform(scoredTest), options);
    /// </code>
    /// </example>
    public static DistillationQuality EvaluateDistillation(this MulticlassClassificationCatalog catalog, IDataView data, DistillationEvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        if (options.LabelColumnName is { } label && data.Schema.GetColumnOrNull(label) is null)
        {
            CatalogEnvironment.Warn(catalog, $"The evaluation data has no label column '{label}': only the teacher metrics (agreement, KL) are computed; accuracy, log-loss, ECE and the inheritance table are NaN or absent.");
        }

        return DistillationEvaluator.EvaluateDetailed(data, options);
    }
}
