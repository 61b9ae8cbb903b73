using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using static MLNetDistill.Reports.HtmlReportWriter;

namespace MLNetDistill.Reports;

/// <summary>
/// The HTML report of a student-size comparison, one self-contained page: the pick and why, the leaderboard table (the
/// teacher first, then every student by cost, Pareto and chosen rows highlighted), the serving-cost table (latency and
/// throughput through ML.NET and in ONNX Runtime, speed-up, size reduction), the trade-off chart
/// (<see cref="TradeoffChart"/>, embedded as a PNG data URI), the per-class agreement and accuracy heat maps (rows are
/// students, columns classes) and the inheritance table of the teacher's mistakes; with cascades, their table and chart
/// (<see cref="CascadeChart"/>).
/// </summary>
/// <remarks>
/// <para>It implements <see cref="IHtmlContent"/>, so .NET Interactive displays it as HTML: end a notebook cell with
/// <c>result.ToHtmlReport()</c>. <see cref="WriteTo"/> writes a fragment (a <c>div</c> with its own style sheet, scoped to
/// it); <see cref="WriteDocument"/> and <see cref="Save"/> write a whole page. Inline CSS only: no script, no external link,
/// font or image. Every name and sentence is HTML-encoded; numbers are invariant-culture; an unmeasured value is <c>n/a</c>.</para>
/// <para>When the test rows have no labels (<see cref="Leaderboard.QualityMetric"/> is <c>agreement</c>) the report says so:
/// accuracy is not measured, the students are ranked on agreement with the teacher, and none is picked.</para>
/// </remarks>
/// <example>
/// <code language="csharp">
/// using var result = experiment.Run(train, test);
/// new StudentSizeHtmlReport(result).Save("report.html");
/// // in a notebook cell, displayed as HTML:
/// result.ToHtmlReport()
/// </code>
/// </example>
public sealed class StudentSizeHtmlReport : IHtmlContent
{
    private readonly DistillationExperimentResult? _run;
    private readonly IReadOnlyList<string> _duplicates;
    private readonly double _seconds;
    private readonly Lazy<byte[]> _chart;
    private Lazy<byte[]>? _cascadeChart;

    /// <summary>Initializes a report of an experiment's result: the leaderboard and the run's teacher metrics, rows and timing.</summary>
    /// <param name="result">The experiment's result (read when the report is written; its models are not used, so it may be disposed).</param>
    public StudentSizeHtmlReport(StudentSizeExperimentResult result)
        : this(result, null)
    {
    }

    /// <summary>Initializes a report of a leaderboard alone (no run details: the teacher row shows its accuracy and cost only).</summary>
    /// <param name="leaderboard">The leaderboard, e.g. from <see cref="Leaderboard.Create"/>.</param>
    public StudentSizeHtmlReport(Leaderboard leaderboard)
    {
        ArgumentNullException.ThrowIfNull(leaderboard);
        Leaderboard = leaderboard;
        _duplicates = [];
        _seconds = double.NaN;
        _chart = new(() => TradeoffChart.Render(leaderboard));
    }

    /// <summary>Initializes a report of a result whose chart is already rendered (the PNG <see cref="StudentSizeReport.WriteAll"/> wrote).</summary>
    internal StudentSizeHtmlReport(StudentSizeExperimentResult result, byte[]? chartPng, byte[]? cascadeChartPng = null)
    {
        _cascadeChart = cascadeChartPng is null ? null : new(cascadeChartPng);
        ArgumentNullException.ThrowIfNull(result);
        Leaderboard = result.Leaderboard;
        _run = result.Experiment;
        _duplicates = result.Duplicates;
        _seconds = result.Seconds;
        var board = result.Leaderboard;
        _chart = chartPng is null ? new(() => TradeoffChart.Render(board)) : new(chartPng);
    }

    /// <summary>Gets the leaderboard the report shows.</summary>
    public Leaderboard Leaderboard { get; }

    /// <summary>Writes the report as an HTML fragment: one <c>div class="mlnd"</c> with its scoped style sheet.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="encoder">The encoder of every name and sentence.</param>
    public void WriteTo(TextWriter writer, HtmlEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        var html = new HtmlReportWriter(writer, encoder);
        html.Raw("<div class=\"mlnd mlnd-student-size\"><style>");
        html.Raw(Css);
        html.Raw("</style>");
        Header(html);
        LeaderboardTable(html);
        ServingCostTable(html);
        Chart(html);
        CascadeSection(html);
        HeatMaps(html);
        html.Raw("<h3>Inheritance of the teacher's mistakes</h3>");
        html.Raw("<p class=\"muted\">Over the labeled test rows: of the rows the teacher gets wrong, how many each student copies (the same wrong class), fixes (the label) or gets wrong differently; and its new mistakes on rows the teacher gets right.</p>");
        html.InheritanceTable([.. Ordered().Select(e => (e.Name, e.Quality?.Inheritance))]);
        html.Raw("</div>");
    }

    /// <summary>Writes the report as a whole HTML page (doctype, UTF-8, title, then <see cref="WriteTo"/>'s fragment).</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="encoder">The encoder of every name and sentence.</param>
    public void WriteDocument(TextWriter writer, HtmlEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        writer.Write("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Student-size comparison</title>"
            + "<style>body{margin:16px 24px;background:#ffffff}</style></head><body>\n");
        WriteTo(writer, encoder);
        writer.Write("\n</body></html>\n");
    }

    /// <summary>Writes the whole page to a file, UTF-8 (atomically: an existing file is replaced only when the new one is complete).</summary>
    /// <param name="path">The <c>.html</c> file.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            WriteDocument(writer, HtmlEncoder.Default);
        });
    }

    /// <summary>The fragment as a string, encoded with <see cref="HtmlEncoder.Default"/>.</summary>
    /// <returns>The HTML.</returns>
    public override string ToString()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        WriteTo(writer, HtmlEncoder.Default);
        return writer.ToString();
    }

    private IEnumerable<LeaderboardEntry> Ordered() => Leaderboard.Entries.OrderBy(e => double.IsNaN(e.Cost) ? double.MaxValue : e.Cost);

    private void Header(HtmlReportWriter html)
    {
        var c = CultureInfo.InvariantCulture;
        var board = Leaderboard;
        html.Raw("<h2>Student-size comparison</h2><p>");
        html.Text(string.Create(c, $"Teacher accuracy on the test rows: {F4(board.TeacherAccuracy)}. Cost axis: {Leaderboard.AxisName(board.CostAxis)}; ranked on {board.QualityMetric}; "
            + $"tolerance {(board.AccuracyTolerance * 100).ToString("0.##", c)} % of the teacher's accuracy; {board.Entries.Count} student(s) trained."));
        html.Raw("</p>");
        if (_run is { } run)
        {
            html.Raw("<p class=\"muted\">");
            html.Text(string.Create(c, $"{Count(run.TrainRows)} training, {Count(run.TransferRows)} transfer and {Count(run.TestRows)} test rows{(run.TestHeldOut ? " (held out of the training data)" : "")}; "
                + $"the teacher scored {Count(run.TeacherScoring.TotalRows)} rows once in {run.TeacherScoring.Seconds.ToString("F2", c)} s; T = {run.Temperature.ToString(c)}, seed {run.Seed}; {Number(_seconds, "F1")} s in all."));
            html.Raw("</p>");
            if (run.Augmentation is { } augmentation)
            {
                html.Raw("<p class=\"muted augmentation\">");
                html.Text(augmentation.Describe() + " Every student learned from them.");
                html.Raw("</p>");
            }
        }

        html.Raw(board.Chosen is null ? "<div class=\"nopick\">" : "<div class=\"pick\"><b>Pick:</b> ");
        html.Text(board.Choice);
        html.Raw("</div>");
        if (board.QualityMetric == "agreement")
        {
            html.Raw("<div class=\"note unlabeled\"><b>The test rows have no labels.</b> ");
            html.Text("Accuracy is not measured (n/a), the students are ranked and the Pareto front is drawn on agreement with the teacher, and no student is picked. Per-class accuracy and the inheritance table need labels too.");
            html.Raw("</div>");
        }

        if (board.Skipped.Count > 0)
        {
            html.Raw("<p class=\"skipped\"><b>Not trained</b> (the time budget ran out): ");
            html.Text(string.Join(", ", board.Skipped));
            html.Raw("</p>");
        }

        if (_duplicates.Count > 0)
        {
            html.Raw("<p class=\"duplicates\"><b>Duplicates trained once</b> (the same spec as an earlier student): ");
            html.Text(string.Join(", ", _duplicates));
            html.Raw("</p>");
        }
    }

    private LeaderboardHtmlTeacher Teacher()
    {
        double teacherEce = Leaderboard.Entries.Select(e => e.Quality?.TeacherExpectedCalibrationError ?? double.NaN).FirstOrDefault(double.IsFinite, double.NaN);
        var metrics = _run?.Teacher ?? (double.IsFinite(Leaderboard.TeacherAccuracy) ? new(Leaderboard.TeacherAccuracy, double.NaN, double.NaN, double.NaN, double.NaN, 0) : null);
        long bytes = _run?.TeacherModelBytes ?? Leaderboard.TeacherCostDetail?.ModelBytes ?? 0;
        return new LeaderboardHtmlTeacher(metrics, bytes, Leaderboard.TeacherCost, teacherEce, Leaderboard.TeacherCostDetail);
    }

    private void ServingCostTable(HtmlReportWriter html)
    {
        html.Raw("<h3>Serving cost</h3>");
        if (Leaderboard.TeacherCostDetail is null && Leaderboard.Entries.All(e => double.IsNaN(e.LatencyP50Microseconds) && e.OnnxLatencyP50Microseconds is null))
        {
            html.Raw("<p class=\"muted latency-not-measured\">Latency was not measured (MeasureLatency is false).</p>");
            return;
        }

        html.Raw("<p class=\"muted\">Single-row latency after warm-up, in µs: ML.NET through the row-to-row mapper a PredictionEngine uses, and the ONNX graph (the student's export, the teacher's own file) one row per Run in ONNX Runtime; throughput in rows/s of a batch pass (ONNX Runtime: batches of 256).</p>");
        Table(html, "serving", LeaderboardHtmlColumn.ServingCost, Teacher(), spec: false);
    }

    private void LeaderboardTable(HtmlReportWriter html)
    {
        html.Raw("<h3>Leaderboard</h3>");
        // On the size and parameter axes the cost is the bytes or parameters column again: shown once, so the table fits a page.
        // The pseudo-label columns only when the run trained the pseudo-label twins.
        bool pseudo = Leaderboard.Entries.Any(e => e.PseudoBaselineAccuracy is not null);
        var columns = LeaderboardHtmlColumn.All
            .Where(c => c.Header != "cost" || Leaderboard.CostAxis == LeaderboardCostAxis.Latency)
            .Where(c => pseudo || c.Header is not (LeaderboardHtmlColumn.PseudoLabelsHeader or LeaderboardHtmlColumn.VsPseudoLabelsHeader))
            .ToList();
        Table(html, "leaderboard", columns, Teacher(), spec: true);
        html.Raw("<p class=\"muted\">Rows by cost. <span style=\"background:#eaf1fb;padding:0 4px\">blue</span>: on the Pareto front; "
            + "<span style=\"background:#dcf1e0;padding:0 4px;font-weight:600\">green</span>: the pick; <span style=\"background:#fbeeee;padding:0 4px\">red</span>: the teacher. Hover a header for its meaning.</p>");
    }

    private void Table(HtmlReportWriter html, string cssClass, IReadOnlyList<LeaderboardHtmlColumn> columns, LeaderboardHtmlTeacher teacher, bool spec)
    {
        html.Raw($"<div class=\"scroll\"><table class=\"{cssClass}\"><thead><tr><th class=\"name\" title=\"the name, and below it the spec with its defaults filled in\">model</th>");
        foreach (var column in columns)
        {
            html.Raw("<th title=\"");
            html.Text(column.Title);
            html.Raw("\">");
            html.Text(column.Header);
            html.Raw("</th>");
        }

        html.Raw("</tr></thead><tbody>");
        html.Raw("<tr class=\"teacher\">");
        html.Cell("teacher", "name");
        foreach (var column in columns)
        {
            html.Cell(column.Teacher?.Invoke(teacher) ?? "", column.CssClass);
        }

        html.Raw("</tr>");
        foreach (var entry in Ordered())
        {
            html.Raw(entry.Chosen ? "<tr class=\"student chosen\">" : entry.Pareto ? "<tr class=\"student pareto\">" : "<tr class=\"student\">");
            html.Raw("<td class=\"name\">");
            html.Text(entry.Name);
            if (spec && entry.Spec != entry.Name)
            {
                html.Raw("<div class=\"spec\">");
                string[] parts = entry.Spec.Split(',');
                for (int i = 0; i < parts.Length; i++)
                {
                    html.Raw(i == 0 ? "" : ",<wbr>"); // the spec breaks after its commas, not inside a number
                    html.Text(parts[i]);
                }

                html.Raw("</div>");
            }

            html.Raw("</td>");
            foreach (var column in columns)
            {
                html.Cell(column.Student(entry), column.CssClass);
            }

            html.Raw("</tr>");
        }

        html.Raw("</tbody></table></div>");
    }

    private void Chart(HtmlReportWriter html)
    {
        html.Raw("<h3>Trade-off</h3><img class=\"chart\" alt=\"");
        html.Text($"{Leaderboard.QualityMetric} against {Leaderboard.AxisName(Leaderboard.CostAxis)}, log scale, Pareto front and teacher");
        html.Raw("\" width=\"900\" height=\"600\" src=\"data:image/png;base64,");
        html.Raw(Convert.ToBase64String(_chart.Value));
        html.Raw("\">");
    }

    /// <summary>With cascades only: the cascade chart (<see cref="CascadeChart"/>) and each student's cascade at its chosen threshold.</summary>
    private void CascadeSection(HtmlReportWriter html)
    {
        if (!CascadeChart.HasCascades(Leaderboard))
        {
            return;
        }

        var board = Leaderboard;
        _cascadeChart ??= new(() => CascadeChart.Render(board));
        html.Raw("<h3>Cascades</h3><p class=\"muted\">The student answers; the rows it is least sure of go to the teacher. Each threshold was chosen on training rows held out from the students, then measured on the test rows.</p>");
        html.Raw("<table><thead><tr><th class=\"name\">student</th><th>rule</th><th>to the teacher</th><th>accuracy</th><th>agreement</th><th>student alone</th><th>target met (held-out)</th></tr></thead><tbody>");
        foreach (var entry in Ordered().Where(e => e.Cascade is not null))
        {
            var cascade = entry.Cascade!;
            html.Raw("<tr>");
            html.Cell(entry.Name, "name");
            html.Cell(DistillationCascadeReport.RuleName(cascade.Rule));
            html.Cell(Percent(cascade.DeferredShare));
            html.Cell(F4(cascade.Accuracy ?? double.NaN));
            html.Cell(F4(cascade.Agreement));
            html.Cell(F4(entry.Accuracy));
            html.Cell(cascade.TargetMet ? "yes" : "no: every row to the teacher");
            html.Raw("</tr>");
        }

        html.Raw("</tbody></table><img class=\"chart\" alt=\"");
        html.Text("cascade accuracy against the share of rows sent to the teacher, one line per student, the teacher at 100 %");
        html.Raw("\" width=\"900\" height=\"600\" src=\"data:image/png;base64,");
        html.Raw(Convert.ToBase64String(_cascadeChart.Value));
        html.Raw("\">");
    }

    private void HeatMaps(HtmlReportWriter html)
    {
        var entries = Ordered().ToList();
        int classes = entries.Max(e => (int?)e.Quality?.Classes) ?? 0;
        html.Raw("<h3>Per-class agreement with the teacher</h3>");
        if (classes == 0)
        {
            html.Raw(entries.Count == 0
                ? "<p class=\"muted\">No student was trained.</p>"
                : "<p class=\"muted\">No per-class detail: the entries were made without the evaluator's quality metrics.</p>");
            return;
        }

        html.Raw("<p class=\"muted\">Of the test rows the teacher puts in a class, the share the student puts there too.</p>");
        HeatMap(html, entries, classes, "agreement", q => q.PerClassAgreement);
        if (entries.Any(e => e.Quality is { LabeledRows: > 0 }))
        {
            html.Raw("<h3>Per-class accuracy</h3><p class=\"muted\">Of the labeled test rows of a class, the share the student predicts right (recall).</p>");
            HeatMap(html, entries, classes, "accuracy", q => q.PerClassAccuracy);
        }
    }

    private static void HeatMap(HtmlReportWriter html, IReadOnlyList<LeaderboardEntry> entries, int classes, string what, Func<Evaluation.DistillationQuality, IReadOnlyList<double>> values)
    {
        double low = HeatLow(entries.Where(e => e.Quality is not null).SelectMany(e => values(e.Quality!)));
        html.Raw($"<div class=\"scroll\"><table class=\"heatmap {what}\"><thead><tr><th class=\"name\">student</th>");
        for (int k = 0; k < classes; k++)
        {
            html.Raw(string.Create(CultureInfo.InvariantCulture, $"<th>class {k}</th>"));
        }

        html.Raw("</tr></thead><tbody>");
        foreach (var entry in entries)
        {
            html.Raw("<tr>");
            html.Cell(entry.Name, "name");
            var row = entry.Quality is { } q ? values(q) : [];
            for (int k = 0; k < classes; k++)
            {
                double v = k < row.Count ? row[k] : double.NaN;
                html.HeatCell(v, low, title: string.Create(CultureInfo.InvariantCulture, $"{entry.Name}, class {k}: {what} {Number(v, "F4")}"));
            }

            html.Raw("</tr>");
        }

        html.Raw("</tbody></table></div>");
        html.HeatLegend(low, what);
    }
}
