using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Experiments;

/// <summary>One progress report of a <see cref="DistillationExperiment"/>.</summary>
/// <param name="Stage">What the experiment is doing.</param>
/// <param name="Message">A line for people, such as <c>8,000 training rows scored by the teacher in 0.61 s</c>.</param>
/// <param name="Student">The student concerned, or <see langword="null"/> for the teacher and data stages.</param>
/// <param name="Epoch">For neural students, the epoch just finished; otherwise <see langword="null"/>.</param>
public sealed record DistillationProgress(DistillationStage Stage, string Message, string? Student = null, MlpEpochProgress? Epoch = null);
