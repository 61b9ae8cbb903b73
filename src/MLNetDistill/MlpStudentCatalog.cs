using Microsoft.ML;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill;

/// <summary>Extension methods that add MLP distillation students to <c>mlContext.MulticlassClassification.Trainers</c>.</summary>
public static class MlpStudentCatalog
{
    /// <summary>
    /// Trains a small MLP student on the teacher's soft targets with the distillation loss
    /// α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(label, softmax(s)), and exports it to ONNX.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="mlContext">The ML.NET context (for the saveable ONNX path).</param>
    /// <param name="hiddenLayerSizes">The hidden layers' widths, e.g. [256] or [1200, 1200].</param>
    /// <param name="epochs">The number of epochs; positive.</param>
    /// <param name="temperature">The distillation temperature T; positive.</param>
    /// <param name="alpha">The weight of the soft term, in [0, 1].</param>
    /// <returns>The trainer.</returns>
    /// <example>
    /// <code language="csharp">
    /// var scored = teacher.Transform(data); // Features, Label, TeacherLogits, SoftLabels
    /// using var student = mlContext.MulticlassClassification.Trainers.DistillMlp(mlContext, [256], epochs: 10).Fit(scored);
    /// student.SaveOnnx("student.onnx");
    /// </code>
    /// </example>
    public static MlpStudentTrainer DistillMlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, MLContext mlContext,
        int[] hiddenLayerSizes, int epochs = 10, float temperature = 1f, float alpha = 0.7f)
    {
        var options = new MlpStudentOptions();
        options.Network.HiddenLayerSizes = hiddenLayerSizes;
        options.Network.Epochs = epochs;
        options.Network.Temperature = temperature;
        options.Network.Alpha = alpha;
        return DistillMlp(catalog, mlContext, options);
    }

    /// <summary>Trains a small MLP student with every option (losses, optimizer, schedule, early stopping, hint column).</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="mlContext">The ML.NET context (for the saveable ONNX path).</param>
    /// <param name="options">The options; validated here.</param>
    /// <returns>The trainer.</returns>
    public static MlpStudentTrainer DistillMlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, MLContext mlContext, MlpStudentOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(mlContext);
        return new MlpStudentTrainer(mlContext, options);
    }
}
