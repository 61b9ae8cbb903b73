namespace MLNetDistill.Students.Mlp.Training;

/// <summary>
/// The schedule the automatic search chose, by epoch, to train again on every row: constant (after any warm-up),
/// then, after epoch <paramref name="CoolDownAfter"/> (-1 for none), a half cosine from <paramref name="CoolDownFrom"/>
/// to 0 over <paramref name="CoolDownEpochs"/> epochs; <paramref name="Epochs"/> in all.
/// </summary>
/// <param name="Epochs">The epochs of the whole schedule.</param>
/// <param name="CoolDownAfter">The epoch after which the cool-down starts, or -1 for none.</param>
/// <param name="CoolDownEpochs">The cool-down's length in epochs.</param>
/// <param name="CoolDownFrom">The learning rate the cool-down starts from.</param>
internal sealed record SchedulePlan(int Epochs, int CoolDownAfter, int CoolDownEpochs, float CoolDownFrom);
