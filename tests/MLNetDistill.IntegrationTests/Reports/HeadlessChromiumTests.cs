using MLNetDistill.Reports;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Reports;

/// <summary>The HTML report as a person sees it: rendered by headless Chromium; and the checker itself, shown able to fail.</summary>
public sealed class HeadlessChromiumTests : IClassFixture<FashionComparison>, IDisposable
{
    private readonly FashionComparison _run;
    private readonly TempFolder _temp = new();

    public HeadlessChromiumTests(FashionComparison run) => _run = run;

    public void Dispose() => _temp.Dispose();

    [BrowserFact]
    public void Render_StudentSizeReportOfFashionRun_IsNotBlankAndHasNoScriptErrors()
    {
        string folder = Path.Combine(_temp.Path, "out");
        StudentSizeReport.WriteAll(_run.Ml, _run.Result, folder);
        string html = Path.Combine(folder, StudentSizeReport.ReportHtmlFileName);

        var page = HeadlessChromium.Render(html, _temp.File("report.png"));
        var ink = HeadlessChromium.Ink(page.Screenshot);
        Keep(folder, page.Screenshot);

        Assert.Equal((1200, 2000), (ink.Width, ink.Height));
        Assert.False(ink.IsBlank, $"the screenshot looks blank: {ink}");
        Assert.True(ink.InkedShare > 0.05, $"too little on the page: {ink}"); // tables, heat maps and the 900 x 600 chart
        Assert.True(ink.DistinctColors >= 20, $"too few colours for the heat maps and the chart: {ink}");
        Assert.Empty(page.ScriptErrors);
        Assert.Empty(page.ConsoleMessages); // the page has no script at all: nothing may reach the console
    }

    [BrowserFact]
    public void Render_DistillationQualityReportOfFashionStudent_IsNotBlankAndHasNoScriptErrors()
    {
        var report = _run.Result.Leaderboard.Entries[0].Quality!.ToHtmlReport(_run.Result.Leaderboard.Entries[0].Name);
        string html = _temp.Write("quality.html", $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>{report}</body></html>");

        var page = HeadlessChromium.Render(html, _temp.File("quality.png"), 1000, 1400);
        var ink = HeadlessChromium.Ink(page.Screenshot);
        if (Environment.GetEnvironmentVariable("MLNETDISTILL_REPORT_OUT") is { Length: > 0 } keep)
        {
            File.Copy(page.Screenshot, Path.Combine(keep, "quality-screenshot.png"), overwrite: true);
        }

        Assert.False(ink.IsBlank, $"the screenshot looks blank: {ink}");
        Assert.True(ink.DistinctColors >= 10, $"too few colours for the heat maps: {ink}");
        Assert.Empty(page.ConsoleMessages);
    }

    [BrowserFact]
    public void Render_PageThatThrows_ReportsTheScriptError()
    {
        string html = _temp.Write("throws.html", "<!DOCTYPE html><html><body><h1>A page</h1><p>with text</p><script>throw new Error('deliberate failure 42');</script></body></html>");

        var page = HeadlessChromium.Render(html, _temp.File("throws.png"), 800, 600);

        var error = Assert.Single(page.ScriptErrors);
        Assert.Contains("Uncaught Error: deliberate failure 42", error, StringComparison.Ordinal);
    }

    [BrowserFact]
    public void Render_EmptyPage_IsBlank()
    {
        string html = _temp.Write("empty.html", "<!DOCTYPE html><html><head><title>empty</title></head><body></body></html>");

        var page = HeadlessChromium.Render(html, _temp.File("empty.png"), 800, 600);
        var ink = HeadlessChromium.Ink(page.Screenshot);

        Assert.True(ink.IsBlank, $"an empty page should be blank: {ink}");
        Assert.Empty(page.ScriptErrors);
    }

    [Fact]
    public void Render_NoBrowserAtThePath_SaysHowToInstallIt()
    {
        string html = _temp.Write("page.html", "<p>x</p>");

        var e = Assert.Throws<InvalidOperationException>(() => HeadlessChromium.Render(html, _temp.File("x.png"), browser: "/nonexistent/chromium"));

        Assert.Contains("run .ci/run or apt-get install chromium", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SkipReason_NoBrowserNotRequired_SkipsNamingTheInstall()
    {
        string? reason = BrowserFactAttribute.SkipReason(browser: null, required: null);

        Assert.NotNull(reason);
        Assert.Contains("apt-get install chromium", reason, StringComparison.Ordinal);
        Assert.Contains(BrowserFactAttribute.RequireVariable, reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "1")]
    [InlineData("/usr/bin/chromium", null)]
    [InlineData("/usr/bin/chromium", "1")]
    public void SkipReason_BrowserFoundOrRequired_Runs(string? browser, string? required) =>
        Assert.Null(BrowserFactAttribute.SkipReason(browser, required));

    /// <summary>Copies the report and its screenshot to MLNETDISTILL_REPORT_OUT when it is set, to look at them.</summary>
    private static void Keep(string folder, string screenshot)
    {
        if (Environment.GetEnvironmentVariable("MLNETDISTILL_REPORT_OUT") is { Length: > 0 } keep)
        {
            Directory.CreateDirectory(keep);
            foreach (string name in new[] { StudentSizeReport.ReportHtmlFileName, StudentSizeReport.ChartFileName, StudentSizeReport.ReportFileName })
            {
                File.Copy(Path.Combine(folder, name), Path.Combine(keep, name), overwrite: true);
            }

            File.Copy(screenshot, Path.Combine(keep, "report-screenshot.png"), overwrite: true);
        }
    }
}
