namespace MLNetDistill.Experiments;

/// <summary>What <c>mlnet-distill distill</c> writes to REPORT.json: one student of an experiment, its baselines (hard-label and pseudo-label twins) and the teacher on the same test rows.</summary>
/// <remarks>The same inputs and seed give the same report apart from its one timing field, <c>trainSeconds</c> (of the student and the baseline; the teacher's is 0).</remarks>
/// <param name="Teacher">The teacher on the test set.</param>
/// <param name="Student">The distilled student.</param>
/// <param name="Baseline">The same student spec trained on hard labels only, when asked for.</param>
/// <param name="RetainedAccuracy">Student accuracy / teacher accuracy.</param>
/// <param name="StudentSpec">The student spec, with defaults filled in.</param>
/// <param name="Temperature">The soft-label temperature used.</param>
/// <param name="Alpha">The weight of the soft labels against hard labels.</param>
/// <param name="TrainRows">Labeled training rows.</param>
/// <param name="TransferRows">Unlabeled transfer rows labeled by the teacher.</param>
/// <param name="TestRows">Evaluation rows.</param>
/// <param name="Seed">The seed.</param>
/// <param name="TeacherRowsScored">Rows the teacher ran on: each data set once (0 for rows whose soft labels came from a cache).</param>
/// <param name="TestHeldOut">Whether the test rows were held out of the training data.</param>
/// <param name="Onnx">The student's ONNX file name (beside its zip), or <see langword="null"/> when none was written; set from <see cref="DistillationSavedModel.OnnxFile"/>.</param>
/// <param name="Augmentation">The offline augmentation (method, settings, synthetic rows, the teacher's seconds on them and their share), or <see langword="null"/> without one.</param>
/// <param name="OnnxNote">Why the student has no ONNX file (<c>does not convert: ...</c>), or <see langword="null"/>; set from <see cref="DistillationSavedModel.OnnxNote"/>.</param>
public sealed record DistillationReport(DistillationModelReport Teacher, DistillationModelReport Student, DistillationModelReport? Baseline, double RetainedAccuracy,
    string StudentSpec, float Temperature, float Alpha, long TrainRows, long TransferRows, long TestRows, int Seed, long TeacherRowsScored = 0, bool TestHeldOut = false,
    string? Onnx = null, string? OnnxNote = null, DistillationAugmentation? Augmentation = null)
{
    /// <summary>Gets how the student's mistakes on the labeled test rows relate to the teacher's (copied, fixed, new), or <see langword="null"/> when the test rows have no labels or no teacher outputs.</summary>
    public Evaluation.InheritanceTable? Inheritance { get; init; }

    /// <summary>Gets the same student spec trained on the teacher's arg-max labels of the rows the student learned from (its pseudo-label twin), with the same fields as <see cref="Baseline"/>, or <see langword="null"/> when not asked for.</summary>
    public DistillationModelReport? PseudoBaseline { get; init; }

    /// <summary>Gets what budgeted labeling bought from the transfer rows (<c>strategy</c>, <c>bought</c>, <c>rounds</c>, <c>teacherCalls</c>, <c>cost</c>, the <c>curve</c> and the <c>random</c> curve at the same budgets), or <see langword="null"/> without a budget.</summary>
    public BudgetedLabelingResult? Budget { get; init; }

    /// <summary>Gets the student's cascade on the test rows (the student answers, the teacher takes the rows it is least sure of; the threshold chosen on held-out training rows), or <see langword="null"/> when none was asked for (<see cref="DistillationExperimentOptions.CascadeTarget"/>).</summary>
    /// <value><see cref="DistillationCascadeReport.CostPer1000"/> is set when the caller measured both latencies (<c>with { Cascade = DistillationCascadeReport.From(cascade, student, teacher) }</c>).</value>
    public DistillationCascadeReport? Cascade { get; init; }

    /// <summary>The report of one student of an experiment.</summary>
    /// <param name="result">The experiment's result.</param>
    /// <param name="student">One of <paramref name="result"/>'s students.</param>
    /// <returns>The report.</returns>
    /// <example>
    /// <code language="csharp">
    /// var report = DistillationReport.From(result, result.Students[0]);
    /// DistillationResultWriter.WriteReport(report, "report.json");
    /// </code>
    /// </example>
    public static DistillationReport From(DistillationExperimentResult result, DistillationStudentResult student)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(student);
        var teacher = result.Teacher is { } t ? DistillationModelReport.From(t, 0, result.TeacherModelBytes) : DistillationModelReport.Unmeasured;
        return new DistillationReport(
            teacher,
            DistillationModelReport.From(student.Distilled),
            student.Baseline is { } b ? DistillationModelReport.From(b) : null,
            result.RetainedAccuracy(student),
            student.Description,
            result.Temperature,
            student.Alpha,
            result.TrainRows,
            result.TransferRows,
            result.TestRows,
            result.Seed,
            result.TeacherScoring.TotalRows,
            result.TestHeldOut)
        {
            Augmentation = result.Augmentation,
            Inheritance = student.Distilled.Quality?.Inheritance,
            PseudoBaseline = student.PseudoBaseline is { } pseudo ? DistillationModelReport.From(pseudo) : null,
            Budget = result.Budget,
            Cascade = student.Cascade is { } cascade ? DistillationCascadeReport.From(cascade) : null,
        };
    }
}
