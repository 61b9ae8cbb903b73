namespace MLNetDistill.Experiments;

/// <summary>One progress report of a <see cref="StudentSizeExperiment"/>: a step, a warning, or a finished trial.</summary>
/// <param name="Message">A line for people.</param>
/// <param name="Student">The student concerned, or <see langword="null"/>.</param>
/// <param name="Trial">For a finished trial, its leaderboard entry (its Pareto and pick flags are set on the final leaderboard only); else <see langword="null"/>.</param>
/// <param name="IsWarning">Whether the report is a warning (a duplicate spec, skipped students).</param>
/// <param name="Detail">The underlying distillation report (scoring, training, MLP epochs), or <see langword="null"/>.</param>
/// <example>
/// <code language="csharp">
/// var progress = new Progress&lt;StudentSizeExperimentProgress&gt;(p => { if (p.Trial is { } t) Console.WriteLine($"{t.Name}: {t.Accuracy:F4}, {t.ModelBytes:N0} bytes"); });
/// </code>
/// </example>
public sealed record StudentSizeExperimentProgress(string Message, string? Student = null, LeaderboardEntry? Trial = null, bool IsWarning = false, DistillationProgress? Detail = null);
