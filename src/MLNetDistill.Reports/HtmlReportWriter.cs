using System.Globalization;
using System.Text.Encodings.Web;
using MLNetDistill.Evaluation;

namespace MLNetDistill.Reports;

/// <summary>
/// The pieces the HTML reports share: markup written as it is, user text through the given <see cref="HtmlEncoder"/>,
/// invariant-culture numbers (NaN as <c>n/a</c>), the scoped inline style sheet, heat-map cells and their legend, and the
/// inheritance table. Every selector is under <c>.mlnd</c>, so a report shown inside a notebook does not restyle the notebook.
/// </summary>
internal sealed class HtmlReportWriter(TextWriter writer, HtmlEncoder encoder)
{
    /// <summary>The text for a value that is not measured.</summary>
    public const string NotAvailable = "n/a";

    /// <summary>The style sheet, every rule scoped to <c>.mlnd</c>.</summary>
    public const string Css = """
        .mlnd{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;font-size:14px;color:#1b1f24;max-width:1180px;line-height:1.4}
        .mlnd h2{font-size:22px;margin:0.4em 0 0.3em}
        .mlnd h3{font-size:17px;margin:1.4em 0 0.4em;border-bottom:1px solid #d0d7de;padding-bottom:0.2em}
        .mlnd p{margin:0.35em 0}
        .mlnd .pick{background:#e6f4ea;border-left:4px solid #1e7d32;padding:0.5em 0.8em;margin:0.6em 0}
        .mlnd .nopick{background:#fff8e1;border-left:4px solid #b58100;padding:0.5em 0.8em;margin:0.6em 0}
        .mlnd .note{background:#eef3fb;border-left:4px solid #3b6fb6;padding:0.5em 0.8em;margin:0.6em 0}
        .mlnd table{border-collapse:collapse;margin:0.4em 0;font-size:12.5px}
        .mlnd th,.mlnd td{border:1px solid #d0d7de;padding:3px 5px;text-align:right;white-space:nowrap}
        .mlnd th{background:#f3f5f7;font-weight:600;white-space:normal;vertical-align:bottom}
        .mlnd th.name,.mlnd td.name{text-align:left;white-space:normal;min-width:10em;max-width:16em;overflow-wrap:break-word}
        .mlnd table.summary td.name{white-space:nowrap;max-width:none}
        .mlnd td.name .spec{color:#57606a;font-size:11px;font-family:"DejaVu Sans Mono",monospace;overflow-wrap:break-word}
        .mlnd .scroll{overflow-x:auto;max-width:100%}
        .mlnd tr.teacher td{background:#fbeeee;font-style:italic}
        .mlnd tr.pareto td{background:#eaf1fb}
        .mlnd tr.chosen td{background:#dcf1e0;font-weight:600}
        .mlnd .share{color:#57606a;font-size:12px}
        .mlnd td.heat{min-width:42px;text-align:center}
        .mlnd td.nan{background:#eeeeee;color:#777}
        .mlnd .legend{display:flex;align-items:center;gap:0;margin:0.3em 0 0.8em;font-size:12px}
        .mlnd .legend span{display:inline-block;padding:2px 8px;border:1px solid #d0d7de;min-width:34px;text-align:center}
        .mlnd .legend .label{border:none;padding-right:8px}
        .mlnd img.chart{max-width:100%;height:auto;border:1px solid #d0d7de}
        .mlnd .muted{color:#57606a}
        .mlnd td.muted{text-align:left;white-space:normal}
        .mlnd td.why{text-align:left;white-space:normal;min-width:8em;font-size:12px;color:#57606a}
        """;

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Writes markup as it is.</summary>
    /// <param name="html">Markup made by the report itself, never user text.</param>
    public void Raw(string html) => writer.Write(html);

    /// <summary>Writes text HTML-encoded.</summary>
    /// <param name="text">Any text (student names, specs, sentences).</param>
    public void Text(string text) => encoder.Encode(writer, text);

    /// <summary>Writes <c>&lt;tag class="..."&gt;text&lt;/tag&gt;</c> with the text encoded.</summary>
    public void Element(string tag, string text, string? cssClass = null)
    {
        writer.Write('<');
        writer.Write(tag);
        if (cssClass is not null)
        {
            writer.Write(" class=\"");
            writer.Write(cssClass);
            writer.Write('"');
        }

        writer.Write('>');
        Text(text);
        writer.Write("</");
        writer.Write(tag);
        writer.Write('>');
    }

    /// <summary>Writes a <c>&lt;td&gt;</c> with encoded text.</summary>
    public void Cell(string text, string? cssClass = null) => Element("td", text, cssClass);

    /// <summary>A metric with 4 decimals, or <c>n/a</c>.</summary>
    public static string F4(double value) => Number(value, "F4");

    /// <summary>A number in the given invariant format, or <c>n/a</c> for NaN and infinities.</summary>
    public static string Number(double value, string format) => double.IsFinite(value) ? value.ToString(format, C) : NotAvailable;

    /// <summary>A share as a percentage with one decimal (<c>12.3 %</c>), or <c>n/a</c>.</summary>
    public static string Percent(double share) => double.IsFinite(share) ? (share * 100).ToString("0.0", C) + " %" : NotAvailable;

    /// <summary>A count with thousands separators (<c>1,234</c>).</summary>
    public static string Count(long value) => value.ToString("N0", C);

    /// <summary>A share <paramref name="part"/> / <paramref name="whole"/> as a percentage, or <c>n/a</c> when the whole is 0.</summary>
    public static string Share(long part, long whole) => whole == 0 ? NotAvailable : Percent((double)part / whole);

    /// <summary>The low end of the heat scale for these values: their minimum floored to a tenth, at most 0.9 (so the scale spans at least 0.1), 0 when none is finite.</summary>
    public static double HeatLow(IEnumerable<double> values)
    {
        double low = 1;
        bool any = false;
        foreach (double v in values)
        {
            if (double.IsFinite(v))
            {
                low = Math.Min(low, v);
                any = true;
            }
        }

        return any ? Math.Clamp(Math.Floor(low * 10) / 10, 0, 0.9) : 0;
    }

    /// <summary>Writes one heat-map cell: the value in the cell, its background from the value on [<paramref name="low"/>, 1] (light to dark blue), grey <c>n/a</c> for NaN.</summary>
    /// <param name="value">A share in [0, 1], or NaN.</param>
    /// <param name="low">The scale's low end (<see cref="HeatLow"/>).</param>
    /// <param name="text">The text to show (default: the value with 3 decimals).</param>
    /// <param name="title">A tooltip, encoded.</param>
    public void HeatCell(double value, double low, string? text = null, string? title = null)
    {
        writer.Write("<td class=\"heat");
        if (!double.IsFinite(value))
        {
            writer.Write(" nan\"");
        }
        else
        {
            var (background, foreground) = HeatColors(value, low);
            writer.Write("\" style=\"background:");
            writer.Write(background);
            writer.Write(";color:");
            writer.Write(foreground);
            writer.Write('"');
        }

        if (title is not null)
        {
            writer.Write(" title=\"");
            Text(title);
            writer.Write('"');
        }

        writer.Write('>');
        Text(text ?? Number(value, "F3"));
        writer.Write("</td>");
    }

    /// <summary>Writes the heat scale's legend: five swatches from <paramref name="low"/> to 1.</summary>
    public void HeatLegend(double low, string what)
    {
        writer.Write("<div class=\"legend\"><span class=\"label\">");
        Text(what);
        writer.Write("</span>");
        for (int i = 0; i <= 4; i++)
        {
            double v = low + ((1 - low) * i / 4);
            var (background, foreground) = HeatColors(v, low);
            writer.Write(string.Create(C, $"<span style=\"background:{background};color:{foreground}\">{v.ToString("F3", C)}</span>"));
        }

        writer.Write("<span class=\"label\" style=\"padding-left:10px\">grey: n/a (no rows of the class)</span></div>");
    }

    /// <summary>The cell colours of a value: background #f7fbff (at <paramref name="low"/>) to #08519c (at 1), white text on the darker half.</summary>
    public static (string Background, string Foreground) HeatColors(double value, double low)
    {
        double t = low >= 1 ? 1 : Math.Clamp((value - low) / (1 - low), 0, 1);
        int r = (int)Math.Round(0xf7 + ((0x08 - 0xf7) * t));
        int g = (int)Math.Round(0xfb + ((0x51 - 0xfb) * t));
        int b = (int)Math.Round(0xff + ((0x9c - 0xff) * t));
        return (string.Create(C, $"#{r:x2}{g:x2}{b:x2}"), t > 0.55 ? "#ffffff" : "#1b1f24");
    }

    /// <summary>Writes the inheritance table: per model, of the teacher's mistakes how many it copied, fixed or turned into another mistake, and its new mistakes on rows the teacher got right, each with its share.</summary>
    /// <param name="rows">The models' names and tables (a <see langword="null"/> table: not measured, shown as <c>n/a</c>).</param>
    public void InheritanceTable(IReadOnlyList<(string Name, InheritanceTable? Table)> rows)
    {
        Raw("<table class=\"inheritance\"><thead><tr><th class=\"name\">model</th><th>labeled rows</th><th>teacher mistakes</th>"
            + "<th title=\"the same wrong class as the teacher; share of the teacher's mistakes\">copied</th>"
            + "<th title=\"the label where the teacher was wrong; share of the teacher's mistakes\">fixed</th>"
            + "<th title=\"a third class where the teacher was wrong; share of the teacher's mistakes\">other mistakes</th>"
            + "<th title=\"wrong where the teacher was right; share of the rows the teacher got right\">new mistakes</th>"
            + "<th title=\"copied + other + new; share of the labeled rows\">student mistakes</th></tr></thead><tbody>");
        foreach (var (name, t) in rows)
        {
            Raw("<tr>");
            Cell(name, "name");
            if (t is null)
            {
                Raw("<td colspan=\"7\" class=\"muted\">not measured (needs labels and the teacher's outputs on the test rows)</td></tr>");
                continue;
            }

            Cell(Count(t.LabeledRows));
            Cell(Count(t.TeacherMistakes));
            CountAndShare(t.Copied, t.TeacherMistakes);
            CountAndShare(t.Fixed, t.TeacherMistakes);
            CountAndShare(t.OtherMistakes, t.TeacherMistakes);
            CountAndShare(t.NewMistakes, t.LabeledRows - t.TeacherMistakes);
            CountAndShare(t.StudentMistakes, t.LabeledRows);
            Raw("</tr>");
        }

        Raw("</tbody></table>");
    }

    private void CountAndShare(long count, long whole)
    {
        Raw("<td>");
        Text(Count(count));
        Raw(" <span class=\"share\">(");
        Text(Share(count, whole));
        Raw(")</span></td>");
    }
}
