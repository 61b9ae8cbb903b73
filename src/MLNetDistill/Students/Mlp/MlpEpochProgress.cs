namespace MLNetDistill.Students.Mlp;

/// <summary>What one epoch of MLP student training achieved, reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Epoch">The epoch just finished, from 1.</param>
/// <param name="Epochs">The most epochs the run may take.</param>
/// <param name="TrainLoss">The mean training loss over the epoch's batches (each batch weighted by its rows).</param>
/// <param name="ValidationLoss">The mean loss on the held-out rows, or null without a validation set.</param>
/// <param name="ValidationAccuracy">
/// The fraction of held-out rows whose top class matches the hard label (or, for rows without one, the teacher's top
/// class), or null without a validation set and for a regression student.
/// </param>
/// <param name="LearningRate">The learning rate at the epoch's last step.</param>
/// <param name="Seconds">Wall-clock seconds the epoch took, validation included.</param>
/// <param name="IsBest">Whether this epoch has the lowest validation loss so far (always true without a validation set).</param>
public sealed record MlpEpochProgress(
    int Epoch,
    int Epochs,
    double TrainLoss,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double LearningRate,
    double Seconds,
    bool IsBest)
{
    /// <summary>
    /// Gets the fraction of held-out rows whose top class matches the teacher's, or null without a validation set and
    /// for a regression student.
    /// </summary>
    public double? ValidationAgreement { get; init; }

    /// <summary>
    /// Gets the mean KL divergence from the teacher's soft labels to the student's softmax at the temperature on the
    /// held-out rows (for a regression student, the mean squared difference from the teacher's prediction, in
    /// standardized units), or null without a validation set.
    /// </summary>
    public double? ValidationDivergence { get; init; }

    /// <summary>
    /// Gets whether the epoch belongs to the final pass of an automatic schedule, which trains again on every row
    /// (validation rows included) for the epochs chosen on the validation set; such epochs have no validation scores.
    /// </summary>
    public bool Refit { get; init; }

    /// <summary>
    /// Gets the seconds of the epoch spent in the teacher scoring mixed batches on the fly (consistent teaching,
    /// <see cref="MlpTrainerOptions.Augmentation"/>); 0 when the student learns fixed soft labels.
    /// </summary>
    public double TeacherSeconds { get; init; }

    /// <summary>Gets the teacher's share of the epoch's time: <see cref="TeacherSeconds"/> / <see cref="Seconds"/>.</summary>
    public double TeacherShare => Seconds > 0 ? TeacherSeconds / Seconds : 0;
}
