using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Experiments;

namespace MLNetDistill.Reports;

/// <summary>
/// Writes <c>leaderboard.json</c>: the comparison's settings, the teacher on the test rows (with its latency and throughput
/// in both forms: <c>latencyP50Microseconds</c>, <c>onnxLatencyP50Microseconds</c>, ...), one record per student (its
/// metrics, size, parameters, cost, <c>pareto</c>, <c>chosen</c>, model file, and the <c>temperature</c> and <c>alpha</c> it was trained with (null where it uses none); <c>top3Agreement</c> (named from the
/// evaluator's k), <c>expectedCalibrationError</c>, <c>teacherExpectedCalibrationError</c>, <c>perClassAccuracy</c>,
/// <c>perClassAgreement</c>, <c>inheritance</c>; latency p50/p99 and throughput through ML.NET and in ONNX Runtime,
/// <c>onnxNote</c> where the ONNX form is missing, <c>latencySpeedUp</c> and <c>sizeReduction</c> against the teacher, <c>pseudoBaselineAccuracy</c> and <c>pseudoBaselineAgreement</c> of its pseudo-label twin, null when none was trained; <c>cascadeDeferredShare</c> and <c>cascade</c> (as in <c>REPORT.json</c>, with <c>costPer1000</c> from the student's and the teacher's measured latencies), null without a cascade), the
/// pick's reason, the skipped and duplicate students, and <c>augmentation</c> (as in <c>REPORT.json</c>: method, settings, synthetic rows, the teacher's seconds on them and their share; null without one). camelCase; an undefined metric is the string <c>"NaN"</c>, a form
/// not measured is <see langword="null"/>.
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
        var teacher = Teacher(run.Teacher is { } t ? DistillationModelReport.From(t, 0, run.TeacherModelBytes) : DistillationModelReport.Unmeasured, board.TeacherCostDetail);
        var files = LeaderboardFiles.ModelFiles(board);
        var students = board.Entries.Select(e => new LeaderboardStudentRecord(
            e.Name, e.Spec, e.Accuracy, e.MacroF1, e.LogLoss, e.Agreement, e.KlToTeacher, e.RetainedAccuracy, e.TrainSeconds, e.ModelBytes, e.Parameters, e.Cost,
            e.Pareto, e.Chosen, files[e.Name], e.Temperature, e.Alpha,
            e.Quality?.ExpectedCalibrationError ?? double.NaN, e.Quality?.TeacherExpectedCalibrationError ?? double.NaN, e.Quality?.PerClassAccuracy, e.Quality?.PerClassAgreement,
            e.Quality?.Inheritance, e.LatencyP50Microseconds, e.LatencyP99Microseconds, e.ThroughputRowsPerSecond,
            e.OnnxLatencyP50Microseconds, e.OnnxLatencyP99Microseconds, e.OnnxThroughputRowsPerSecond, e.OnnxNote, e.LatencyNote, e.LatencySpeedUp, e.SizeReduction, Math.Round(e.CostSeconds, 3))
        {
            // Named from the evaluator's k, as the issue names it (top3Agreement for the default k = 3).
            TopK = e.Quality is { } q ? new Dictionary<string, object> { [$"top{q.TopK}Agreement"] = q.TopKAgreement } : null,
            PseudoBaselineAccuracy = e.PseudoBaselineAccuracy,
            PseudoBaselineAgreement = e.PseudoBaselineAgreement,
            CascadeDeferredShare = e.CascadeDeferredShare,
            Cascade = e.Cascade is { } cascade ? DistillationCascadeReport.From(cascade, e.LatencyP50Microseconds, board.TeacherCostDetail?.LatencyP50Microseconds) : null,
        }).ToList();
        return new LeaderboardDocument(
            board.CostAxis.ToString().ToLowerInvariant(), board.QualityMetric, board.AccuracyTolerance, teacher, board.TeacherCost, board.Chosen?.Name, board.Choice,
            students, board.Skipped, result.Duplicates, run.TrainRows, run.TransferRows, run.TestRows, run.TeacherScoring.TotalRows, run.Temperature, run.Seed, result.Seconds, run.Augmentation);
    }

    /// <summary>The teacher's record: the distill report's fields, then its serving cost in both forms where measured.</summary>
    private static JsonObject Teacher(DistillationModelReport metrics, LeaderboardTeacherCost? cost)
    {
        // The same keys whether or not latency was measured (null when not), so readers need not test for them.
        var node = JsonSerializer.SerializeToNode(metrics, Json)!.AsObject();
        node["parameters"] = cost?.Parameters;
        node["latencyP50Microseconds"] = cost is null ? null : Number(cost.LatencyP50Microseconds);
        node["latencyP99Microseconds"] = cost is null ? null : Number(cost.LatencyP99Microseconds);
        node["throughputRowsPerSecond"] = cost is null ? null : Number(cost.ThroughputRowsPerSecond);
        node["onnxLatencyP50Microseconds"] = cost?.OnnxLatencyP50Microseconds is double p50 ? Number(p50) : null;
        node["onnxLatencyP99Microseconds"] = cost?.OnnxLatencyP99Microseconds is double p99 ? Number(p99) : null;
        node["onnxThroughputRowsPerSecond"] = cost?.OnnxThroughputRowsPerSecond is double rows ? Number(rows) : null;
        node["latencyNote"] = cost is null ? "not measured: MeasureLatency is false" : cost.Note;
        node["onnxNote"] = cost is null ? "not measured: MeasureLatency is false" : cost.OnnxNote;
        node["costSeconds"] = cost is null ? 0 : Math.Round(cost.CostSeconds, 3);
        return node;
    }

    /// <summary>A number, or the string <c>"NaN"</c> as in the rest of the file.</summary>
    private static JsonNode Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The file's top level.</summary>
    private sealed record LeaderboardDocument(string CostAxis, string Quality, double AccuracyTolerance, JsonObject Teacher, double? TeacherCost,
        string? Chosen, string Choice, IReadOnlyList<LeaderboardStudentRecord> Students, IReadOnlyList<string> Skipped, IReadOnlyList<string> Duplicates,
        long TrainRows, long TransferRows, long TestRows, long TeacherRowsScored, float Temperature, int Seed, double Seconds, DistillationAugmentation? Augmentation);

    /// <summary>One student's record.</summary>
    private sealed record LeaderboardStudentRecord(string Name, string Spec, double Accuracy, double MacroF1, double LogLoss, double Agreement, double KlToTeacher,
        double RetainedAccuracy, double TrainSeconds, long ModelBytes, long? Parameters, double Cost, bool Pareto, bool Chosen, string ModelFile,
        float? Temperature, float? Alpha,
        double ExpectedCalibrationError, double TeacherExpectedCalibrationError, IReadOnlyList<double>? PerClassAccuracy, IReadOnlyList<double>? PerClassAgreement,
        InheritanceTable? Inheritance, double LatencyP50Microseconds, double LatencyP99Microseconds, double ThroughputRowsPerSecond,
        double? OnnxLatencyP50Microseconds, double? OnnxLatencyP99Microseconds, double? OnnxThroughputRowsPerSecond, string? OnnxNote, string? LatencyNote,
        double LatencySpeedUp, double SizeReduction, double CostSeconds)
    {
        /// <summary>The pseudo-label twin's test accuracy, or null when none was trained.</summary>
        public double? PseudoBaselineAccuracy { get; init; }

        /// <summary>The pseudo-label twin's agreement with the teacher, or null when none was trained.</summary>
        public double? PseudoBaselineAgreement { get; init; }

        /// <summary>The share of the test rows the student's cascade defers to reach the target, or null without a cascade.</summary>
        public double? CascadeDeferredShare { get; init; }

        /// <summary>The student's cascade, or null without one.</summary>
        public DistillationCascadeReport? Cascade { get; init; }

        /// <summary>The top-k agreement, under a name that carries k (<c>top3Agreement</c>).</summary>
        [JsonExtensionData]
        public Dictionary<string, object>? TopK { get; init; }
    }
}
