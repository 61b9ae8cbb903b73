namespace MLNetDistill.Experiments;

/// <summary>What a <see cref="StudentSizeExperiment"/> found: the leaderboard, and the distillation result holding the trained models.</summary>
/// <remarks>Dispose it to release the students' ONNX Runtime sessions once their models are saved.</remarks>
/// <example>
/// <code language="csharp">
/// using var result = experiment.Run(train, test);
/// Console.WriteLine(result.Leaderboard.Choice);
/// var model = result.Model(result.Leaderboard.Chosen!);
/// </code>
/// </example>
public sealed class StudentSizeExperimentResult : IDisposable
{
    internal StudentSizeExperimentResult(Leaderboard leaderboard, DistillationExperimentResult experiment, IReadOnlyList<string> duplicates, double seconds)
    {
        Leaderboard = leaderboard;
        Experiment = experiment;
        Duplicates = duplicates;
        Seconds = seconds;
    }

    /// <summary>Gets the leaderboard: one entry per trained student, the Pareto front, the pick and the skipped students.</summary>
    public Leaderboard Leaderboard { get; }

    /// <summary>Gets the distillation result: the teacher's metrics, the rows scored, and each student's model.</summary>
    public DistillationExperimentResult Experiment { get; }

    /// <summary>Gets the candidates dropped because an earlier one had the same spec.</summary>
    public IReadOnlyList<string> Duplicates { get; }

    /// <summary>Gets the wall-clock seconds of the whole run.</summary>
    public double Seconds { get; }

    /// <summary>The trained model of a leaderboard entry.</summary>
    /// <param name="entry">One of <see cref="Leaderboard"/>'s entries.</param>
    /// <returns>The model and its metrics.</returns>
    /// <exception cref="ArgumentException">The entry is not one of this result's.</exception>
    public DistillationTrainedModel Model(LeaderboardEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Experiment.Students.FirstOrDefault(s => s.Name == entry.Name)?.Distilled
            ?? throw new ArgumentException($"'{entry.Name}' is not a student of this result: pass one of Leaderboard.Entries.", nameof(entry));
    }

    /// <summary>Releases the students' ONNX Runtime sessions.</summary>
    public void Dispose() => Experiment.Dispose();
}
