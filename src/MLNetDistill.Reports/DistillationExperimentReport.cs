using System.Globalization;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;
using MLNetDistill.Evaluation;
using MLNetDistill.Experiments;
using static MLNetDistill.Reports.HtmlReportWriter;

namespace MLNetDistill.Reports;

/// <summary>
/// The <see cref="DistillationMetrics"/> of one <see cref="DistillationExperiment"/> run as an HTML table: the teacher, then
/// each student distilled and, when the run trained them, its hard-label twin and its pseudo-label twin (with the gain of soft labels over pseudo-labels), on the same test rows (accuracy, macro-F1,
/// log-loss, agreement with the teacher, KL to the teacher, training seconds, model bytes).
/// </summary>
/// <remarks>
/// It implements <see cref="IHtmlContent"/>, so .NET Interactive displays it as HTML: end a cell with <c>result.ToHtmlReport()</c>.
/// The fragment is one <c>div class="mlnd mlnd-experiment"</c> with its own scoped style sheet; names are HTML-encoded,
/// numbers invariant-culture, an unmeasured value (no labels) is <c>n/a</c>. It reads the metrics only, so the result may
/// be disposed first.
/// </remarks>
/// <example>
/// <code language="csharp">
/// var result = new DistillationExperiment(mlContext, options).Run(train, test);
/// result.ToHtmlReport()      // a notebook cell's value: every student against the teacher
/// </code>
/// </example>
public sealed class DistillationExperimentReport : IHtmlContent
{
    /// <summary>Initializes the report of an experiment's result.</summary>
    /// <param name="result">The result.</param>
    /// <param name="title">The heading (default: <c>Distillation: students against the teacher</c>).</param>
    public DistillationExperimentReport(DistillationExperimentResult result, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        Result = result;
        Title = string.IsNullOrWhiteSpace(title) ? "Distillation: students against the teacher" : title;
    }

    /// <summary>Gets the result shown.</summary>
    public DistillationExperimentResult Result { get; }

    /// <summary>Gets the heading.</summary>
    public string Title { get; }

    /// <summary>Writes the table as an HTML fragment: one <c>div class="mlnd"</c> with its scoped style sheet.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="encoder">The encoder of the title and every name.</param>
    public void WriteTo(TextWriter writer, HtmlEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        var r = Result;
        var c = CultureInfo.InvariantCulture;
        var html = new HtmlReportWriter(writer, encoder);
        html.Raw("<div class=\"mlnd mlnd-experiment\"><style>");
        html.Raw(Css);
        html.Raw("</style>");
        html.Element("h3", Title);
        html.Element("p", string.Create(c, $"{Count(r.TrainRows)} training, {Count(r.TransferRows)} transfer and {Count(r.TestRows)} test rows{(r.TestHeldOut ? " (held out of the training rows)" : "")}; T = {r.Temperature}, seed {r.Seed}."), "muted");
        html.Raw("<table class=\"experiment\"><thead><tr><th class=\"name\">model</th><th>accuracy</th><th>macro-F1</th><th>log-loss</th>"
            + "<th>agreement</th><th>KL to the teacher</th><th>train s</th><th>bytes</th></tr></thead><tbody>");
        if (r.Teacher is { } teacher)
        {
            Row(html, "teacher", "teacher", teacher, double.NaN, r.TeacherModelBytes);
        }

        foreach (var s in r.Students)
        {
            Row(html, s.Name, "student", s.Distilled.Metrics, s.Distilled.TrainSeconds, s.Distilled.ModelBytes);
            if (s.Baseline is { } twin)
            {
                Row(html, s.Name + " (hard labels)", "baseline", twin.Metrics, twin.TrainSeconds, twin.ModelBytes);
            }

            if (s.PseudoBaseline is { } pseudo)
            {
                // The gain of soft labels over the teacher's arg-max labels, in the name cell: the one comparison this row is for.
                Row(html, $"{s.Name} (pseudo-labels; soft labels {LeaderboardMarkdown.Gain(s.Distilled.Metrics.Accuracy - pseudo.Metrics.Accuracy)} accuracy)", "pseudo-baseline",
                    pseudo.Metrics, pseudo.TrainSeconds, pseudo.ModelBytes);
            }
        }

        html.Raw("</tbody></table>");
        if (r.Budget is { } budget)
        {
            // The transfer rows were bought on a budget: the curves the students' rows came from.
            new BudgetCurveReport(budget).WriteTo(writer, encoder);
        }

        html.Raw("</div>");
    }

    /// <summary>The fragment as a string, encoded with <see cref="HtmlEncoder.Default"/>.</summary>
    /// <returns>The HTML.</returns>
    public override string ToString()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        WriteTo(writer, HtmlEncoder.Default);
        return writer.ToString();
    }

    private static void Row(HtmlReportWriter html, string name, string cssClass, DistillationMetrics m, double seconds, long bytes)
    {
        html.Raw($"<tr class=\"{cssClass}\">");
        html.Cell(name, "name");
        html.Cell(F4(m.Accuracy));
        html.Cell(F4(m.MacroF1));
        html.Cell(F4(m.LogLoss));
        html.Cell(F4(m.Agreement));
        html.Cell(F4(m.KlToTeacher));
        html.Cell(Number(seconds, "F1"));
        html.Cell(bytes > 0 ? Count(bytes) : NotAvailable);
        html.Raw("</tr>");
    }
}
