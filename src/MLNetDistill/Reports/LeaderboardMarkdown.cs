using System.Globalization;
using System.Text;
using MLNetDistill.Data;
using MLNetDistill.Experiments;

namespace MLNetDistill.Reports;

/// <summary>Writes <c>report.md</c>: the pick and why, the leaderboard table (teacher first, then students by cost), soft labels vs pseudo-labels (when the pseudo-label twins were trained), the serving cost (latency in both forms, speed-up, size reduction), the quality detail (top-k agreement, ECE, inheritance of the teacher's mistakes), the rows used, skipped and duplicate students, and the trade-off chart.</summary>
/// <example>
/// <code language="csharp">
/// File.WriteAllText("report.md", LeaderboardMarkdown.Render(result));
/// </code>
/// </example>
public static class LeaderboardMarkdown
{
    /// <summary>The trade-off chart's file name the report links by default (MLNetDistill.Reports' <c>StudentSizeReport.ChartFileName</c>).</summary>
    internal const string TradeoffChartFileName = "tradeoff.png";

    /// <summary>The cascade chart's file name the report links (MLNetDistill.Reports' <c>StudentSizeReport.CascadeChartFileName</c>).</summary>
    internal const string CascadeChartFileName = "cascade.png";

    /// <summary>The report as Markdown text.</summary>
    /// <param name="result">The experiment's result.</param>
    /// <param name="chartFile">The chart's file name to link, relative to the report, or <see langword="null"/> for none (then the cascade chart, <see cref="CascadeChartFileName"/>, is not linked either).</param>
    /// <returns>The Markdown.</returns>
    public static string Render(StudentSizeExperimentResult result, string? chartFile = TradeoffChartFileName)
    {
        ArgumentNullException.ThrowIfNull(result);
        var c = CultureInfo.InvariantCulture;
        var board = result.Leaderboard;
        var run = result.Experiment;
        // A temperature or alpha sweep: the trials differ in T or alpha, so each row says its own.
        bool swept = board.Entries.Select(e => e.Temperature).Distinct().Count() > 1 || board.Entries.Select(e => e.Alpha).Distinct().Count() > 1;
        var md = new StringBuilder();
        md.Append("# Student-size comparison\n\n");
        md.Append(c, $"**Pick:** {board.Choice}\n\n");
        md.Append(c, $"Cost axis: {Leaderboard.AxisName(board.CostAxis)}; quality: {board.QualityMetric}; tolerance {(board.AccuracyTolerance * 100).ToString("0.##", c)} % of the teacher's accuracy. ");
        md.Append(c, $"{run.TrainRows:N0} training, {run.TransferRows:N0} transfer and {run.TestRows:N0} test rows{(run.TestHeldOut ? " (held out of the training data)" : "")}; the teacher scored {run.TeacherScoring.TotalRows:N0} rows once in {run.TeacherScoring.Seconds:F2} s; {(swept ? "soft labels at each trial's T and alpha (columns T and alpha)" : $"T = {run.Temperature.ToString(c)}")}, seed {run.Seed}; {result.Seconds:F1} s in all.\n\n");
        if (run.Augmentation is { } a)
        {
            md.Append(a.Describe()).Append(" Every student learned from them.\n\n");
        }

        md.Append(swept
            ? "| model | T | alpha | accuracy | retained | agreement | KL to teacher | log-loss | macro-F1 | bytes | parameters | train s | Pareto | chosen |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|:-:|\n"
            : "| model | accuracy | retained | agreement | KL to teacher | log-loss | macro-F1 | bytes | parameters | train s | Pareto | chosen |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|:-:|\n");
        if (run.Teacher is { } t)
        {
            md.Append(c, $"| teacher | {(swept ? "1 | | " : "")}{F(t.Accuracy)} | 100.0 % | {F(t.Agreement)} | {F(t.KlToTeacher)} | {F(t.LogLoss)} | {F(t.MacroF1)} | {run.TeacherModelBytes:N0} | {(board.CostAxis == LeaderboardCostAxis.Parameters && board.TeacherCost is double p ? p.ToString("N0", c) : "")} | | | |\n");
        }

        foreach (var e in board.Entries.OrderBy(e => double.IsNaN(e.Cost) ? double.MaxValue : e.Cost))
        {
            md.Append(c, $"| {Cell(e.Name)} | {(swept ? $"{e.Temperature?.ToString(c) ?? "n/a"} | {e.Alpha?.ToString(c) ?? "n/a"} | " : "")}{F(e.Accuracy)} | {(double.IsNaN(e.RetainedAccuracy) ? "" : e.RetainedAccuracy.ToString("P1", c))} | {F(e.Agreement)} | {F(e.KlToTeacher)} | {F(e.LogLoss)} | {F(e.MacroF1)} | {e.ModelBytes:N0} | {(e.Parameters is long n ? n.ToString("N0", c) : "n/a")} | {e.TrainSeconds:F1} | {(e.Pareto ? "yes" : "")} | {(e.Chosen ? "**yes**" : "")} |\n");
        }

        md.Append('\n');
        AppendPseudoLabels(md, board);
        AppendCascades(md, board, linkChart: chartFile is not null);
        AppendServingCost(md, board);
        AppendQuality(md, board);
        if (board.Skipped.Count > 0)
        {
            md.Append(c, $"Not trained (time budget ran out): {string.Join(", ", board.Skipped.Select(s => $"`{s}`"))}.\n\n");
        }

        if (result.Duplicates.Count > 0)
        {
            md.Append(c, $"Duplicates trained once: {string.Join(", ", result.Duplicates.Select(s => $"`{s}`"))}.\n\n");
        }

        if (board.QualityMetric == "agreement")
        {
            md.Append("The test rows have no labels: the front is drawn on agreement with the teacher, and accuracy-based figures are not measured.\n\n");
        }

        if (chartFile is not null)
        {
            md.Append(c, $"![quality vs cost]({chartFile})\n");
        }

        return md.ToString();

        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F4", c);
    }

    /// <summary>What soft labels add over pseudo-labels: each student against its pseudo-label twin (the same spec on the teacher's arg-max labels of the same rows), when the run trained them.</summary>
    private static void AppendPseudoLabels(StringBuilder md, Leaderboard board)
    {
        var c = CultureInfo.InvariantCulture;
        var twins = board.Entries.Where(e => e.PseudoBaselineAccuracy is not null).ToList();
        if (twins.Count == 0)
        {
            return;
        }

        md.Append("## Soft labels vs pseudo-labels\n\n");
        md.Append("Each student against its pseudo-label twin: the same spec trained on the teacher's arg-max label of the same rows as a hard label (what you get without distillation). *vs pseudo-labels* is the distilled accuracy minus the twin's: positive where soft labels win.\n\n");
        md.Append("| student | accuracy | pseudo-label twin | vs pseudo-labels | agreement | twin agreement |\n|---|---:|---:|---:|---:|---:|\n");
        foreach (var e in twins)
        {
            double twin = e.PseudoBaselineAccuracy ?? double.NaN;
            md.Append(c, $"| {Cell(e.Name)} | {F(e.Accuracy)} | {F(twin)} | {Gain(e.Accuracy - twin)} | {F(e.Agreement)} | {F(e.PseudoBaselineAgreement ?? double.NaN)} |\n");
        }

        md.Append('\n');

        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F4", c);
    }

    /// <summary>Each student's cascade, when measured: the share of the test rows sent to the teacher at the threshold chosen on held-out training rows, the cascade's accuracy and agreement beside the student alone, and its cost per 1,000 rows where latency was measured.</summary>
    private static void AppendCascades(StringBuilder md, Leaderboard board, bool linkChart)
    {
        var c = CultureInfo.InvariantCulture;
        var cascades = board.Entries.Where(e => e.Cascade is not null).ToList();
        if (cascades.Count == 0)
        {
            return;
        }

        md.Append("## Cascades\n\n");
        md.Append("The student answers; the rows it is least sure of go to the teacher. Each threshold was chosen on training rows held out from the students, then measured on the test rows. *ms per 1,000* answers 1,000 rows one at a time: the student's single-row latency plus the deferred share of the teacher's.\n\n");
        md.Append("| student | rule | to the teacher | accuracy | retained | agreement | student alone | ms per 1,000 | target met (held-out) |\n|---|---|---:|---:|---:|---:|---:|---:|:-:|\n");
        double? teacherP50 = board.TeacherCostDetail?.LatencyP50Microseconds;
        foreach (var e in cascades)
        {
            var cascade = e.Cascade!;
            double accuracy = cascade.Accuracy ?? double.NaN;
            double retained = accuracy / board.TeacherAccuracy;
            md.Append(c, $"| {Cell(e.Name)} | {DistillationCascadeReport.RuleName(cascade.Rule)} | {cascade.DeferredShare.ToString("P1", c)} | {F(accuracy)} | {(double.IsNaN(retained) ? "n/a" : retained.ToString("P1", c))} | {F(cascade.Agreement)} | {F(e.Accuracy)} | {(cascade.CostPer1000(e.LatencyP50Microseconds, teacherP50) is double ms ? ms.ToString("N1", c) : "n/a")} | {(cascade.TargetMet ? "yes" : "no: every row to the teacher")} |\n");
        }

        md.Append(linkChart ? $"\n![cascades]({CascadeChartFileName})\n\n" : "\n");

        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F4", c);
    }

    /// <summary>A difference of accuracies with its sign (<c>+0.0123</c>), or <c>n/a</c>.</summary>
    internal static string Gain(double value) => double.IsNaN(value) ? "n/a" : value.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);

    /// <summary>The latency table: the teacher and each student through ML.NET (a PredictionEngine's mapper) and in ONNX Runtime, with speed-up and size reduction.</summary>
    private static void AppendServingCost(StringBuilder md, Leaderboard board)
    {
        var c = CultureInfo.InvariantCulture;
        if (board.TeacherCostDetail is null && board.Entries.All(e => double.IsNaN(e.LatencyP50Microseconds) && e.OnnxLatencyP50Microseconds is null))
        {
            md.Append("Latency was not measured (MeasureLatency is false).\n\n");
            return;
        }

        md.Append("## Serving cost\n\n");
        md.Append("Single-row latency after warm-up, in µs: ML.NET through the row-to-row mapper a PredictionEngine uses, and the ONNX graph (the student's export, the teacher's own file) one row per `Run` in ONNX Runtime; throughput in rows/s of a batch pass (ONNX Runtime: batches of 256). Speed-up is the teacher's ML.NET p50 over the student's; size reduction is the teacher's bytes over the student's.\n\n");
        md.Append("| model | p50 µs | p99 µs | rows/s | ONNX p50 µs | ONNX p99 µs | ONNX rows/s | speed-up | smaller by | note |\n");
        md.Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        if (board.TeacherCostDetail is { } t)
        {
            md.Append(c, $"| teacher | {U(t.LatencyP50Microseconds)} | {U(t.LatencyP99Microseconds)} | {R(t.ThroughputRowsPerSecond)} | {U(t.OnnxLatencyP50Microseconds)} | {U(t.OnnxLatencyP99Microseconds)} | {R(t.OnnxThroughputRowsPerSecond)} | 1.0x | 1.0x | {Cell(string.Join("; ", new[] { t.Note, t.OnnxNote }.OfType<string>()))} |\n");
        }

        foreach (var e in board.Entries)
        {
            md.Append(c, $"| {Cell(e.Name)} | {U(e.LatencyP50Microseconds)} | {U(e.LatencyP99Microseconds)} | {R(e.ThroughputRowsPerSecond)} | {U(e.OnnxLatencyP50Microseconds)} | {U(e.OnnxLatencyP99Microseconds)} | {R(e.OnnxThroughputRowsPerSecond)} | {X(e.LatencySpeedUp)} | {X(e.SizeReduction)} | {Cell(string.Join("; ", new[] { e.LatencyNote, e.OnnxNote }.OfType<string>()))} |\n");
        }

        md.Append('\n');

        string U(double? v) => v is double d && double.IsFinite(d) ? d.ToString("F1", c) : "n/a";
        string R(double? v) => v is double d && double.IsFinite(d) ? d.ToString("N0", c) : "n/a";
        string X(double v) => double.IsFinite(v) ? v.ToString("0.0", c) + "x" : "n/a";
    }

    /// <summary>Top-k agreement, calibration and how each student inherits the teacher's mistakes.</summary>
    private static void AppendQuality(StringBuilder md, Leaderboard board)
    {
        var c = CultureInfo.InvariantCulture;
        var measured = board.Entries.Where(e => e.Quality is not null).ToList();
        if (measured.Count == 0)
        {
            return;
        }

        md.Append("## Quality detail\n\n");
        md.Append("| student | top-k agreement | ECE | teacher ECE | teacher mistakes | copied | fixed | other mistakes | new mistakes |\n");
        md.Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var e in measured)
        {
            var q = e.Quality!;
            var t = q.Inheritance;
            md.Append(c, $"| {Cell(e.Name)} | top-{q.TopK} {F(q.TopKAgreement)} | {F(q.ExpectedCalibrationError)} | {F(q.TeacherExpectedCalibrationError)} | {N(t?.TeacherMistakes)} | {N(t?.Copied)} | {N(t?.Fixed)} | {N(t?.OtherMistakes)} | {N(t?.NewMistakes)} |\n");
        }

        md.Append('\n');
        foreach (var e in measured)
        {
            if (e.Quality!.Inheritance is { TeacherMistakes: > 0 } t)
            {
                md.Append(c, $"- `{e.Name}`: of the teacher's {t.TeacherMistakes:N0} mistakes it copies {t.Copied:N0} ({t.CopiedShare:P0}), fixes {t.Fixed:N0} and makes another wrong guess on {t.OtherMistakes:N0}; it adds {t.NewMistakes:N0} mistakes where the teacher is right.\n");
            }
        }

        md.Append('\n');

        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F4", c);
        string N(long? v) => v is long n ? n.ToString("N0", c) : "n/a";
    }

    /// <summary>Writes the report (atomically; an existing file is replaced).</summary>
    /// <param name="result">The experiment's result.</param>
    /// <param name="path">The <c>.md</c> file.</param>
    public static void Write(StudentSizeExperimentResult result, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] text = Encoding.UTF8.GetBytes(Render(result));
        AtomicFile.Write(path, stream => stream.Write(text));
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
