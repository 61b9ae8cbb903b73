using System.Globalization;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Html;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Reports;
using SkiaSharp;

namespace MLNetDistill.Tests.Reports;

public sealed class StudentSizeHtmlReportTests : IClassFixture<FashionComparison>
{
    private readonly FashionComparison _run;

    public StudentSizeHtmlReportTests(FashionComparison run) => _run = run;

    private static LeaderboardEntry Entry(string name, double accuracy, double cost, double agreement = 0.9) =>
        new(name, name, accuracy, accuracy, 0.5, agreement, 0.1, 1.0, (long)cost, null, cost);

    [Fact]
    public void WriteTo_FashionRun_HasTheTeacherAndOneRowPerStudent()
    {
        string html = _run.Result.ToHtmlReport().ToString();

        string table = Table(html, "leaderboard");
        Assert.Single(Regex.Matches(table, "<tr class=\"teacher\">"));
        var rows = Regex.Matches(table, "<tr class=\"student[^\"]*\"><td class=\"name\">([^<]*)");
        Assert.Equal(_run.Result.Leaderboard.Entries.OrderBy(e => e.Cost).Select(e => e.Name), rows.Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)));
        foreach (var e in _run.Result.Leaderboard.Entries)
        {
            Assert.Contains($"<td>{e.Accuracy.ToString("F4", CultureInfo.InvariantCulture)}</td>", table, StringComparison.Ordinal);
            Assert.Contains($"<td>{e.ModelBytes.ToString("N0", CultureInfo.InvariantCulture)}</td>", table, StringComparison.Ordinal);
        }

        Assert.Contains(HtmlEncoder.Default.Encode(_run.Result.Leaderboard.Choice), html, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"student pareto\">", table, StringComparison.Ordinal);
        Assert.Equal(_run.Result.Leaderboard.Chosen is null ? 0 : 1, Regex.Matches(table, "class=\"student chosen\"").Count);
    }

    [Fact]
    public void WriteTo_FashionRun_HasOneHeatCellPerStudentAndClass()
    {
        string html = _run.Result.ToHtmlReport().ToString();
        var entries = _run.Result.Leaderboard.Entries;

        foreach (string map in new[] { "heatmap agreement", "heatmap accuracy" })
        {
            string table = Table(html, map);
            Assert.Equal(entries.Count * 10, Regex.Matches(table, "<td class=\"heat").Count);
        }

        // The cell of each student and class holds its per-class agreement.
        string agreement = Table(html, "heatmap agreement");
        foreach (var e in entries)
        {
            for (int k = 0; k < 10; k++)
            {
                string cell = e.Quality!.PerClassAgreement[k].ToString("F3", CultureInfo.InvariantCulture);
                string title = HtmlEncoder.Default.Encode($"{e.Name}, class {k}: agreement {e.Quality.PerClassAgreement[k].ToString("F4", CultureInfo.InvariantCulture)}");
                Assert.Contains($"title=\"{title}\">{cell}</td>", agreement, StringComparison.Ordinal);
            }
        }

        Assert.Contains("<div class=\"legend\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteTo_FashionRun_InheritanceNumbersAreTheEntries()
    {
        string table = Table(_run.Result.ToHtmlReport().ToString(), "inheritance");

        var rows = Regex.Matches(table, "<tr><td class=\"name\">([^<]*)</td>(.*?)</tr>");
        Assert.Equal(_run.Result.Leaderboard.Entries.Count, rows.Count);
        foreach (Match row in rows)
        {
            var t = _run.Result.Leaderboard.Entries.Single(e => e.Name == WebUtility.HtmlDecode(row.Groups[1].Value)).Quality!.Inheritance!;
            long[] numbers = [.. Regex.Matches(row.Groups[2].Value, "<td>([0-9,]+)").Select(m => long.Parse(m.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture))];
            Assert.Equal([t.LabeledRows, t.TeacherMistakes, t.Copied, t.Fixed, t.OtherMistakes, t.NewMistakes, t.StudentMistakes], numbers);
            Assert.Contains($"({(100.0 * t.Copied / t.TeacherMistakes).ToString("0.0", CultureInfo.InvariantCulture)} %)", row.Value, StringComparison.Ordinal);
        }

        Assert.Equal(300, _run.Result.Leaderboard.Entries[0].Quality!.Inheritance!.LabeledRows);
    }

    [Fact]
    public void WriteTo_FashionRun_EmbedsTheChartAsAPngDataUri()
    {
        string html = _run.Result.ToHtmlReport().ToString();

        var uri = Assert.Single(Regex.Matches(html, "src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\""));
        byte[] png = Convert.FromBase64String(uri.Groups[1].Value);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((TradeoffChart.DefaultWidth, TradeoffChart.DefaultHeight), (bitmap.Width, bitmap.Height));
    }

    [Fact]
    public void WriteDocument_FashionRun_IsSelfContained()
    {
        using var writer = new StringWriter();
        _run.Result.ToHtmlReport().WriteDocument(writer, HtmlEncoder.Default);
        string html = writer.ToString();

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<meta charset=\"utf-8\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void WriteTo_StudentNameWithScript_IsEncoded()
    {
        var board = Leaderboard.Create([Entry("<script>alert('x')</script>", 0.8, 1000), Entry("a & b \"quoted\"", 0.85, 2000)], LeaderboardCostAxis.Size, 0.9, 0.1, 5000);

        string html = board.ToHtmlReport().ToString();

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("a & b", html, StringComparison.Ordinal);
        Assert.Contains("a &amp; b &quot;quoted&quot;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteTo_AgreementOnlyLeaderboard_SaysAccuracyIsNotMeasuredAndNoPick()
    {
        var board = Leaderboard.Create([Entry("sdca", double.NaN, 1000, 0.8), Entry("mlp:32", double.NaN, 2000, 0.9)], LeaderboardCostAxis.Size, double.NaN, 0.02);

        string html = board.ToHtmlReport().ToString();

        Assert.Equal("agreement", board.QualityMetric);
        Assert.Contains("<div class=\"note unlabeled\"><b>The test rows have no labels.</b>", html, StringComparison.Ordinal);
        Assert.Contains("Accuracy is not measured (n/a), the students are ranked and the Pareto front is drawn on agreement with the teacher, and no student is picked.", html, StringComparison.Ordinal);
        Assert.Contains("<td>n/a</td>", Table(html, "leaderboard"), StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"pick\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteTo_RealRunWithUnlabeledTestRows_StatesAgreementOnly()
    {
        var ml = new MLContext(seed: 0);
        var all = IdxReader.Load(TestPaths.FashionImages);
        var test = ml.Data.TakeRows(ml.Data.SkipRows(all, 800), 200);
        var unlabeled = ml.Transforms.DropColumns("Label").Fit(test).Transform(test);
        using var result = new StudentSizeExperiment(ml).SetTeacher(TestPaths.FashionTeacher).AddStudents("sdca:iterations=5").Run(ml.Data.TakeRows(all, 800), unlabeled);

        string html = result.ToHtmlReport().ToString();

        Assert.Equal("agreement", result.Leaderboard.QualityMetric);
        Assert.Contains("<div class=\"note unlabeled\">", html, StringComparison.Ordinal);
        Assert.Contains("not measured (needs labels", Table(html, "inheritance"), StringComparison.Ordinal);
        Assert.DoesNotContain("<table class=\"heatmap accuracy\">", html, StringComparison.Ordinal);
        Assert.Equal(10, Regex.Matches(Table(html, "heatmap agreement"), "<td class=\"heat").Count);
    }

    [Fact]
    public void WriteTo_ThroughHtmlContentBuilder_WritesTheSameFragment()
    {
        var report = _run.Result.ToHtmlReport();
        var builder = new HtmlContentBuilder();
        builder.AppendHtml(report);

        using var writer = new StringWriter();
        builder.WriteTo(writer, HtmlEncoder.Default);

        Assert.Equal(report.ToString(), writer.ToString());
        Assert.StartsWith("<div class=\"mlnd mlnd-student-size\"><style>", writer.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("</div>", writer.ToString(), StringComparison.Ordinal);
        Assert.IsAssignableFrom<IHtmlContent>(report);
    }

    [Fact]
    public void WriteTo_NaNMetricAndGermanCulture_ShowsNaAndInvariantNumbers()
    {
        var board = Leaderboard.Create([Entry("sdca", 0.8125, 1234) with { LogLoss = double.NaN }], LeaderboardCostAxis.Size, 0.9, 0.1);
        var culture = CultureInfo.CurrentCulture;
        string html;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            html = board.ToHtmlReport().ToString();
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }

        string table = Table(html, "leaderboard");
        Assert.Contains("<td>0.8125</td>", table, StringComparison.Ordinal);
        Assert.Contains("<td>1,234</td>", table, StringComparison.Ordinal);
        Assert.Contains("<td>n/a</td>", table, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", html, StringComparison.Ordinal);
        Assert.Contains("No per-class detail", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_FashionRun_WritesTheDocumentAsUtf8()
    {
        string path = TestPaths.TempFile(".html");
        try
        {
            var report = new StudentSizeHtmlReport(_run.Result);
            report.Save(path);

            using var writer = new StringWriter();
            report.WriteDocument(writer, HtmlEncoder.Default);
            Assert.Equal(writer.ToString(), File.ReadAllText(path));
            Assert.NotEqual(0xEF, File.ReadAllBytes(path)[0]); // no byte-order mark
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WriteTo_NoStudentTrained_ListsTheSkippedAndSaysNoneWasTrained()
    {
        var board = Leaderboard.Create([], LeaderboardCostAxis.Size, 0.9, 0.02, skipped: ["sdca", "mlp:<64>"]);

        string html = board.ToHtmlReport().ToString();

        Assert.Contains("<p class=\"skipped\"><b>Not trained</b> (the time budget ran out): sdca, mlp:&lt;64&gt;</p>", html, StringComparison.Ordinal);
        Assert.Contains("No student was trained.", html, StringComparison.Ordinal);
        Assert.Empty(Regex.Matches(Table(html, "leaderboard"), "<tr class=\"student"));
    }

    [Fact]
    public void WriteTo_SweepEntry_ShowsTemperatureAlphaAndFrontInItsRow()
    {
        var board = Leaderboard.Create([Entry("sdca@T=4,alpha=0.9", 0.85, 1000) with { Temperature = 4, Alpha = 0.9f }, Entry("logit", 0.8, 2000)], LeaderboardCostAxis.Size, 0.86, 0.02);

        string table = Table(board.ToHtmlReport().ToString(), "leaderboard");

        Assert.Contains(">T</th>", table, StringComparison.Ordinal);
        Assert.Contains(">alpha</th>", table, StringComparison.Ordinal);
        Assert.Matches("<tr class=\"student chosen\"><td class=\"name\">sdca@T=4,alpha=0.9</td>.*<td>4</td><td>0.9</td><td>1.00</td><td>Pareto, pick</td></tr>", table);
        Assert.Matches("<tr class=\"student\"><td class=\"name\">logit</td>.*<td></td><td></td><td>1.00</td><td></td></tr>", table);
    }

    [Fact]
    public void WriteTo_FashionRun_ServingCostTableHasEachModelsLatency()
    {
        string table = Table(_run.Result.ToHtmlReport().ToString(), "serving");
        var c = CultureInfo.InvariantCulture;

        Assert.Single(Regex.Matches(table, "<tr class=\"teacher\">"));
        Assert.Contains($"<td>{_run.Result.Leaderboard.TeacherCostDetail!.LatencyP50Microseconds.ToString("F1", c)}</td>", table, StringComparison.Ordinal);
        foreach (var e in _run.Result.Leaderboard.Entries)
        {
            Assert.True(double.IsFinite(e.LatencyP50Microseconds), e.Name);
            Assert.Matches($"<td class=\"name\">{Regex.Escape(HtmlEncoder.Default.Encode(e.Name))}</td><td>{Regex.Escape(e.LatencyP50Microseconds.ToString("F1", c))}</td><td>{Regex.Escape(e.LatencyP99Microseconds.ToString("F1", c))}</td>", table);
            Assert.Contains($"<td>{e.SizeReduction.ToString("0.0", c)}x</td>", table, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(LeaderboardCostAxis.Size, false)]
    [InlineData(LeaderboardCostAxis.Parameters, false)]
    [InlineData(LeaderboardCostAxis.Latency, true)]
    public void WriteTo_CostAxis_CostColumnOnlyWhereItIsNotAnotherColumnAgain(LeaderboardCostAxis axis, bool hasCostColumn)
    {
        string html = Leaderboard.Create([Entry("sdca", 0.8, 1000)], axis, 0.9, 0.1).ToHtmlReport().ToString();

        Assert.Equal(hasCostColumn, html.Contains(">cost</th>", StringComparison.Ordinal));
        Assert.Contains(">bytes</th>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteTo_LeaderboardWithoutLatency_SaysItWasNotMeasured()
    {
        string html = Leaderboard.Create([Entry("sdca", 0.8, 1000)], LeaderboardCostAxis.Size, 0.9, 0.1).ToHtmlReport().ToString();

        Assert.Contains("<p class=\"muted latency-not-measured\">Latency was not measured (MeasureLatency is false).</p>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<table class=\"serving\">", html, StringComparison.Ordinal);
    }

    /// <summary>The table whose class attribute is <paramref name="cssClass"/>, from its start tag to its end tag.</summary>
    internal static string Table(string html, string cssClass)
    {
        int start = html.IndexOf($"<table class=\"{cssClass}\">", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no table of class '{cssClass}'");
        int end = html.IndexOf("</table>", start, StringComparison.Ordinal);
        return html[start..end];
    }
}
