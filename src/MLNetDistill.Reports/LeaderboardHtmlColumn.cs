using MLNetDistill.Experiments;
using static MLNetDistill.Reports.HtmlReportWriter;

namespace MLNetDistill.Reports;

/// <summary>One column of the HTML leaderboard table after the model column (the name, and the spec below it): its header, a tooltip, the student's cell and the teacher's (empty when the teacher has none).</summary>
/// <param name="Header">The header text.</param>
/// <param name="Title">The header's tooltip: what the column is.</param>
/// <param name="Student">The cell text of a student.</param>
/// <param name="Teacher">The cell text of the teacher row, or <see langword="null"/> for an empty cell.</param>
/// <param name="CssClass">The cells' class (<c>why</c>: left-aligned text that wraps), or <see langword="null"/>.</param>
internal sealed record LeaderboardHtmlColumn(string Header, string Title, Func<LeaderboardEntry, string> Student, Func<LeaderboardHtmlTeacher, string>? Teacher = null, string? CssClass = null)
{
    /// <summary>The header of the pseudo-label twin's accuracy, shown only when the run trained the twins.</summary>
    public const string PseudoLabelsHeader = "pseudo-labels";

    /// <summary>The header of the gain of soft labels over pseudo-labels, shown only when the run trained the twins.</summary>
    public const string VsPseudoLabelsHeader = "vs pseudo-labels";

    /// <summary>The table's columns after the name, left to right: a new <see cref="LeaderboardEntry"/> field is one line here.</summary>
    public static IReadOnlyList<LeaderboardHtmlColumn> All { get; } =
    [
        new("accuracy", "share of labeled test rows predicted right", e => F4(e.Accuracy), t => F4(t.Metrics?.Accuracy ?? double.NaN)),
        new("retained", "student accuracy / teacher accuracy", e => Percent(e.RetainedAccuracy), t => double.IsFinite(t.Metrics?.Accuracy ?? double.NaN) ? Percent(1) : NotAvailable),
        new("agreement", "share of test rows where student and teacher predict the same class", e => F4(e.Agreement), t => F4(t.Metrics?.Agreement ?? double.NaN)),
        new("top-3 agreement", "share of rows whose teacher class is among the student's 3 most probable classes (another k is written in the cell)", e => e.Quality is { } q ? F4(q.TopKAgreement) + (q.TopK == 3 ? "" : $" (k={q.TopK})") : NotAvailable),
        new("KL to teacher", "mean KL(teacher ‖ student) in nats", e => F4(e.KlToTeacher), t => F4(t.Metrics?.KlToTeacher ?? double.NaN)),
        new("log-loss", "mean −ln q(label) in nats", e => F4(e.LogLoss), t => F4(t.Metrics?.LogLoss ?? double.NaN)),
        new("macro-F1", "F1 averaged over the classes", e => F4(e.MacroF1), t => F4(t.Metrics?.MacroF1 ?? double.NaN)),
        new(PseudoLabelsHeader, "accuracy of the pseudo-label twin: the same spec trained on the teacher's arg-max labels of the same rows", e => F4(e.PseudoBaselineAccuracy ?? double.NaN)),
        new(VsPseudoLabelsHeader, "distilled accuracy minus the pseudo-label twin's: what soft labels add over the teacher's arg-max labels (positive: soft labels win)",
            e => e.PseudoBaselineAccuracy is double p ? LeaderboardMarkdown.Gain(e.Accuracy - p) : NotAvailable),
        new("ECE", "expected calibration error of the student (labeled rows)", e => F4(e.Quality?.ExpectedCalibrationError ?? double.NaN),
            t => F4(t.ExpectedCalibrationError)),
        new("bytes", "size of the deployable file (ONNX for MLP students, ML.NET zip otherwise)", e => Count(e.ModelBytes), t => t.ModelBytes > 0 ? Count(t.ModelBytes) : NotAvailable),
        new("parameters", "learned parameters, where counted", e => e.Parameters is long n ? Count(n) : NotAvailable),
        new("cost", "the cost on the leaderboard's axis", e => Number(e.Cost, "N0"), t => t.Cost is double c ? Number(c, "N0") : NotAvailable),
        new("T", "temperature of the soft labels the student was trained on", e => e.Temperature is float t ? Number(t, "0.##") : ""),
        new("alpha", "weight of the soft labels against the hard labels", e => e.Alpha is float a ? Number(a, "0.##") : ""),
        new("train s", "wall-clock training seconds", e => Number(e.TrainSeconds, "F2")),
        new("front / pick", "Pareto: no other student is at least as good for at most the cost; pick: the lowest-cost student within the tolerance of the teacher's accuracy",
            e => e.Pareto && e.Chosen ? "Pareto, pick" : e.Chosen ? "pick" : e.Pareto ? "Pareto" : ""),
    ];

    /// <summary>The serving-cost table's columns after the name: latency and throughput through ML.NET and in ONNX Runtime, speed-up, size reduction, why a form was not measured.</summary>
    public static IReadOnlyList<LeaderboardHtmlColumn> ServingCost { get; } =
    [
        new("p50 µs", "median single-row latency through ML.NET (a PredictionEngine's mapper), after warm-up", e => Micro(e.LatencyP50Microseconds), t => Micro(t.Serving?.LatencyP50Microseconds)),
        new("p99 µs", "99th percentile of the same single-row times", e => Micro(e.LatencyP99Microseconds), t => Micro(t.Serving?.LatencyP99Microseconds)),
        new("rows/s", "ML.NET batch throughput: rows per second of one Transform pass", e => Rate(e.ThroughputRowsPerSecond), t => Rate(t.Serving?.ThroughputRowsPerSecond)),
        new("ONNX p50 µs", "median single-row latency of the ONNX graph in ONNX Runtime, one row per Run", e => Micro(e.OnnxLatencyP50Microseconds), t => Micro(t.Serving?.OnnxLatencyP50Microseconds)),
        new("ONNX p99 µs", "99th percentile of the ONNX single-row times", e => Micro(e.OnnxLatencyP99Microseconds), t => Micro(t.Serving?.OnnxLatencyP99Microseconds)),
        new("ONNX rows/s", "ONNX Runtime throughput in batches of 256 rows", e => Rate(e.OnnxThroughputRowsPerSecond), t => Rate(t.Serving?.OnnxThroughputRowsPerSecond)),
        new("speed-up", "teacher's ML.NET p50 over the student's", e => Times(e.LatencySpeedUp), t => t.Serving is null ? NotAvailable : Times(1)),
        new("smaller by", "teacher's bytes over the student's", e => Times(e.SizeReduction), t => t.ModelBytes > 0 ? Times(1) : NotAvailable),
        new("measuring s", "wall time spent measuring the latency in both forms", e => Number(e.CostSeconds, "F2"), t => Number(t.Serving?.CostSeconds ?? double.NaN, "F2")),
        new("note", "why a form has no latency", e => string.Join("; ", new[] { e.LatencyNote, e.OnnxNote }.OfType<string>()),
            t => string.Join("; ", new[] { t.Serving?.Note, t.Serving?.OnnxNote }.OfType<string>()), "why"),
    ];

    private static string Micro(double? value) => Number(value ?? double.NaN, "F1");

    private static string Rate(double? value) => Number(value ?? double.NaN, "N0");

    private static string Times(double value) => double.IsFinite(value) ? Number(value, "0.0") + "x" : NotAvailable;
}
