namespace MLNetDistill.Students.Mlp;

/// <summary>How an MLP student's training batches are changed before the teacher and the student see them.</summary>
/// <example>
/// <code language="csharp">
/// var options = new MlpStudentOptions { Teacher = teacher };
/// options.Network.Augmentation = MlpAugmentation.Mixup;
/// options.Network.MixupAlpha = 0.2f;
/// </code>
/// </example>
public enum MlpAugmentation
{
    /// <summary>No augmentation: the student learns the teacher's fixed soft labels of the training rows.</summary>
    None,

    /// <summary>
    /// Consistent teaching with mixup (Beyer et al. 2022, "function matching"): each batch is mixed, the teacher scores the
    /// mixed rows on the fly and the student matches the teacher on exactly them; needs <see cref="MlpStudentOptions.Teacher"/>.
    /// </summary>
    Mixup,
}
