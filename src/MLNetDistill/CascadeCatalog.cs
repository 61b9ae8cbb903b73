using Microsoft.ML;
using MLNetDistill.Serving;
using MLNetDistill.Teachers;

namespace MLNetDistill;

/// <summary>Extension methods that add the cascade (student first, teacher on the rows it is least sure of) to <see cref="TransformsCatalog"/> (<c>mlContext.Transforms</c>).</summary>
public static class CascadeCatalog
{
    /// <summary>
    /// A cascade of a fitted student and a fitted teacher whose threshold is chosen, when fitted on held-out rows, as the
    /// smallest share of rows sent to the teacher that keeps <paramref name="teacherQualityShare"/> of its accuracy.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="student">A fitted student that adds <c>Score</c>, the class probabilities (any multiclass ML.NET model or <c>DistillMlp</c>).</param>
    /// <param name="teacher">The fitted teacher scorer.</param>
    /// <param name="teacherQualityShare">The share of the teacher's accuracy to keep (0.99 = 99 %); of its agreement on unlabeled rows.</param>
    /// <param name="rule">How the student's probabilities become a confidence.</param>
    /// <returns>The estimator; fit it on held-out rows (never the test rows).</returns>
    /// <example>
    /// <code language="csharp">
    /// using var teacher = mlContext.Transforms.ScoreWithTeacher("samples/teachers/fashion_cnn.onnx").Fit(train);
    /// using var student = mlContext.MulticlassClassification.Trainers.DistillMlp([128], epochs: 10).Fit(teacher.Transform(train));
    /// var cascade = mlContext.Transforms.Cascade(student, teacher, teacherQualityShare: 0.99).Fit(heldOut);
    /// var answers = cascade.Transform(test); // Score, PredictedLabel, Deferred: the teacher ran only on the deferred rows
    /// Console.WriteLine($"threshold {cascade.Threshold}, {cascade.Choice!.DeferredShare:P1} of held-out rows deferred");
    /// </code>
    /// </example>
    public static CascadeEstimator Cascade(this TransformsCatalog catalog, ITransformer student, TeacherScoringTransformer teacher, double teacherQualityShare = 0.99,
        DeferralRule rule = DeferralRule.TopProbability) =>
        Cascade(catalog, student, teacher, new CascadeOptions { Rule = rule, Target = new CascadeTarget { TeacherQualityShare = teacherQualityShare } });

    /// <summary>A cascade of a fitted student and a fitted teacher, with every option: rule, target (quality, largest deferred share or lowest cost), columns, batch size.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="student">A fitted student that adds class probabilities.</param>
    /// <param name="teacher">The fitted teacher scorer.</param>
    /// <param name="options">The options; copied and validated here (the estimator keeps the copy).</param>
    /// <returns>The estimator; fit it on held-out rows (never the test rows).</returns>
    /// <example>
    /// <code language="csharp">
    /// var options = new CascadeOptions { Rule = DeferralRule.Margin, Target = new CascadeTarget { MaxDeferredShare = 0.2 } };
    /// var cascade = mlContext.Transforms.Cascade(student, teacher, options).Fit(heldOut);
    /// </code>
    /// </example>
    public static CascadeEstimator Cascade(this TransformsCatalog catalog, ITransformer student, TeacherScoringTransformer teacher, CascadeOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CascadeEstimator(catalog, student, teacher, options);
    }

    /// <summary>A cascade at a known threshold, without fitting: to rebuild a cascade chosen before (its rule and threshold).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="student">A fitted student that adds class probabilities.</param>
    /// <param name="teacher">The fitted teacher scorer.</param>
    /// <param name="threshold">Rows whose confidence is below it go to the teacher.</param>
    /// <param name="rule">The deferral rule (not <see cref="DeferralRule.Learned"/>, which must be fitted).</param>
    /// <returns>The cascade.</returns>
    /// <example>
    /// <code language="csharp">
    /// var cascade = mlContext.Transforms.CascadeAt(student, teacher, threshold: 0.83f, DeferralRule.TopProbability);
    /// </code>
    /// </example>
    public static CascadeTransformer CascadeAt(this TransformsCatalog catalog, ITransformer student, TeacherScoringTransformer teacher, float threshold,
        DeferralRule rule = DeferralRule.TopProbability)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(teacher);
        if (float.IsNaN(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The cascade threshold is NaN; give a number (negative infinity defers no row, positive infinity every row).");
        }

        return new CascadeTransformer(catalog, student, teacher, new CascadeOptions { Rule = rule }.Validated(), threshold, null, null, null);
    }
}
