using System.Globalization;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;
using MLNetDistill.Experiments;
using static MLNetDistill.Reports.HtmlReportWriter;

namespace MLNetDistill.Reports;

/// <summary>
/// The trade-off chart of a <see cref="Leaderboard"/> (<see cref="TradeoffChart"/>) as HTML: the PNG embedded as a data URI
/// above the table of the points it draws (each student's cost, quality, Pareto and pick, the teacher first).
/// </summary>
/// <remarks>
/// It implements <see cref="IHtmlContent"/>, so .NET Interactive displays it as HTML: end a cell with
/// <c>TradeoffChart.ToHtml(result.Leaderboard)</c>. The fragment is one <c>div class="mlnd mlnd-tradeoff"</c> with its own
/// scoped style sheet; names are HTML-encoded, numbers invariant-culture, an unmeasured value is <c>n/a</c>. The chart is
/// rendered once, when the report is first written.
/// </remarks>
/// <example>
/// <code language="csharp">
/// using var result = experiment.Run(train, test);
/// TradeoffChart.ToHtml(result.Leaderboard)        // a notebook cell's value, shown as an image and its table
/// </code>
/// </example>
public sealed class TradeoffChartReport : IHtmlContent
{
    private readonly Lazy<byte[]> _png;

    /// <summary>Initializes the chart report of a leaderboard.</summary>
    /// <param name="leaderboard">The leaderboard to draw.</param>
    /// <param name="width">The image's width in pixels, in [100, 10000] (default 900).</param>
    /// <param name="height">The image's height in pixels, in [100, 10000] (default 600).</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is outside [100, 10000].</exception>
    public TradeoffChartReport(Leaderboard leaderboard, int width = TradeoffChart.DefaultWidth, int height = TradeoffChart.DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(leaderboard);
        TradeoffChart.CheckSize(width, nameof(width));
        TradeoffChart.CheckSize(height, nameof(height));
        Leaderboard = leaderboard;
        Width = width;
        Height = height;
        _png = new(() => TradeoffChart.Render(leaderboard, width, height));
    }

    /// <summary>Gets the leaderboard drawn.</summary>
    public Leaderboard Leaderboard { get; }

    /// <summary>Gets the image's width in pixels.</summary>
    public int Width { get; }

    /// <summary>Gets the image's height in pixels.</summary>
    public int Height { get; }

    /// <summary>Gets the chart as PNG bytes (rendered on first use).</summary>
    public byte[] Png => _png.Value;

    /// <summary>Writes the chart and its table as an HTML fragment: one <c>div class="mlnd"</c> with its scoped style sheet.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="encoder">The encoder of every name.</param>
    public void WriteTo(TextWriter writer, HtmlEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        var c = CultureInfo.InvariantCulture;
        var board = Leaderboard;
        var html = new HtmlReportWriter(writer, encoder);
        string axis = Leaderboard.AxisName(board.CostAxis);
        html.Raw("<div class=\"mlnd mlnd-tradeoff\"><style>");
        html.Raw(Css);
        html.Raw("</style>");
        html.Element("h3", $"Trade-off: {board.QualityMetric} against {axis}");
        html.Raw("<img class=\"chart\" alt=\"");
        html.Text($"{board.QualityMetric} against {axis}, log scale, Pareto front and teacher");
        html.Raw(string.Create(c, $"\" width=\"{Width}\" height=\"{Height}\" src=\"data:image/png;base64,"));
        html.Raw(Convert.ToBase64String(Png));
        html.Raw("\">");
        html.Raw("<table class=\"tradeoff\"><thead><tr><th class=\"name\">model</th><th>");
        html.Text(axis);
        html.Raw("</th><th>");
        html.Text(board.QualityMetric);
        html.Raw("</th><th>Pareto</th><th>chosen</th></tr></thead><tbody>");
        html.Raw("<tr class=\"teacher\">");
        html.Cell("teacher", "name");
        html.Cell(board.TeacherCost is double cost ? cost.ToString("N0", c) : NotAvailable);
        html.Cell(board.QualityMetric == "agreement" ? F4(1) : F4(board.TeacherAccuracy));
        html.Cell("");
        html.Cell("");
        html.Raw("</tr>");
        foreach (var e in board.Entries.OrderBy(e => e.Cost))
        {
            html.Raw(e.Chosen ? "<tr class=\"chosen\">" : e.Pareto ? "<tr class=\"pareto\">" : "<tr>");
            html.Cell(e.Name, "name");
            html.Cell(double.IsFinite(e.Cost) ? e.Cost.ToString("N0", c) : NotAvailable);
            html.Cell(F4(board.QualityMetric == "agreement" ? e.Agreement : e.Accuracy));
            html.Cell(e.Pareto ? "yes" : "");
            html.Cell(e.Chosen ? "yes" : "");
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
