using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using MLNetDistill.Evaluation;
using MLNetDistill.Reports;

namespace MLNetDistill.Tests.Reports;

public sealed class InheritanceTableReportTests : IClassFixture<FashionComparison>
{
    private readonly FashionComparison _run;

    public InheritanceTableReportTests(FashionComparison run) => _run = run;

    [Fact]
    public void From_FashionLeaderboard_OneRowPerStudentWithItsCounts()
    {
        var board = _run.Result.Leaderboard;
        string html = board.ToInheritanceReport().ToString();

        Assert.StartsWith("<div class=\"mlnd mlnd-inheritance\">", html, StringComparison.Ordinal);
        var rows = Regex.Matches(html, "<tr><td class=\"name\">(?<name>[^<]*)</td><td>(?<labeled>[^<]*)</td><td>(?<mistakes>[^<]*)</td><td>(?<copied>[0-9,]+) ");
        var ordered = board.Entries.OrderBy(e => e.Cost).ToList();
        Assert.Equal(ordered.Count, rows.Count);
        for (int i = 0; i < ordered.Count; i++)
        {
            var t = ordered[i].Quality!.Inheritance!;
            Assert.Equal(ordered[i].Name, WebUtility.HtmlDecode(rows[i].Groups["name"].Value));
            Assert.Equal(t.LabeledRows.ToString("N0", CultureInfo.InvariantCulture), rows[i].Groups["labeled"].Value);
            Assert.Equal(t.TeacherMistakes.ToString("N0", CultureInfo.InvariantCulture), rows[i].Groups["mistakes"].Value);
            Assert.Equal(t.Copied.ToString("N0", CultureInfo.InvariantCulture), rows[i].Groups["copied"].Value);
        }

        // 300 labeled test rows and a 91 % teacher: the teacher makes some mistakes there, so the table is not all zeros.
        Assert.Equal(300, ordered[0].Quality!.Inheritance!.LabeledRows);
        Assert.InRange(ordered[0].Quality!.Inheritance!.TeacherMistakes, 1, 100);
    }

    [Fact]
    public void ToHtmlReport_OneTable_ShowsCountsAndShares()
    {
        var table = new InheritanceTable(LabeledRows: 100, TeacherMistakes: 10, Copied: 4, Fixed: 5, OtherMistakes: 1, NewMistakes: 9);
        string html = table.ToHtmlReport("lightgbm").ToString();

        Assert.Contains("<td class=\"name\">lightgbm</td><td>100</td><td>10</td><td>4 <span class=\"share\">(40.0 %)</span></td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>9 <span class=\"share\">(10.0 %)</span></td>", html, StringComparison.Ordinal); // 9 of the 90 rows the teacher got right
    }

    [Fact]
    public void Constructor_EmptyName_ThrowsNamingTheRow()
    {
        var ex = Assert.Throws<ArgumentException>(() => new InheritanceTableReport([("a", null), (" ", null)]));
        Assert.Contains("Row 1", ex.Message, StringComparison.Ordinal);
    }
}
