using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Students;
using MLNetDistill.MlNet;

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
    /// <param name="baseTrainer">Any ML.NET multiclass trainer made with an example weight column.</param>
    /// <param name="alpha">The weight of the soft labels against the hard label, in [0, 1].</param>
    /// <returns>The trainer.</returns>
    /// <example>
    /// <code language="csharp">
    /// var lightGbm = mlContext.MulticlassClassification.Trainers.LightGbm(labelColumnName: "Label", exampleWeightColumnName: "Weight");
    /// var student = mlContext.MulticlassClassification.Trainers.SoftLabel(lightGbm).Fit(teacher.Transform(data));
    /// mlContext.Model.Save(student, data.Schema, "student.zip"); // an ordinary LightGbm model
    /// </code>
    /// </example>
    public static SoftLabelTrainer<TTransformer> SoftLabel<TTransformer>(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        IEstimator<TTransformer> baseTrainer, float alpha = 0.5f)
        where TTransformer : class, ITransformer =>
        SoftLabel(catalog, baseTrainer, new SoftLabelOptions { Alpha = alpha });

    /// <summary>Trains <paramref name="baseTrainer"/> on soft labels with every option (columns, alpha, pruning).</summary>
    /// <typeparam name="TTransformer">The base trainer's model type.</typeparam>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="baseTrainer">Any ML.NET multiclass trainer made with an example weight column.</param>
    /// <param name="options">The options; copied and validated here.</param>
    /// <returns>The trainer.</returns>
    public static SoftLabelTrainer<TTransformer> SoftLabel<TTransformer>(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        IEstimator<TTransformer> baseTrainer, SoftLabelOptions options)
        where TTransformer : class, ITransformer
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new SoftLabelTrainer<TTransformer>(CatalogEnvironment.Transforms(catalog), baseTrainer, options);
    }

    /// <summary>
    /// Trains a binary ML.NET trainer made with an example weight column on a binary teacher's soft labels (two
    /// weighted rows per row: positive with weight p, negative with weight 1 − p), mixed with the hard label.
    /// </summary>
    /// <typeparam name="TTransformer">The base trainer's model type.</typeparam>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="baseTrainer">An ML.NET binary trainer made with an example weight column.</param>
    /// <param name="alpha">The weight of the soft labels against the hard label, in [0, 1].</param>
    /// <returns>The trainer; its model is the base trainer's own.</returns>
    /// <example>
    /// <code language="csharp">
    /// var fastTree = mlContext.BinaryClassification.Trainers.FastTree(exampleWeightColumnName: "Weight");
    /// var student = mlContext.BinaryClassification.Trainers.SoftLabel(fastTree).Fit(teacher.Transform(data));
    /// </code>
    /// </example>
    public static SoftLabelTrainer<TTransformer> SoftLabel<TTransformer>(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        IEstimator<TTransformer> baseTrainer, float alpha = 0.5f)
        where TTransformer : class, ITransformer =>
        SoftLabel(catalog, baseTrainer, new SoftLabelOptions { Alpha = alpha, TopK = 0, MinProbability = 0 });

    /// <summary>
    /// Trains a binary ML.NET trainer made with an example weight column on a binary teacher's soft labels, with every
    /// option (columns, alpha, pruning).
    /// </summary>
    /// <remarks>
    /// Pruning applies as for a multiclass student: with <see cref="SoftLabelOptions"/>' defaults a row whose target
    /// for one class is below <see cref="SoftLabelOptions.MinProbability"/> (0.01) becomes a single row of the other
    /// class. Set <see cref="SoftLabelOptions.MinProbability"/> to 0 to keep both weighted rows of every row, as the
    /// simple overload does.
    /// </remarks>
    /// <typeparam name="TTransformer">The base trainer's model type.</typeparam>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="baseTrainer">An ML.NET binary trainer made with an example weight column.</param>
    /// <param name="options">The options; copied and validated here.</param>
    /// <returns>The trainer; its model is the base trainer's own.</returns>
    /// <example>
    /// <code language="csharp">
    /// var fastTree = mlContext.BinaryClassification.Trainers.FastTree(exampleWeightColumnName: "Weight");
    /// var options = new SoftLabelOptions { Alpha = 0.8f, MinProbability = 0 };
    /// var student = mlContext.BinaryClassification.Trainers.SoftLabel(fastTree, options).Fit(teacher.Transform(data));
    /// </code>
    /// </example>
    public static SoftLabelTrainer<TTransformer> SoftLabel<TTransformer>(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        IEstimator<TTransformer> baseTrainer, SoftLabelOptions options)
        where TTransformer : class, ITransformer
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new SoftLabelTrainer<TTransformer>(CatalogEnvironment.Transforms(catalog), baseTrainer, options, binary: true);
    }

    /// <summary>
    /// Trains an ML.NET regression trainer on alpha · teacher + (1 − alpha) · label (the teacher alone where the label
    /// is missing), from a regression teacher's <c>TeacherScore</c> column.
    /// </summary>
    /// <typeparam name="TTransformer">The base trainer's model type.</typeparam>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="baseTrainer">An ML.NET regression trainer; its label column receives the target.</param>
    /// <param name="labelColumnName">The base trainer's label column (the target is written there; the original label is read from <paramref name="sourceLabelColumnName"/>).</param>
    /// <param name="sourceLabelColumnName">The data's own label column, or a missing column for unlabeled data.</param>
    /// <param name="teacherColumnName">The teacher's prediction column.</param>
    /// <param name="alpha">The weight of the teacher's prediction, in [0, 1].</param>
    /// <returns>The trainer.</returns>
    /// <example>
    /// <code language="csharp">
    /// var sdca = mlContext.Regression.Trainers.Sdca(labelColumnName: "Target");
    /// var student = mlContext.Regression.Trainers.SoftTarget(sdca).Fit(teacher.Transform(data)); // teacher scored with Task = Regression
    /// </code>
    /// </example>
    public static SoftTargetTrainer<TTransformer> SoftTarget<TTransformer>(this RegressionCatalog.RegressionTrainers catalog, IEstimator<TTransformer> baseTrainer,
        string labelColumnName = DataColumnNames.Target, string sourceLabelColumnName = DataColumnNames.Label, string teacherColumnName = DataColumnNames.TeacherScore, float alpha = 0.5f)
        where TTransformer : class, ITransformer =>
        SoftTarget(catalog, baseTrainer, new SoftTargetOptions
        {
            LabelColumnName = labelColumnName,
            SourceLabelColumnName = sourceLabelColumnName,
            TeacherScoreColumnName = teacherColumnName,
            Alpha = alpha,
        });

    /// <summary>
    /// Trains an ML.NET regression trainer on alpha · teacher + (1 − alpha) · label, with every option.
    /// </summary>
    /// <typeparam name="TTransformer">The base trainer's model type.</typeparam>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="baseTrainer">An ML.NET regression trainer whose label column is <see cref="SoftTargetOptions.LabelColumnName"/>.</param>
    /// <param name="options">The options; copied and validated here.</param>
    /// <returns>The trainer.</returns>
    public static SoftTargetTrainer<TTransformer> SoftTarget<TTransformer>(this RegressionCatalog.RegressionTrainers catalog, IEstimator<TTransformer> baseTrainer,
        SoftTargetOptions options)
        where TTransformer : class, ITransformer
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new SoftTargetTrainer<TTransformer>(baseTrainer, options);
    }

    /// <summary>
    /// Logit matching (Ba and Caruana 2014): one regression model per class fitted to the teacher's logits
    /// (column <c>TeacherLogits</c>); <c>Score</c> holds the predicted logits.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="regressionTrainer">Makes the regression trainer for one class, given the label column it must read.</param>
    /// <param name="logitsColumnName">The teacher's logits column.</param>
    /// <returns>The trainer.</returns>
    /// <example>
    /// <code language="csharp">
    /// var student = mlContext.MulticlassClassification.Trainers.LogitMatching(
    ///     label => mlContext.Regression.Trainers.FastTree(labelColumnName: label, numberOfTrees: 100)).Fit(teacher.Transform(data));
    /// </code>
    /// </example>
    public static LogitMatchingTrainer LogitMatching(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        Func<string, IEstimator<ITransformer>> regressionTrainer, string logitsColumnName = DataColumnNames.TeacherLogits)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new LogitMatchingTrainer(CatalogEnvironment.Transforms(catalog), regressionTrainer, logitsColumnName);
    }
}
