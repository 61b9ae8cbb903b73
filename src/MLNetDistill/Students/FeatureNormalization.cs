using Microsoft.ML;
using MLNetDistill.Data;

namespace MLNetDistill.Students;

/// <summary>
/// The <c>normalize=auto|0|1</c> option of the linear families (<c>sdca</c>, <c>lbfgs</c>): ML.NET's
/// <c>NormalizeMinMax</c> on <c>Features</c> before the trainer, as ML.NET's own samples put it before a linear trainer.
/// <c>auto</c> (the default) never normalizes a text student (FeaturizeText already L2-normalizes its n-grams); for
/// numeric features each family says (<c>sdca</c> does, where some value lies outside [-1, 1]: see
/// <see cref="AutoMinMaxEstimator"/>; its step sizes follow the rows' squared norms, and unscaled columns such as wine's
/// proline (hundreds) against its hue (about 1) left it at 0.58 where it reaches 0.94 normalized; <c>lbfgs</c> does not:
/// measured no better, with a worse log-loss, on four sets). <c>normalize=1</c> always normalizes. The fitted normalizer is part of the
/// student's <c>TransformerChain</c>, so it is saved, loaded and exported to ONNX with it.
/// </summary>
internal static class FeatureNormalization
{
    /// <summary>The option every linear family declares.</summary>
    public static StudentOption Option { get; } = new("normalize", -1, 0, 1, Automatic: "auto") { OmitWhenDefault = true };

    /// <summary>Whether a spec's student normalizes its features: an explicit 0 or 1, or <c>auto</c>: numeric features only.</summary>
    /// <param name="spec">The student's spec (of a family that declares <see cref="Option"/>).</param>
    /// <param name="context">The build context.</param>
    /// <param name="numericByDefault">Whether <c>auto</c> normalizes numeric features, for this family.</param>
    /// <returns>Whether <c>NormalizeMinMax</c> goes before the trainer.</returns>
    public static bool Applies(StudentSpec spec, StudentBuildContext context, bool numericByDefault)
    {
        double value = spec[Option.Name];
        return value >= 0 ? value >= 1 : numericByDefault && !context.IsText(spec);
    }

    /// <summary>Puts <c>NormalizeMinMax</c> on <c>Features</c> before both trainers when <see cref="Applies"/>.</summary>
    /// <param name="trainers">The family's trainers.</param>
    /// <param name="spec">The student's spec.</param>
    /// <param name="context">The build context.</param>
    /// <param name="numericByDefault">Whether <c>auto</c> normalizes numeric features, for this family.</param>
    /// <returns>The trainers, normalized or as they were.</returns>
    public static StudentTrainers Apply(StudentTrainers trainers, StudentSpec spec, StudentBuildContext context, bool numericByDefault)
    {
        if (!Applies(spec, context, numericByDefault))
        {
            return trainers;
        }

        var ml = context.MLContext;
        if (spec[Option.Name] < 0)
        {
            // auto: only where the data needs it (decided when each model is fitted, from the rows it is given).
            return trainers with
            {
                Distilled = new AutoMinMaxEstimator(ml, trainers.Distilled),
                HardLabel = trainers.HardLabel is { } h ? new AutoMinMaxEstimator(ml, h) : null,
            };
        }

        return trainers with
        {
            Distilled = ml.Transforms.NormalizeMinMax(DataColumnNames.Features).Append(trainers.Distilled),
            HardLabel = trainers.HardLabel is { } hard ? ml.Transforms.NormalizeMinMax(DataColumnNames.Features).Append(hard) : null,
        };
    }
}
