namespace MLNetDistill.Students;

/// <summary>What <c>mlnet-distill distill</c> writes to REPORT.json.</summary>
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
public sealed record DistillationReport(DistillationModelReport Teacher, DistillationModelReport Student, DistillationModelReport? Baseline, double RetainedAccuracy,
    string StudentSpec, float Temperature, float Alpha, long TrainRows, long TransferRows, long TestRows, int Seed);
