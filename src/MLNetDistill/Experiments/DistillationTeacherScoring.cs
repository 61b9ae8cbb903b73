namespace MLNetDistill.Experiments;

/// <summary>
/// What the teacher did in one <see cref="DistillationExperiment"/>: rows run through it per data set (one pass each:
/// the rows of each set, or 0 when its soft labels came from a cache) and the time spent.
/// </summary>
/// <param name="TrainingRows">Training rows the teacher scored (0 when their soft labels were read from a cache).</param>
/// <param name="TransferRows">Transfer rows the teacher scored.</param>
/// <param name="TestRows">Test rows the teacher scored (0 when they were held out of cached training rows, or there is no teacher).</param>
/// <param name="Seconds">Wall-clock seconds spent reading and scoring these rows into memory (synthetic rows included).</param>
/// <param name="SyntheticRows">Synthetic rows of the augmentation the teacher scored (0 without <see cref="DistillationExperimentOptions.Augmentation"/>).</param>
public sealed record DistillationTeacherScoring(long TrainingRows, long TransferRows, long TestRows, double Seconds, long SyntheticRows = 0)
{
    /// <summary>Gets the rows the teacher scored in all.</summary>
    public long TotalRows => TrainingRows + TransferRows + TestRows + SyntheticRows;
}
