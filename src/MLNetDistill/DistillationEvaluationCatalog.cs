using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.MlNet;

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
        WarnIfNoLabel(catalog, data, options.LabelColumnName);
        return DistillationEvaluation.EvaluateDetailed(data, options);
    }
    /// <summary>Evaluates a binary student against the labels and its teacher: accuracy, AUC, log-loss, agreement, KL(teacher ‖ student), the teacher's accuracy and AUC, retained accuracy.</summary>
    /// <param name="catalog">The binary classification catalog.</param>
    /// <param name="data">Teacher-scored rows run through the student.</param>
    /// <param name="labelColumnName">The label (bool, key or number above 0.5 for positive); when absent only the teacher metrics are computed and a warning goes to <see cref="MLContext.Log"/>.</param>
    /// <param name="probabilityColumnName">The student's probability of the positive class.</param>
    /// <param name="teacherColumnName">The teacher's probabilities (vector of 2, or one Single), or <see langword="null"/>.</param>
    /// <returns>The metrics.</returns>
    /// <example>
    /// <code language="csharp">
    /// var q = mlContext.BinaryClassification.EvaluateDistillation(student.Transform(scoredTest));
    /// Console.WriteLine($"AUC {q.Auc:F3} (teacher {q.TeacherAuc:F3}), agreement {q.Agreement:P1}");
    /// </code>
    /// </example>
    public static BinaryDistillationQuality EvaluateDistillation(this BinaryClassificationCatalog catalog, IDataView data, string labelColumnName = DataColumnNames.Label,
        string probabilityColumnName = "Probability", string? teacherColumnName = DataColumnNames.SoftLabels) =>
        EvaluateDistillation(catalog, data, new BinaryDistillationEvaluationOptions { LabelColumnName = labelColumnName, ProbabilityColumnName = probabilityColumnName, TeacherColumnName = teacherColumnName });

    /// <summary>Evaluates a binary student against the labels and its teacher, with the columns in <paramref name="options"/>.</summary>
    /// <param name="catalog">The binary classification catalog.</param>
    /// <param name="data">Teacher-scored rows run through the student.</param>
    /// <param name="options">The options; copied and checked here.</param>
    /// <returns>The metrics.</returns>
    /// <example>
    /// <code language="csharp">
    /// var q = mlContext.BinaryClassification.EvaluateDistillation(predictions, new BinaryDistillationEvaluationOptions { LabelColumnName = "IsSpam" });
    /// </code>
    /// </example>
    public static BinaryDistillationQuality EvaluateDistillation(this BinaryClassificationCatalog catalog, IDataView data, BinaryDistillationEvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        WarnIfNoLabel(catalog, data, options.LabelColumnName);
        return DistillationEvaluation.EvaluateBinary(data, options);
    }

    /// <summary>Evaluates a regression student against the targets and its teacher: RMSE, MAE, R², the teacher's RMSE and R², RMSE to and correlation with the teacher.</summary>
    /// <param name="catalog">The regression catalog.</param>
    /// <param name="data">Teacher-scored rows run through the student.</param>
    /// <param name="labelColumnName">The target; when absent only the teacher metrics are computed and a warning goes to <see cref="MLContext.Log"/>.</param>
    /// <param name="scoreColumnName">The student's prediction.</param>
    /// <param name="teacherColumnName">The teacher's prediction, or <see langword="null"/>.</param>
    /// <returns>The metrics.</returns>
    /// <example>
    /// <code language="csharp">
    /// var q = mlContext.Regression.EvaluateDistillation(student.Transform(scoredTest));
    /// Console.WriteLine($"R² {q.RSquared:F3} (teacher {q.TeacherRSquared:F3}), correlation with the teacher {q.CorrelationWithTeacher:F3}");
    /// </code>
    /// </example>
    public static RegressionDistillationQuality EvaluateDistillation(this RegressionCatalog catalog, IDataView data, string labelColumnName = DataColumnNames.Label,
        string scoreColumnName = DataColumnNames.Score, string? teacherColumnName = DataColumnNames.TeacherScore) =>
        EvaluateDistillation(catalog, data, new RegressionDistillationEvaluationOptions { LabelColumnName = labelColumnName, ScoreColumnName = scoreColumnName, TeacherColumnName = teacherColumnName });

    /// <summary>Evaluates a regression student against the targets and its teacher, with the columns in <paramref name="options"/>.</summary>
    /// <param name="catalog">The regression catalog.</param>
    /// <param name="data">Teacher-scored rows run through the student.</param>
    /// <param name="options">The options; copied and checked here.</param>
    /// <returns>The metrics.</returns>
    /// <example>
    /// <code language="csharp">
    /// var q = mlContext.Regression.EvaluateDistillation(predictions, new RegressionDistillationEvaluationOptions { LabelColumnName = "Price" });
    /// </code>
    /// </example>
    public static RegressionDistillationQuality EvaluateDistillation(this RegressionCatalog catalog, IDataView data, RegressionDistillationEvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        WarnIfNoLabel(catalog, data, options.LabelColumnName);
        return DistillationEvaluation.EvaluateRegression(data, options);
    }

    /// <summary>
    /// Measures what a model costs: its size in bytes, its parameter count where known, its single-row latency p50/p99 in µs
    /// through its row-to-row mapper (what a <c>PredictionEngine</c> runs; after warm-up) and its batch throughput in rows/s.
    /// Works for students and for the teacher (timed one row at a time through its saveable ApplyOnnxModel twin), so speed-up
    /// and size ratios come from one call each.
    /// </summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The fitted model: a student, a chain, or a teacher from <c>ScoreWithTeacher(...).Fit(...)</c>.</param>
    /// <param name="data">The rows to run it on, cached (<c>mlContext.Data.Cache</c>) so that reading them costs little; re-read from the start when fewer than the timed rows.</param>
    /// <returns>The cost.</returns>
    /// <example>
    /// <code language="csharp">
    /// var cost = mlContext.Model.MeasureDistillationCost(student, mlContext.Data.Cache(testRows));
    /// Console.WriteLine($"{cost.ModelBytes} bytes, p50 {cost.LatencyP50Microseconds:F0} µs, {cost.ThroughputRowsPerSecond:F0} rows/s");
    /// </code>
    /// </example>
    public static DistillationCost MeasureDistillationCost(this ModelOperationsCatalog catalog, ITransformer model, IDataView data) =>
        DistillationCostEvaluator.Measure(catalog, model, data, null);

    /// <summary>Measures what a model costs, with every option: warm-up and timed rows, the columns read, known size or parameter count.</summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The fitted model.</param>
    /// <param name="data">The rows to run it on, cached.</param>
    /// <param name="options">The options; copied and checked here.</param>
    /// <returns>The cost.</returns>
    /// <example>
    /// <code language="csharp">
    /// var cost = mlContext.Model.MeasureDistillationCost(student, testRows, new DistillationCostOptions { WarmupRows = 100, LatencyRows = 5_000 });
    /// </code>
    /// </example>
    public static DistillationCost MeasureDistillationCost(this ModelOperationsCatalog catalog, ITransformer model, IDataView data, DistillationCostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return DistillationCostEvaluator.Measure(catalog, model, data, options);
    }
    private static void WarnIfNoLabel(object catalog, IDataView data, string? label)
    {
        if (label is not null && data.Schema.GetColumnOrNull(label) is null)
        {
            CatalogEnvironment.Warn(catalog, $"The evaluation data has no label column '{label}': only the teacher metrics (agreement, KL, fidelity) are computed; the label metrics are NaN or absent.");
        }
    }
}
