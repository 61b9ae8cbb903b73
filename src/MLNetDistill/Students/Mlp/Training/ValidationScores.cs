namespace MLNetDistill.Students.Mlp.Training;

/// <summary>What one pass over the validation rows measured.</summary>
/// <param name="Loss">The mean training loss on the validation rows.</param>
/// <param name="Accuracy">The fraction of rows whose top class matches the label (or, without one, the teacher's).</param>
/// <param name="Agreement">The fraction of rows whose top class matches the teacher's.</param>
/// <param name="Divergence">The mean KL divergence from the teacher at the temperature (squared error for regression).</param>
internal readonly record struct ValidationScores(double Loss, double Accuracy, double Agreement, double Divergence);
