namespace MLNetDistill.Evaluation;

/// <summary>How good a model is, and how close to its teacher, on one test set (fields as in the distill report).</summary>
/// <param name="Accuracy">Share of rows whose label the model predicts (NaN when the data has no labels).</param>
/// <param name="MacroF1">F1 averaged over classes with equal weight (NaN without labels).</param>
/// <param name="LogLoss">Mean −ln q(label), probabilities clipped at 1e-15 (NaN without labels).</param>
/// <param name="Agreement">Share of rows where the model and the teacher predict the same class (fidelity).</param>
/// <param name="KlToTeacher">Mean KL(teacher ‖ model) in nats, from the teacher's soft labels.</param>
/// <param name="Rows">Rows evaluated.</param>
public sealed record DistillationMetrics(double Accuracy, double MacroF1, double LogLoss, double Agreement, double KlToTeacher, long Rows);
