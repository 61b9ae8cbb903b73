using System.Globalization;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;
using MLNetDistill.Evaluation;
using MLNetDistill.Experiments;
using static MLNetDistill.Reports.HtmlReportWriter;

namespace MLNetDistill.Reports;

/// <summary>
/// One or more <see cref="InheritanceTable"/>s as an HTML table: per model, of the teacher's mistakes how many it copied,
/// fixed or turned into another mistake, and its new mistakes where the teacher was right, each with its share.
/// </summary>
/// <remarks>
/// It implements <see cref="IHtmlContent"/>, so .NET Interactive displays it as HTML: end a cell with
/// <c>quality.Inheritance!.ToHtmlReport("lightgbm")</c> or <c>result.Leaderboard.ToInheritanceReport()</c>. The fragment
/// is one <c>div class="mlnd mlnd-inheritance"</c> with its own scoped style sheet; names are HTML-encoded; a model
/// without a table (no labels) shows <c>not measured</c>.
/// </remarks>
/// <example>
/// <code language="csharp">
/// var q = mlContext.MulticlassClassification.EvaluateDistillation(student.Transform(scoredTest));
/// new InheritanceTableReport([("lightgbm", q.Inheritance)])    // a notebook cell's value, shown as HTML
/// </code>
/// </example>
public sealed class InheritanceTableReport : IHtmlContent
{
    /// <summary>Initializes the report of the given models' tables.</summary>
    /// <param name="rows">Each model's name and table (<see langword="null"/>: not measured).</param>
    /// <exception cref="ArgumentException">A name is empty.</exception>
    public InheritanceTableReport(IEnumerable<(string Name, InheritanceTable? Table)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var copy = new List<(string, InheritanceTable?)>();
        foreach (var (name, table) in rows)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentException($"Row {copy.Count} of the inheritance report has an empty model name '{name}': give each model a name, e.g. its student spec.", nameof(rows));
            }

            copy.Add((name, table));
        }

        Rows = copy;
    }

    /// <summary>Gets the models' names and tables, in the order shown.</summary>
    public IReadOnlyList<(string Name, InheritanceTable? Table)> Rows { get; }

    /// <summary>The report of every student on a leaderboard, by cost (entries without quality metrics show <c>not measured</c>).</summary>
    /// <param name="leaderboard">The leaderboard.</param>
    /// <returns>The report.</returns>
    public static InheritanceTableReport From(Leaderboard leaderboard)
    {
        ArgumentNullException.ThrowIfNull(leaderboard);
        var rows = new List<(string, InheritanceTable?)>(leaderboard.Entries.Count);
        foreach (var e in leaderboard.Entries.OrderBy(e => e.Cost))
        {
            rows.Add((e.Name, e.Quality?.Inheritance));
        }

        return new InheritanceTableReport(rows);
    }

    /// <summary>Writes the table as an HTML fragment: one <c>div class="mlnd"</c> with its scoped style sheet.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="encoder">The encoder of every name.</param>
    public void WriteTo(TextWriter writer, HtmlEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        var html = new HtmlReportWriter(writer, encoder);
        html.Raw("<div class=\"mlnd mlnd-inheritance\"><style>");
        html.Raw(Css);
        html.Raw("</style><h3>Inheritance of the teacher's mistakes</h3>");
        html.InheritanceTable(Rows);
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
}
