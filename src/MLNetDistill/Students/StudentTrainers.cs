using Microsoft.ML;

namespace MLNetDistill.Students;

/// <summary>What a student family builds for one spec: the distilled trainer and its hard-label twin.</summary>
/// <param name="Distilled">Trains on the teacher's soft labels (mixed with the hard labels by alpha).</param>
/// <param name="HardLabel">The same model trained on the hard labels alone (the baseline a distilled student must beat), or <see langword="null"/> when there is none.</param>
/// <param name="ScoresAreLogits">Whether the distilled model's <c>Score</c> holds logits (softmax is applied to evaluate it) rather than probabilities.</param>
internal sealed record StudentTrainers(IEstimator<ITransformer> Distilled, IEstimator<ITransformer>? HardLabel, bool ScoresAreLogits = false);
