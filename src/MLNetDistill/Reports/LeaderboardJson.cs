using System.Text.Encodings.Web;
using System.Text.Json;
using MLNetDistill.Data;
using MLNetDistill.Experiments;

namespace MLNetDistill.Reports;

/// <summary>
/// Writes <c>leaderboard.json</c>: the comparison's settings, the teacher on the test rows, one record per student (its
/// metrics, size, parameters, cost, <c>pareto</c>, <c>chosen</c>, model file, and the <c>temperature</c> and <c>alpha</c> it
/// was trained with, null where it uses none), the pick's reason and the skipped and
/// duplicate students. camelCase; an undefined metric is the string <c>"NaN"</c>.
/// </summary>
/// <example>
/// <code language="csharp">
/// LeaderboardJson.Write(result, "leaderboard.json");
/// </code>
/// </example>
public static class LeaderboardJson
{
    /// <summary>The report form (<see cref="DistillationResultWriter.ReportJson"/>) with text such as ≥ and apostrophes written as they are.</summary>
    private static readonly JsonSerializerOptions Json = new(DistillationResultWriter.ReportJson) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The leaderboard file as text.</summary>
    /// <param name="result">The experiment's result.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(StudentSizeExperimentResult result) => JsonSerializer.Serialize(Document(result), Json);

    /// <summary>Writes the leaderboard file (atomically; an existing file is replaced).</summary>
    /// <param name="result">The experiment's result.</param>
    /// <param name="path">The <c>.json</c> file.</param>
    public static void Write(StudentSizeExperimentResult result, string path)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var document = Document(result);
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, document, Json));
    }

    private static LeaderboardDocument Document(StudentSizeExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var board = result.Leaderboard;
        var run = result.Experiment;
        var teacher = run.Teacher is { } t ? DistillationModelReport.From(t, 0, run.TeacherModelBytes) : DistillationModelReport.Unmeasured;
        var files = StudentSizeReport.ModelFiles(board);
        var students = board.Entries.Select(e => new LeaderboardStudentRecord(
            e.Name, e.Spec, e.Accuracy, e.MacroF1, e.LogLoss, e.Agreement, e.KlToTeacher, e.RetainedAccuracy, e.TrainSeconds, e.ModelBytes, e.Parameters, e.Cost,
            e.Pareto, e.Chosen, files[e.Name], e.Temperature, e.Alpha)).ToList();
        return new LeaderboardDocument(
            board.CostAxis.ToString().ToLowerInvariant(), board.QualityMetric, board.AccuracyTolerance, teacher, board.TeacherCost, board.Chosen?.Name, board.Choice,
            students, board.Skipped, result.Duplicates, run.TrainRows, run.TransferRows, run.TestRows, run.TeacherScoring.TotalRows, run.Temperature, run.Seed, result.Seconds);
    }

    /// <summary>The file's top level.</summary>
    private sealed record LeaderboardDocument(string CostAxis, string Quality, double AccuracyTolerance, DistillationModelReport Teacher, double? TeacherCost,
        string? Chosen, string Choice, IReadOnlyList<LeaderboardStudentRecord> Students, IReadOnlyList<string> Skipped, IReadOnlyList<string> Duplicates,
        long TrainRows, long TransferRows, long TestRows, long TeacherRowsScored, float Temperature, int Seed, double Seconds);

    /// <summary>One student's record.</summary>
    private sealed record LeaderboardStudentRecord(string Name, string Spec, double Accuracy, double MacroF1, double LogLoss, double Agreement, double KlToTeacher,
        double RetainedAccuracy, double TrainSeconds, long ModelBytes, long? Parameters, double Cost, bool Pareto, bool Chosen, string ModelFile,
        float? Temperature, float? Alpha);
}
