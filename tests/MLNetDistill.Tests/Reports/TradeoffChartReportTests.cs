using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Html;
using MLNetDistill.Experiments;
using MLNetDistill.Reports;
using SkiaSharp;

namespace MLNetDistill.Tests.Reports;

public sealed class TradeoffChartReportTests : IClassFixture<FashionComparison>
{
    private readonly FashionComparison _run;

    public TradeoffChartReportTests(FashionComparison run) => _run = run;

    [Fact]
    public void WriteTo_FashionRun_EmbedsTheChartPngAndOneTableRowPerPoint()
    {
        var board = _run.Result.Leaderboard;
        IHtmlContent report = board.ToTradeoffChart();
        string html = report.ToString()!;

        // The image: a data URI that decodes to the PNG TradeoffChart renders, at the default size.
        var img = Regex.Match(html, "src=\"data:image/png;base64,([^\"]+)\"");
        Assert.True(img.Success, "no inline PNG in the trade-off report");
        using var bitmap = SKBitmap.Decode(Convert.FromBase64String(img.Groups[1].Value));
        Assert.Equal((TradeoffChart.DefaultWidth, TradeoffChart.DefaultHeight), (bitmap.Width, bitmap.Height));

        // The table: the teacher first, then every student by cost with its accuracy, Pareto and chosen flags.
        var rows = Regex.Matches(html, "<tr(?: class=\"(?<cls>[a-z]+)\")?><td class=\"name\">(?<name>[^<]*)</td><td>(?<cost>[^<]*)</td><td>(?<q>[^<]*)</td>");
        Assert.Equal(board.Entries.Count + 1, rows.Count);
        Assert.Equal("teacher", rows[0].Groups["name"].Value);
        Assert.Equal(board.TeacherAccuracy.ToString("F4", CultureInfo.InvariantCulture), rows[0].Groups["q"].Value);
        var ordered = board.Entries.OrderBy(e => e.Cost).ToList();
        for (int i = 0; i < ordered.Count; i++)
        {
            var m = rows[i + 1];
            Assert.Equal(ordered[i].Name, WebUtility.HtmlDecode(m.Groups["name"].Value));
            Assert.Equal(ordered[i].Accuracy.ToString("F4", CultureInfo.InvariantCulture), m.Groups["q"].Value);
            Assert.Equal(ordered[i].Cost.ToString("N0", CultureInfo.InvariantCulture), m.Groups["cost"].Value);
            Assert.Equal(ordered[i].Chosen ? "chosen" : ordered[i].Pareto ? "pareto" : "", m.Groups["cls"].Value);
        }
    }

    [Theory]
    [InlineData(99, 600)]
    [InlineData(900, 10_001)]
    public void Constructor_SizeOutOfRange_ThrowsWithTheValue(int width, int height)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new TradeoffChartReport(_run.Result.Leaderboard, width, height));
        Assert.Contains("[100, 10000]", ex.Message, StringComparison.Ordinal);
        Assert.Contains((width == 99 ? width : height).ToString(CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteTo_HostileStudentName_IsEncoded()
    {
        var entry = new LeaderboardEntry("<script>x</script>", "s", 0.8, 0.8, 0.5, 0.9, 0.1, 1.0, 1000, null, 1000);
        string html = Leaderboard.Create([entry], LeaderboardCostAxis.Size, 0.9, 0.1, 5000).ToTradeoffChart().ToString();

        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
    }
}
