using Microsoft.ML;
using MLNetDistill.Students;

namespace MLNetDistill;

/// <summary>Extension methods that turn ML.NET trainers into distillation students (<c>mlContext.MulticlassClassification.Trainers</c>).</summary>
public static class StudentCatalog
{
    /// <summary>
    /// Trains <paramref name="baseTrainer"/> on the teacher's soft labels (column <c>SoftLabels</c>) by weighted
    /// expansion, mixed with the hard label <c>Label</c> where known. The result is the base trainer's own model.
    /// </summary>
    /// <typeparam name="TTransformer">The base trainer's model type.</typeparam>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="mlContext">The ML.NET context (warnings go to its log).</param>
    /// <param name="baseTrainer">Any ML.NET multiclass trainer made with an example weight column.</param>
    /// <param name="alpha">The weight of the soft labels against the hard label, in [0, 1].</param>
    /// <returns>The trainer.</returns>
    /// <example>
    /// <code language="csharp">
    /// var lightGbm = mlContext.MulticlassClassification.Trainers.LightGbm(labelColumnName: "Label", exampleWeightColumnName: "Weight");
    /// var student = mlContext.MulticlassClassification.Trainers.SoftLabel(mlContext, lightGbm).Fit(teacher.Transform(data));
    /// mlContext.Model.Save(student, data.Schema, "student.zip"); // an ordinary LightGbm model
    /// </code>
    /// </example>
    public static SoftLabelTrainer<TTransformer> SoftLabel<TTransformer>(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        MLContext mlContext, IEstimator<TTransformer> baseTrainer, float alpha = 0.5f)
        where TTransformer : class, ITransformer =>
        SoftLabel(catalog, mlContext, baseTrainer, new SoftLabelOptions { Alpha = alpha });

    /// <summary>Trains <paramref name="baseTrainer"/> on soft labels with every option (columns, alpha, pruning).</summary>
    /// <typeparam name="TTransformer">The base trainer's model type.</typeparam>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="mlContext">The ML.NET context (warnings go to its log).</param>
    /// <param name="baseTrainer">Any ML.NET multiclass trainer made with an example weight column.</param>
    /// <param name="options">The options; validated here.</param>
    /// <returns>The trainer.</returns>
    public static SoftLabelTrainer<TTransformer> SoftLabel<TTransformer>(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        MLContext mlContext, IEstimator<TTransformer> baseTrainer, SoftLabelOptions options)
        where TTransformer : class, ITransformer
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(mlContext);
        return new SoftLabelTrainer<TTransformer>(mlContext, baseTrainer, options);
    }
}
