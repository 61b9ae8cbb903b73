using System.Globalization;
using System.Text;
using MLNetDistill.Data;
using MLNetDistill.Experiments;

namespace MLNetDistill.Reports;

/// <summary>Writes <c>report.md</c>: the pick and why, the leaderboard table (teacher first, then students by cost), the rows used, skipped and duplicate students, and the trade-off chart.</summary>
/// <example>
/// <code language="csharp">
/// File.WriteAllText("report.md", LeaderboardMarkdown.Render(result));
/// </code>
/// </example>
public static class LeaderboardMarkdown
{
    /// <summary>The report as Markdown text.</summary>
    /// <param name="result">The experiment's result.</param>
    /// <param name="chartFile">The chart's file name to link, relative to the report, or <see langword="null"/> for none.</param>
    /// <returns>The Markdown.</returns>
    public static string Render(StudentSizeExperimentResult result, string? chartFile = StudentSizeReport.ChartFileName)
    {
        ArgumentNullException.ThrowIfNull(result);
        var c = CultureInfo.InvariantCulture;
        var board = result.Leaderboard;
        var run = result.Experiment;
        var md = new StringBuilder();
        md.Append("# Student-size comparison\n\n");
        md.Append(c, $"**Pick:** {board.Choice}\n\n");
        md.Append(c, $"Cost axis: {Leaderboard.AxisName(board.CostAxis)}; quality: {board.QualityMetric}; tolerance {(board.AccuracyTolerance * 100).ToString("0.##", c)} % of the teacher's accuracy. ");
        md.Append(c, $"{run.TrainRows:N0} training, {run.TransferRows:N0} transfer and {run.TestRows:N0} test rows{(run.TestHeldOut ? " (held out of the training data)" : "")}; the teacher scored {run.TeacherScoring.TotalRows:N0} rows once in {run.TeacherScoring.Seconds:F2} s; T = {run.Temperature.ToString(c)}, seed {run.Seed}; {result.Seconds:F1} s in all.\n\n");
        md.Append("| model | accuracy | retained | agreement | KL to teacher | log-loss | macro-F1 | bytes | parameters | train s | Pareto | chosen |\n");
        md.Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|:-:|\n");
        if (run.Teacher is { } t)
        {
            md.Append(c, $"| teacher | {F(t.Accuracy)} | 100.0 % | {F(t.Agreement)} | {F(t.KlToTeacher)} | {F(t.LogLoss)} | {F(t.MacroF1)} | {run.TeacherModelBytes:N0} | {(board.CostAxis == LeaderboardCostAxis.Parameters && board.TeacherCost is double p ? p.ToString("N0", c) : "")} | | | |\n");
        }

        foreach (var e in board.Entries.OrderBy(e => double.IsNaN(e.Cost) ? double.MaxValue : e.Cost))
        {
            md.Append(c, $"| {Cell(e.Name)} | {F(e.Accuracy)} | {(double.IsNaN(e.RetainedAccuracy) ? "" : e.RetainedAccuracy.ToString("P1", c))} | {F(e.Agreement)} | {F(e.KlToTeacher)} | {F(e.LogLoss)} | {F(e.MacroF1)} | {e.ModelBytes:N0} | {(e.Parameters is long n ? n.ToString("N0", c) : "n/a")} | {e.TrainSeconds:F1} | {(e.Pareto ? "yes" : "")} | {(e.Chosen ? "**yes**" : "")} |\n");
        }

        md.Append('\n');
        if (board.Skipped.Count > 0)
        {
            md.Append(c, $"Not trained (time budget ran out): {string.Join(", ", board.Skipped.Select(s => $"`{s}`"))}.\n\n");
        }

        if (result.Duplicates.Count > 0)
        {
            md.Append(c, $"Duplicates trained once: {string.Join(", ", result.Duplicates.Select(s => $"`{s}`"))}.\n\n");
        }

        if (board.QualityMetric == "agreement")
        {
            md.Append("The test rows have no labels: the front is drawn on agreement with the teacher, and accuracy-based figures are not measured.\n\n");
        }

        if (chartFile is not null)
        {
            md.Append(c, $"![quality vs cost]({chartFile})\n");
        }

        return md.ToString();

        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F4", c);
    }

    /// <summary>Writes the report (atomically; an existing file is replaced).</summary>
    /// <param name="result">The experiment's result.</param>
    /// <param name="path">The <c>.md</c> file.</param>
    public static void Write(StudentSizeExperimentResult result, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] text = Encoding.UTF8.GetBytes(Render(result));
        AtomicFile.Write(path, stream => stream.Write(text));
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
