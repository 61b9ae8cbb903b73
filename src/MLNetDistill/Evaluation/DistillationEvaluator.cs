using Microsoft.ML;
using MLNetDistill.Data;

namespace MLNetDistill.Evaluation;

/// <summary>
/// The old second way to evaluate, kept for one release: use the catalogs' <c>EvaluateDistillation</c>
/// (<c>mlContext.MulticlassClassification.EvaluateDistillation(...)</c>, and the binary and regression catalogs), the one
/// public way, which returns the same figures.
/// </summary>
[Obsolete("Use mlContext.MulticlassClassification.EvaluateDistillation (or the BinaryClassification and Regression catalogs' EvaluateDistillation); DistillationEvaluator goes in the next release.")]
public static class DistillationEvaluator
{
    /// <summary>The summary figures: <c>EvaluateDistillation(data, options).ToMetrics()</c>.</summary>
    /// <param name="predictions">Data with the model's class probabilities, the teacher's soft labels and (optionally) labels.</param>
    /// <param name="scoreColumnName">The model's probabilities.</param>
    /// <param name="teacherSoftLabelsColumnName">The teacher's probabilities at T = 1, or <see langword="null"/>.</param>
    /// <param name="labelColumnName">The class label, or <see langword="null"/>.</param>
    /// <param name="scoresAreLogits">Whether the model's scores are logits.</param>
    /// <param name="teacherScoresAreLogits">Whether the teacher's column holds logits.</param>
    /// <returns>The metrics.</returns>
    public static DistillationMetrics Evaluate(IDataView predictions, string scoreColumnName = DataColumnNames.Score, string? teacherSoftLabelsColumnName = DataColumnNames.SoftLabels,
        string? labelColumnName = DataColumnNames.Label, bool scoresAreLogits = false, bool teacherScoresAreLogits = false) =>
        DistillationEvaluation.Evaluate(predictions, scoreColumnName, teacherSoftLabelsColumnName, labelColumnName, scoresAreLogits, teacherScoresAreLogits);

    /// <summary>Every quality figure: <c>mlContext.MulticlassClassification.EvaluateDistillation(predictions, options)</c>.</summary>
    /// <param name="predictions">Data with the student's class scores, the teacher's probabilities and (optionally) labels.</param>
    /// <param name="options">The columns and settings, or <see langword="null"/> for the defaults.</param>
    /// <returns>The metrics.</returns>
    public static DistillationQuality EvaluateDetailed(IDataView predictions, DistillationEvaluationOptions? options = null) =>
        DistillationEvaluation.EvaluateDetailed(predictions, options);

    /// <summary>A binary student: <c>mlContext.BinaryClassification.EvaluateDistillation(predictions, options)</c>.</summary>
    /// <param name="predictions">Data with the student's <c>Probability</c>, the teacher's probabilities and (optionally) labels.</param>
    /// <param name="options">The columns, or <see langword="null"/>.</param>
    /// <returns>The metrics.</returns>
    public static BinaryDistillationQuality EvaluateBinary(IDataView predictions, BinaryDistillationEvaluationOptions? options = null) =>
        DistillationEvaluation.EvaluateBinary(predictions, options);

    /// <summary>A regression student: <c>mlContext.Regression.EvaluateDistillation(predictions, options)</c>.</summary>
    /// <param name="predictions">Data with the student's <c>Score</c>, the teacher's <c>TeacherScore</c> and (optionally) targets.</param>
    /// <param name="options">The columns, or <see langword="null"/>.</param>
    /// <returns>The metrics.</returns>
    public static RegressionDistillationQuality EvaluateRegression(IDataView predictions, RegressionDistillationEvaluationOptions? options = null) =>
        DistillationEvaluation.EvaluateRegression(predictions, options);
}
