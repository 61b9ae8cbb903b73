using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Html;
using MLNetDistill.Evaluation;
using MLNetDistill.Reports;

namespace MLNetDistill.Tests.Reports;

public sealed class DistillationQualityReportTests : IClassFixture<FashionComparison>
{
    private readonly DistillationQuality _quality;

    public DistillationQualityReportTests(FashionComparison run) => _quality = run.Result.Leaderboard.Entries[0].Quality!;

    [Fact]
    public void WriteTo_FashionStudent_HasTheSummaryMetrics()
    {
        string html = _quality.ToHtmlReport("sdca").ToString();

        string summary = StudentSizeHtmlReportTests.Table(html, "summary");
        var c = CultureInfo.InvariantCulture;
        Assert.Contains($"<td>{_quality.Accuracy.ToString("F4", c)}</td><td>{_quality.TeacherAccuracy.ToString("F4", c)}</td>", summary, StringComparison.Ordinal);
        Assert.Contains($"<td>{_quality.TopKAgreement.ToString("F4", c)}</td>", summary, StringComparison.Ordinal);
        Assert.Contains($"<td>{_quality.ExpectedCalibrationError.ToString("F4", c)}</td><td>{_quality.TeacherExpectedCalibrationError.ToString("F4", c)}</td>", summary, StringComparison.Ordinal);
        Assert.Contains("<h2>sdca</h2>", html, StringComparison.Ordinal);
        Assert.Contains("300 rows, 300 labeled, 10 classes.", html, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteTo_FashionStudent_HasOneRowPerClassWithAccuracyAndAgreement()
    {
        string table = StudentSizeHtmlReportTests.Table(_quality.ToHtmlReport().ToString(), "perclass");

        var rows = Regex.Matches(table, "<tr><td class=\"name\">([0-9]+)</td><td class=\"heat[^>]*>([^<]*)</td><td class=\"heat[^>]*>([^<]*)</td></tr>");
        Assert.Equal(10, rows.Count);
        for (int k = 0; k < 10; k++)
        {
            Assert.Equal(_quality.PerClassAccuracy[k].ToString("F3", CultureInfo.InvariantCulture), rows[k].Groups[2].Value);
            Assert.Equal(_quality.PerClassAgreement[k].ToString("F3", CultureInfo.InvariantCulture), rows[k].Groups[3].Value);
        }
    }

    [Fact]
    public void WriteTo_FashionStudent_CountsMatrixIsTheTeacherStudentCounts()
    {
        string table = StudentSizeHtmlReportTests.Table(_quality.ToHtmlReport().ToString(), "counts");

        long[] cells = [.. Regex.Matches(table, "<td class=\"heat[^>]*>([0-9,]+)</td>").Select(m => long.Parse(m.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture))];
        Assert.Equal(_quality.TeacherStudentCounts.SelectMany(r => r), cells);
        Assert.Equal(_quality.Rows, cells.Sum());
    }

    [Fact]
    public void WriteTo_FashionStudent_InheritanceNumbersAreTheQualitys()
    {
        string table = StudentSizeHtmlReportTests.Table(_quality.ToHtmlReport().ToString(), "inheritance");
        var t = _quality.Inheritance!;

        long[] numbers = [.. Regex.Matches(table, "<td>([0-9,]+)").Select(m => long.Parse(m.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture))];
        Assert.Equal([t.LabeledRows, t.TeacherMistakes, t.Copied, t.Fixed, t.OtherMistakes, t.NewMistakes, t.StudentMistakes], numbers);
    }

    [Fact]
    public void WriteTo_NoLabels_SaysLabelMetricsAreNotMeasured()
    {
        var unlabeled = _quality with
        {
            LabeledRows = 0, Accuracy = double.NaN, MacroF1 = double.NaN, LogLoss = double.NaN, ExpectedCalibrationError = double.NaN,
            TeacherAccuracy = double.NaN, RetainedAccuracy = double.NaN, PerClassAccuracy = [.. Enumerable.Repeat(double.NaN, 10)], Inheritance = null,
        };

        string html = unlabeled.ToHtmlReport().ToString();

        Assert.Contains("<div class=\"note unlabeled\">The rows have no labels:", html, StringComparison.Ordinal);
        Assert.Contains("<td>n/a</td><td>n/a</td>", StudentSizeHtmlReportTests.Table(html, "summary"), StringComparison.Ordinal);
        Assert.Equal(10, Regex.Matches(StudentSizeHtmlReportTests.Table(html, "perclass"), "<td class=\"heat nan\">n/a</td>").Count);
        Assert.Contains("not measured (needs labels", StudentSizeHtmlReportTests.Table(html, "inheritance"), StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", html, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteTo_TitleWithMarkup_IsEncodedThroughHtmlContentBuilder()
    {
        var builder = new HtmlContentBuilder().AppendHtml(new DistillationQualityReport(_quality, "<b>mine</b>"));

        using var writer = new StringWriter();
        builder.WriteTo(writer, HtmlEncoder.Default);

        Assert.Contains("<h2>&lt;b&gt;mine&lt;/b&gt;</h2>", writer.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("<b>mine", writer.ToString(), StringComparison.Ordinal);
    }
}
