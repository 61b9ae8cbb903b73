using Microsoft.ML;
using MLNetDistill.Students.Mlp;
using MLNetDistill.MlNet;

namespace MLNetDistill;

/// <summary>
/// Extension methods that add MLP distillation students to <c>mlContext.MulticlassClassification.Trainers</c>,
/// <c>mlContext.BinaryClassification.Trainers</c> and <c>mlContext.Regression.Trainers</c>.
/// </summary>
public static class MlpStudentCatalog
{
    /// <summary>
    /// Trains a small MLP student on the teacher's soft targets with the distillation loss
    /// α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(label, softmax(s)), and exports it to ONNX.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="hiddenLayerSizes">The hidden layers' widths, e.g. [256] or [1200, 1200].</param>
    /// <param name="epochs">The number of epochs: positive, or 0 (the default) to choose them by early stopping against the teacher (see <see cref="Students.Mlp.MlpTrainerOptions.Epochs"/>).</param>
    /// <param name="temperature">The distillation temperature T; positive.</param>
    /// <param name="alpha">The weight of the soft term, in [0, 1].</param>
    /// <returns>The trainer.</returns>
    /// <example>
    /// <code language="csharp">
    /// var scored = teacher.Transform(data); // Features, Label, TeacherLogits, SoftLabels
    /// using var student = mlContext.MulticlassClassification.Trainers.DistillMlp([256], epochs: 10).Fit(scored);
    /// student.SaveOnnx("student.onnx");
    /// </code>
    /// </example>
    public static MlpStudentTrainer DistillMlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        int[] hiddenLayerSizes, int epochs = 0, float temperature = 1f, float alpha = 0.9f) =>
        DistillMlp(catalog, SimpleOptions(hiddenLayerSizes, epochs, temperature, alpha));

    /// <summary>Trains a small MLP student with every option (losses, optimizer, schedule, early stopping, hint column).</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">The options; validated here.</param>
    /// <returns>The trainer.</returns>
    public static MlpStudentTrainer DistillMlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, MlpStudentOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpStudentTrainer(MlNet.CatalogEnvironment.Transforms(catalog), options);
    }

    /// <summary>
    /// Trains a small binary MLP student on a binary teacher's outputs (one logit, or two class logits, as scored by
    /// <c>ScoreWithTeacher</c>) with α·T²·KL + (1 − α)·CE over the two classes, and exports it to ONNX. The transformer
    /// adds <c>Score</c> (log-odds), <c>Probability</c> and <c>PredictedLabel</c> (bool), as
    /// <c>mlContext.BinaryClassification.Evaluate</c> expects.
    /// </summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="hiddenLayerSizes">The hidden layers' widths, e.g. [16].</param>
    /// <param name="epochs">The number of epochs: positive, or 0 (the default) to choose them by early stopping against the teacher (see <see cref="Students.Mlp.MlpTrainerOptions.Epochs"/>).</param>
    /// <param name="temperature">The distillation temperature T; positive.</param>
    /// <param name="alpha">The weight of the soft term, in [0, 1].</param>
    /// <returns>The trainer.</returns>
    /// <example>
    /// <code language="csharp">
    /// var scored = mlContext.Transforms.ScoreWithTeacher("binary_teacher.onnx").Fit(data).Transform(data); // Label is a bool
    /// using var student = mlContext.BinaryClassification.Trainers.DistillMlp([16], epochs: 50).Fit(scored);
    /// var metrics = mlContext.BinaryClassification.Evaluate(student.Transform(test));
    /// </code>
    /// </example>
    public static MlpStudentTrainer DistillMlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        int[] hiddenLayerSizes, int epochs = 0, float temperature = 1f, float alpha = 0.9f) =>
        DistillMlp(catalog, SimpleOptions(hiddenLayerSizes, epochs, temperature, alpha));

    /// <summary>Trains a small binary MLP student with every option.</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="options">The options; validated here.</param>
    /// <returns>The trainer.</returns>
    public static MlpStudentTrainer DistillMlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, MlpStudentOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpStudentTrainer(MlNet.CatalogEnvironment.Transforms(catalog), options, Teachers.TeacherTask.Binary);
    }

    /// <summary>
    /// Trains a small regression MLP student on a regression teacher's predictions (the <c>TeacherScore</c> column of
    /// <c>ScoreWithTeacher</c>) with α·MSE(student, teacher) + (1 − α)·MSE(student, label), and exports it to ONNX.
    /// Rows without a label (NaN) learn from the teacher alone. The transformer adds <c>Score</c>, as
    /// <c>mlContext.Regression.Evaluate</c> expects.
    /// </summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="hiddenLayerSizes">The hidden layers' widths, e.g. [32].</param>
    /// <param name="epochs">The number of epochs: positive, or 0 (the default) to choose them by early stopping against the teacher (see <see cref="Students.Mlp.MlpTrainerOptions.Epochs"/>).</param>
    /// <param name="alpha">The weight of the teacher term, in [0, 1].</param>
    /// <returns>The trainer.</returns>
    /// <example>
    /// <code language="csharp">
    /// var scored = mlContext.Transforms.ScoreWithTeacher("regression_teacher.onnx").Fit(data).Transform(data); // adds TeacherScore
    /// using var student = mlContext.Regression.Trainers.DistillMlp([32], epochs: 100).Fit(scored);
    /// var metrics = mlContext.Regression.Evaluate(student.Transform(test));
    /// </code>
    /// </example>
    public static MlpStudentTrainer DistillMlp(this RegressionCatalog.RegressionTrainers catalog,
        int[] hiddenLayerSizes, int epochs = 0, float alpha = 0.9f) =>
        DistillMlp(catalog, SimpleOptions(hiddenLayerSizes, epochs, 1f, alpha));

    /// <summary>Trains a small regression MLP student with every option (the temperature does not apply).</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="options">The options; validated here.</param>
    /// <returns>The trainer.</returns>
    public static MlpStudentTrainer DistillMlp(this RegressionCatalog.RegressionTrainers catalog, MlpStudentOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpStudentTrainer(MlNet.CatalogEnvironment.Transforms(catalog), options, Teachers.TeacherTask.Regression);
    }

    private static MlpStudentOptions SimpleOptions(int[] hiddenLayerSizes, int epochs, float temperature, float alpha)
    {
        var options = new MlpStudentOptions();
        options.Network.HiddenLayerSizes = hiddenLayerSizes;
        options.Network.Epochs = epochs;
        options.Network.Temperature = temperature;
        options.Network.Alpha = alpha;
        return options;
    }
}
