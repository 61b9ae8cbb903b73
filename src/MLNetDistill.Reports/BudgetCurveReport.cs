using System.Globalization;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;
using MLNetDistill.Experiments;
using static MLNetDistill.Reports.HtmlReportWriter;

namespace MLNetDistill.Reports;

/// <summary>
/// A budgeted labeling run as HTML: what was bought and what it cost, the chart of <see cref="BudgetCurveChart"/> as a data
/// URI, and the table of both curves point by point (teacher calls, then accuracy and agreement for the strategy and for random rows).
/// </summary>
/// <remarks>
/// It implements <see cref="IHtmlContent"/>, so .NET Interactive displays it as HTML: end a cell with <c>result.Budget!.ToHtmlReport()</c>.
/// The fragment is one <c>div class="mlnd mlnd-budget"</c> with its own scoped style sheet; numbers invariant-culture, an
/// unmeasured value is <c>n/a</c>. The chart is rendered once, when the report is first written.
/// </remarks>
/// <example>
/// <code language="csharp">
/// using var result = new DistillationExperiment(mlContext, options).Run(train, test, transfer);
/// result.Budget!.ToHtmlReport()    // a notebook cell's value: the curves against random rows
/// </code>
/// </example>
public sealed class BudgetCurveReport : IHtmlContent
{
    private readonly Lazy<byte[]> _png;

    /// <summary>Initializes the report of a budgeted labeling run.</summary>
    /// <param name="budget">The run's result.</param>
    /// <param name="width">The image's width in pixels, in [100, 10000] (default 900).</param>
    /// <param name="height">The image's height in pixels, in [100, 10000] (default 560).</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is outside [100, 10000].</exception>
    public BudgetCurveReport(BudgetedLabelingResult budget, int width = BudgetCurveChart.DefaultWidth, int height = BudgetCurveChart.DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(budget);
        TradeoffChart.CheckSize(width, nameof(width));
        TradeoffChart.CheckSize(height, nameof(height));
        Budget = budget;
        Width = width;
        Height = height;
        _png = new(() => BudgetCurveChart.Render(budget, width, height));
    }

    /// <summary>Gets the run shown.</summary>
    public BudgetedLabelingResult Budget { get; }

    /// <summary>Gets the image's width in pixels.</summary>
    public int Width { get; }

    /// <summary>Gets the image's height in pixels.</summary>
    public int Height { get; }

    /// <summary>Gets the chart as PNG bytes (rendered on first use).</summary>
    public byte[] Png => _png.Value;

    /// <summary>Writes the summary, the chart and the table as an HTML fragment: one <c>div class="mlnd"</c> with its scoped style sheet.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="encoder">The encoder of every name.</param>
    public void WriteTo(TextWriter writer, HtmlEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        var c = CultureInfo.InvariantCulture;
        var b = Budget;
        var html = new HtmlReportWriter(writer, encoder);
        html.Raw("<div class=\"mlnd mlnd-budget\"><style>");
        html.Raw(Css);
        html.Raw("</style>");
        html.Element("h3", $"Budgeted labeling: {b.Strategy} against random rows");
        html.Element("p", string.Create(c, $"{Count(b.Bought)} of {Count(b.PoolRows)} pool rows bought in {b.Rounds} rounds, chosen by {b.Student}; {Count(b.TeacherCalls)} teacher calls in all (the random curve's rows included), cost {b.Cost:0.##}."), "muted");
        html.Raw("<img class=\"chart\" alt=\"");
        html.Text($"accuracy and agreement against teacher calls, {b.Strategy} and random");
        html.Raw(string.Create(c, $"\" width=\"{Width}\" height=\"{Height}\" src=\"data:image/png;base64,"));
        html.Raw(Convert.ToBase64String(Png));
        html.Raw("\">");
        bool random = b.Random.Count == b.Curve.Count && !ReferenceEquals(b.Random, b.Curve);
        html.Raw("<table class=\"budget\"><thead><tr><th>teacher calls</th><th>");
        html.Text($"{b.Strategy} accuracy");
        html.Raw("</th><th>");
        html.Text($"{b.Strategy} agreement");
        html.Raw(random ? "</th><th>random accuracy</th><th>random agreement</th></tr></thead><tbody>" : "</th></tr></thead><tbody>");
        for (int i = 0; i < b.Curve.Count; i++)
        {
            html.Raw("<tr>");
            html.Cell(Count(b.Curve[i].Bought));
            html.Cell(F4(b.Curve[i].Accuracy));
            html.Cell(F4(b.Curve[i].Agreement));
            if (random)
            {
                html.Cell(F4(b.Random[i].Accuracy));
                html.Cell(F4(b.Random[i].Agreement));
            }

            html.Raw("</tr>");
        }

        html.Raw("</tbody></table></div>");
    }

    /// <summary>The fragment as a string, encoded with <see cref="HtmlEncoder.Default"/>.</summary>
    /// <returns>The HTML.</returns>
    public override string ToString()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        WriteTo(writer, HtmlEncoder.Default);
        return writer.ToString();
    }
}
