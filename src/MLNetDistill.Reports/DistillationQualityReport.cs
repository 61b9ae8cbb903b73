using System.Globalization;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;
using MLNetDistill.Evaluation;
using static MLNetDistill.Reports.HtmlReportWriter;

namespace MLNetDistill.Reports;

/// <summary>
/// One distillation evaluation (<see cref="DistillationQuality"/>) as HTML: the summary metrics (student against labels and
/// teacher, calibration of both), the per-class table (accuracy and agreement, coloured as a heat map), the
/// teacher-versus-student class matrix and the inheritance table of the teacher's mistakes.
/// </summary>
/// <remarks>
/// It implements <see cref="IHtmlContent"/>, so .NET Interactive displays it as HTML: end a cell with <c>quality.ToHtmlReport()</c>.
/// The fragment is one <c>div class="mlnd"</c> with its own scoped style sheet; the title is HTML-encoded, numbers are
/// invariant-culture and an unmeasured value (no labels, no rows of a class) is <c>n/a</c>.
/// </remarks>
/// <example>
/// <code language="csharp">
/// DistillationQuality q = mlContext.MulticlassClassification.EvaluateDistillation(student.Transform(scoredTest));
/// q.ToHtmlReport("mlp:64 on the test rows")   // a notebook cell's value, shown as HTML
/// </code>
/// </example>
public sealed class DistillationQualityReport : IHtmlContent
{
    /// <summary>Initializes the report of one evaluation.</summary>
    /// <param name="quality">The evaluation.</param>
    /// <param name="title">The heading, e.g. the student's name (default: <c>Distillation quality</c>).</param>
    public DistillationQualityReport(DistillationQuality quality, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(quality);
        Quality = quality;
        Title = string.IsNullOrWhiteSpace(title) ? "Distillation quality" : title;
    }

    /// <summary>Gets the evaluation shown.</summary>
    public DistillationQuality Quality { get; }

    /// <summary>Gets the heading.</summary>
    public string Title { get; }

    /// <summary>Writes the report as an HTML fragment: one <c>div class="mlnd"</c> with its scoped style sheet.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="encoder">The encoder of the title and every text.</param>
    public void WriteTo(TextWriter writer, HtmlEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        var q = Quality;
        var c = CultureInfo.InvariantCulture;
        var html = new HtmlReportWriter(writer, encoder);
        html.Raw("<div class=\"mlnd mlnd-quality\"><style>");
        html.Raw(Css);
        html.Raw("</style>");
        html.Element("h2", Title);
        html.Element("p", $"{Count(q.Rows)} rows, {Count(q.LabeledRows)} labeled, {q.Classes.ToString(c)} classes.", "muted");
        if (q.LabeledRows == 0)
        {
            html.Element("div", "The rows have no labels: accuracy, macro-F1, log-loss, calibration, per-class accuracy and the inheritance table are not measured (n/a); agreement with the teacher is.", "note unlabeled");
        }

        html.Raw("<table class=\"summary\"><thead><tr><th class=\"name\">metric</th><th>student</th><th>teacher</th></tr></thead><tbody>");
        Row(html, "accuracy", F4(q.Accuracy), F4(q.TeacherAccuracy));
        Row(html, "retained accuracy (student / teacher)", Percent(q.RetainedAccuracy), "");
        Row(html, "macro-F1", F4(q.MacroF1), "");
        Row(html, "log-loss (nats)", F4(q.LogLoss), "");
        Row(html, "agreement with the teacher (top-1)", F4(q.Agreement), "");
        Row(html, string.Create(c, $"top-{q.TopK} agreement"), F4(q.TopKAgreement), "");
        Row(html, "KL(teacher ‖ student) (nats)", F4(q.KlToTeacher), "");
        Row(html, string.Create(c, $"expected calibration error ({q.CalibrationBins} bins)"), F4(q.ExpectedCalibrationError), F4(q.TeacherExpectedCalibrationError));
        html.Raw("</tbody></table>");

        html.Raw("<h3>Per class</h3>");
        double low = HeatLow(q.PerClassAccuracy.Concat(q.PerClassAgreement));
        html.Raw("<table class=\"perclass\"><thead><tr><th class=\"name\">class</th><th title=\"share of the labeled rows of the class predicted right (recall)\">accuracy</th>"
            + "<th title=\"share of the rows the teacher puts in the class that the student puts there too\">agreement</th></tr></thead><tbody>");
        for (int k = 0; k < q.Classes; k++)
        {
            html.Raw("<tr>");
            html.Cell(k.ToString(c), "name");
            html.HeatCell(k < q.PerClassAccuracy.Count ? q.PerClassAccuracy[k] : double.NaN, low);
            html.HeatCell(k < q.PerClassAgreement.Count ? q.PerClassAgreement[k] : double.NaN, low);
            html.Raw("</tr>");
        }

        html.Raw("</tbody></table>");
        html.HeatLegend(low, "share");

        if (q.TeacherStudentCounts.Count > 0)
        {
            html.Raw("<h3>Teacher class (rows) against student class (columns)</h3><p class=\"muted\">Row counts; colour: the share of the teacher's row.</p>");
            html.Raw("<table class=\"counts\"><thead><tr><th class=\"name\">teacher \\ student</th>");
            for (int s = 0; s < q.TeacherStudentCounts.Count; s++)
            {
                html.Raw(string.Create(c, $"<th>{s}</th>"));
            }

            html.Raw("</tr></thead><tbody>");
            for (int t = 0; t < q.TeacherStudentCounts.Count; t++)
            {
                var row = q.TeacherStudentCounts[t];
                long total = 0;
                foreach (long n in row)
                {
                    total += n;
                }

                html.Raw("<tr>");
                html.Cell(t.ToString(c), "name");
                for (int s = 0; s < row.Count; s++)
                {
                    html.HeatCell(total == 0 ? double.NaN : (double)row[s] / total, 0, Count(row[s]));
                }

                html.Raw("</tr>");
            }

            html.Raw("</tbody></table>");
        }

        html.Raw("<h3>Inheritance of the teacher's mistakes</h3>");
        html.InheritanceTable([("student", q.Inheritance)]);
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

    private static void Row(HtmlReportWriter html, string name, string student, string teacher)
    {
        html.Raw("<tr>");
        html.Cell(name, "name");
        html.Cell(student);
        html.Cell(teacher);
        html.Raw("</tr>");
    }
}
