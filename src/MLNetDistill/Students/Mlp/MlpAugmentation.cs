namespace MLNetDistill.Students.Mlp;

/// <summary>
/// How an MLP student's training batches are changed before the teacher and the student see them (consistent teaching):
/// flags that combine, applied in the order image augmentation (<see cref="Shift"/>), then <see cref="Mixup"/>.
/// </summary>
/// <remarks>
/// Any value but <see cref="None"/> has the teacher (<see cref="MlpStudentOptions.Teacher"/>) score every changed batch on
/// the fly and the student match it on exactly those inputs: Beyer et al. 2022, "Knowledge distillation: A good teacher is
/// patient and consistent" (CVPR), function matching (their recipe: inception crops, then mixup, teacher and student on
/// the same view).
/// </remarks>
/// <example>
/// <code language="csharp">
/// var options = new MlpStudentOptions { Teacher = teacher };
/// options.Network.Augmentation = MlpAugmentation.Mixup | MlpAugmentation.Shift;
/// options.Network.MixupAlpha = 0.2f;
/// options.Network.ShiftPixels = 2;          // translations of up to ±2 pixels
/// options.Network.HorizontalFlip = true;    // and mirror half the images
/// // spec: mlp:128:augment=mixup+shift,shift=2,flip=1,a=0.2,epochs=200
/// </code>
/// </example>
[Flags]
public enum MlpAugmentation
{
    /// <summary>No augmentation: the student learns the teacher's fixed soft labels of the training rows.</summary>
    None = 0,

    /// <summary>
    /// Consistent teaching with mixup (Beyer et al. 2022, "function matching"): each batch is mixed, the teacher scores the
    /// mixed rows on the fly and the student matches the teacher on exactly them; needs <see cref="MlpStudentOptions.Teacher"/>.
    /// </summary>
    Mixup = 1,

    /// <summary>
    /// Consistent image augmentation: each row is read as a grayscale image (<see cref="MlpTrainerOptions.ImageWidth"/>) and
    /// translated by a random whole number of pixels in each direction, up to <see cref="MlpTrainerOptions.ShiftPixels"/>
    /// (pixels shifted in are 0), and mirrored left to right with probability 1/2 when
    /// <see cref="MlpTrainerOptions.HorizontalFlip"/> is set (a random crop of the zero-padded image, as torchvision's
    /// <c>RandomCrop(28, padding=2)</c> with <c>RandomHorizontalFlip</c>); before any <see cref="Mixup"/>; the teacher
    /// scores the augmented rows on the fly; needs <see cref="MlpStudentOptions.Teacher"/>.
    /// </summary>
    Shift = 2,
}
