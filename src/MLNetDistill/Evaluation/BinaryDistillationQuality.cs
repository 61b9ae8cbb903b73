namespace MLNetDistill.Evaluation;

/// <summary>The quality of a binary student against the labels and its teacher (prediction: probability above 0.5).</summary>
/// <param name="Rows">Rows evaluated.</param>
/// <param name="LabeledRows">Rows with a label.</param>
/// <param name="Accuracy">Share of labeled rows the student predicts right (NaN without labels).</param>
/// <param name="Auc">Area under the ROC curve of the student's probability, ties counted as half (NaN unless both classes occur).</param>
/// <param name="LogLoss">Mean −ln of the probability given to the label, clipped at 1e-15.</param>
/// <param name="Agreement">Share of rows where student and teacher predict the same class (NaN without a teacher).</param>
/// <param name="KlToTeacher">Mean KL(teacher ‖ student) in nats over the two classes.</param>
/// <param name="TeacherAccuracy">The teacher's accuracy on the same labeled rows.</param>
/// <param name="TeacherAuc">The teacher's AUC on the same labeled rows.</param>
/// <param name="RetainedAccuracy"><paramref name="Accuracy"/> / <paramref name="TeacherAccuracy"/>.</param>
/// <example>
/// <code language="csharp">
/// var q = mlContext.BinaryClassification.EvaluateDistillation(student.Transform(scoredTest));
/// Console.WriteLine($"AUC {q.Auc:F3} (teacher {q.TeacherAuc:F3}), agreement {q.Agreement:P1}");
/// </code>
/// </example>
public sealed record BinaryDistillationQuality(long Rows, long LabeledRows, double Accuracy, double Auc, double LogLoss, double Agreement, double KlToTeacher,
    double TeacherAccuracy, double TeacherAuc, double RetainedAccuracy);
