namespace MLNetDistill.Evaluation;

/// <summary>The quality of a regression student against the targets and its teacher.</summary>
/// <param name="Rows">Rows evaluated.</param>
/// <param name="LabeledRows">Rows with a target.</param>
/// <param name="Rmse">Root mean squared error against the target (NaN without targets).</param>
/// <param name="MeanAbsoluteError">Mean absolute error against the target.</param>
/// <param name="RSquared">1 − Σ(y − ŷ)² / Σ(y − ȳ)², as ML.NET's regression evaluator computes it.</param>
/// <param name="TeacherRmse">The teacher's RMSE on the same rows.</param>
/// <param name="TeacherRSquared">The teacher's R² on the same rows.</param>
/// <param name="RmseToTeacher">Root mean squared difference between student and teacher, over every row (fidelity; NaN without a teacher).</param>
/// <param name="CorrelationWithTeacher">Pearson correlation of student and teacher predictions over every row (NaN when either is constant).</param>
/// <example>
/// <code language="csharp">
/// var q = mlContext.Regression.EvaluateDistillation(student.Transform(scoredTest));
/// Console.WriteLine($"RMSE {q.Rmse:F2} (teacher {q.TeacherRmse:F2}), correlation with the teacher {q.CorrelationWithTeacher:F3}");
/// </code>
/// </example>
public sealed record RegressionDistillationQuality(long Rows, long LabeledRows, double Rmse, double MeanAbsoluteError, double RSquared, double TeacherRmse, double TeacherRSquared,
    double RmseToTeacher, double CorrelationWithTeacher);
