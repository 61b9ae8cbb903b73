using MLNetDistill.Reports;
using MLNetDistill.Tests.Experiments;

namespace MLNetDistill.Tests.Reports;

/// <summary><c>report.md</c> of a latency-axis run: latency in both forms, top-3 agreement, ECE and the inheritance of the teacher's mistakes.</summary>
[Collection(LatencyRunCollection.Name)]
public sealed class LeaderboardMarkdownTests(LatencyRun run)
{
    private string[] Lines => LeaderboardMarkdown.Render(run.Result).Split('\n');

    [Fact]
    public void Render_LatencyRun_ServingCostTableHasTeacherAndEveryStudentInBothForms()
    {
        var lines = Lines;
        int table = Array.IndexOf(lines, "## Serving cost");
        Assert.True(table > 0);
        var rows = lines.Skip(table).SkipWhile(l => !l.StartsWith("| model | p50 µs", StringComparison.Ordinal)).Skip(2).TakeWhile(l => l.StartsWith('|')).ToList();

        Assert.Equal(1 + run.Result.Leaderboard.Entries.Count, rows.Count);
        Assert.StartsWith("| teacher | ", rows[0], StringComparison.Ordinal);
        var sdca = rows.Single(r => r.StartsWith("| sdca | ", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
        Assert.Equal(run.Entry("sdca").LatencyP50Microseconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture), sdca[2]);
        Assert.Equal(run.Entry("sdca").OnnxLatencyP50Microseconds!.Value.ToString("F1", System.Globalization.CultureInfo.InvariantCulture), sdca[5]);
        var custom = rows.Single(r => r.StartsWith($"| {LatencyRun.CustomStudent} | ", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
        Assert.Equal("n/a", custom[5]);
        Assert.StartsWith("does not convert: ", custom[10], StringComparison.Ordinal);
    }

    [Fact]
    public void Render_LatencyRun_QualityDetailHasTopKAgreementEceAndInheritance()
    {
        var lines = Lines;
        var entry = run.Entry("sdca");
        var q = entry.Quality!;

        var row = lines.Single(l => l.StartsWith("| sdca | top-3 ", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);

        Assert.Equal("top-3 " + q.TopKAgreement.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), row[2]);
        Assert.Equal(q.ExpectedCalibrationError.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), row[3]);
        Assert.Equal(q.Inheritance!.TeacherMistakes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), row[5]);
        Assert.Contains(lines, l => l.StartsWith($"- `sdca`: of the teacher's {q.Inheritance.TeacherMistakes:N0} mistakes it copies {q.Inheritance.Copied:N0}", StringComparison.Ordinal));
    }
}
