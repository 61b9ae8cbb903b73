namespace MLNetDistill.Augmentation;

/// <summary>How <see cref="AugmentationOptions"/> makes synthetic rows from the training rows for the teacher to label.</summary>
/// <example>
/// <code language="csharp">
/// var options = new AugmentationOptions { Method = AugmentationMethod.Munge, Factor = 3 };
/// </code>
/// </example>
public enum AugmentationMethod
{
    /// <summary>
    /// A copy of a training row with up to <see cref="AugmentationOptions.ResampleProbability"/> of its features drawn from
    /// that feature's marginal (another training row's value) and Gaussian noise on numeric features (AutoGluon's default method,
    /// Fakoor et al. 2020, "Fast, Accurate, and Simple Models for Tabular Data via Augmented Distillation"; perturbed more
    /// by default than AutoGluon does, see <see cref="AugmentationOptions.ResampleProbability"/>).
    /// </summary>
    Spunge,

    /// <summary>
    /// A training row whose features are, each with probability <see cref="AugmentationOptions.SwapProbability"/>, moved
    /// towards its nearest neighbour's (Bucilă, Caruana and Niculescu-Mizil 2006, "Model Compression").
    /// </summary>
    Munge,

    /// <summary>A convex combination λ·x + (1 − λ)·x' of two training rows, λ ~ Beta(a, a) (Zhang et al. 2018, "mixup: Beyond Empirical Risk Minimization").</summary>
    Mixup,
}
