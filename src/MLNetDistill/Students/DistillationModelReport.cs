namespace MLNetDistill.Students;

/// <summary>One model's entry in the distill report (JSON fields in camelCase).</summary>
/// <param name="Accuracy">Test accuracy.</param>
/// <param name="MacroF1">Test macro-averaged F1.</param>
/// <param name="LogLoss">Test log-loss.</param>
/// <param name="Agreement">Share of test rows where the model and the teacher predict the same class.</param>
/// <param name="KlToTeacher">Mean KL(teacher ‖ model) on the test rows.</param>
/// <param name="TrainSeconds">Training time (0 for the teacher).</param>
/// <param name="ModelBytes">Size of the saved model file.</param>
public sealed record DistillationModelReport(double Accuracy, double MacroF1, double LogLoss, double Agreement, double KlToTeacher, double TrainSeconds, long ModelBytes);
