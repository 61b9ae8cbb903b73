namespace MLNetDistill.Evaluation;

/// <summary>
/// The quality side of a distillation evaluation, in one object: how good a student is against the labels, how close it is
/// to its teacher, how well calibrated both are, per class, and which of the teacher's mistakes it inherits.
/// </summary>
/// <remarks>
/// Label metrics (accuracy, macro-F1, log-loss, ECE, per-class accuracy, inheritance) count the rows with a valid label;
/// teacher metrics (agreement, top-k agreement, KL, per-class agreement) count every row. A metric that cannot be computed
/// (no labels, no teacher, no rows of a class) is NaN; <see cref="Inheritance"/> is then <see langword="null"/>.
/// </remarks>
/// <example>
/// <code language="csharp">
/// DistillationQuality q = mlContext.MulticlassClassification.EvaluateDistillation(student.Transform(scoredTest));
/// Console.WriteLine($"accuracy {q.Accuracy:P2} ({q.RetainedAccuracy:P1} of the teacher's), agreement {q.Agreement:P2}, ECE {q.ExpectedCalibrationError:F3} vs teacher {q.TeacherExpectedCalibrationError:F3}");
/// </code>
/// </example>
public sealed record DistillationQuality
{
    /// <summary>Gets the rows evaluated.</summary>
    public required long Rows { get; init; }

    /// <summary>Gets the rows with a valid label (a class index in [0, K)); 0 without a label column.</summary>
    public required long LabeledRows { get; init; }

    /// <summary>Gets the number of classes K.</summary>
    public required int Classes { get; init; }

    /// <summary>Gets the share of labeled rows whose label the student predicts (arg-max, first index on ties).</summary>
    public required double Accuracy { get; init; }

    /// <summary>Gets F1 averaged with equal weight over the classes that occur as label or prediction.</summary>
    public required double MacroF1 { get; init; }

    /// <summary>Gets the mean −ln q(label) in nats, probabilities clipped at 1e-15.</summary>
    public required double LogLoss { get; init; }

    /// <summary>Gets the share of rows where the student's and the teacher's top class are the same (top-1 fidelity).</summary>
    public required double Agreement { get; init; }

    /// <summary>Gets the k of <see cref="TopKAgreement"/> (3 unless the options say otherwise).</summary>
    public required int TopK { get; init; }

    /// <summary>Gets the share of rows whose teacher class is among the student's <see cref="TopK"/> most probable classes (ties ranked by class index, as the arg-max).</summary>
    public required double TopKAgreement { get; init; }

    /// <summary>Gets the mean KL(teacher ‖ student) in nats (per row never below 0).</summary>
    public required double KlToTeacher { get; init; }

    /// <summary>Gets the number of equal-width confidence bins of both calibration errors (15 unless the options say otherwise).</summary>
    public required int CalibrationBins { get; init; }

    /// <summary>
    /// Gets the student's expected calibration error: Σ_b (n_b / n) |accuracy_b − mean confidence_b| over
    /// <see cref="CalibrationBins"/> equal-width bins (0, 1/M], (1/M, 2/M], ... of the top-class probability, on the labeled rows.
    /// </summary>
    public required double ExpectedCalibrationError { get; init; }

    /// <summary>Gets the teacher's expected calibration error, computed as <see cref="ExpectedCalibrationError"/> from the teacher column's probabilities.</summary>
    public required double TeacherExpectedCalibrationError { get; init; }

    /// <summary>Gets the teacher's accuracy on the same labeled rows.</summary>
    public required double TeacherAccuracy { get; init; }

    /// <summary>Gets <see cref="Accuracy"/> / <see cref="TeacherAccuracy"/>: 1 when the student is as accurate as its teacher (NaN without labels or a teacher).</summary>
    public required double RetainedAccuracy { get; init; }

    /// <summary>Gets, for each class c, the share of labeled rows of label c that the student predicts right (recall; NaN when no row has label c).</summary>
    public required IReadOnlyList<double> PerClassAccuracy { get; init; }

    /// <summary>Gets, for each class c, the share of rows the teacher puts in c that the student puts in c too (NaN when the teacher predicts c nowhere).</summary>
    public required IReadOnlyList<double> PerClassAgreement { get; init; }

    /// <summary>
    /// Gets the teacher-versus-student counts: element [t][s] is the number of rows the teacher puts in class t and the student in
    /// class s (every row, labeled or not). Its diagonal over its row sums is <see cref="PerClassAgreement"/>; it is the
    /// per-class agreement heat map. Empty without a teacher.
    /// </summary>
    public required IReadOnlyList<IReadOnlyList<long>> TeacherStudentCounts { get; init; }

    /// <summary>Gets the inheritance table of the teacher's mistakes, or <see langword="null"/> without both labels and a teacher.</summary>
    public required InheritanceTable? Inheritance { get; init; }

    /// <summary>The summary fields, as <see cref="DistillationEvaluation.Evaluate"/> returns them (the distill report's record).</summary>
    /// <returns>The same accuracy, macro-F1, log-loss, agreement, KL and row count.</returns>
    public DistillationMetrics ToMetrics() => new(Accuracy, MacroF1, LogLoss, Agreement, KlToTeacher, Rows);
}
