using MLNetDistill.Evaluation;
using MLNetDistill.Experiments;

namespace MLNetDistill.Reports;

/// <summary>
/// <c>ToHtmlReport()</c> on results and evaluations: the HTML reports (<see cref="Microsoft.AspNetCore.Html.IHtmlContent"/>),
/// which .NET Interactive displays as HTML when a cell ends with one.
/// </summary>
/// <example>
/// <code language="csharp">
/// using MLNetDistill.Reports;
/// var result = experiment.Run(train, test);
/// result.ToHtmlReport()                       // the leaderboard, chart, heat maps and inheritance table
/// quality.ToHtmlReport("mlp:64")              // one evaluation
/// result.Leaderboard.ToTradeoffChart()          // the chart and its points
/// quality.Inheritance!.ToHtmlReport("mlp:64")  // the inheritance table alone
/// </code>
/// </example>
public static class HtmlReportExtensions
{
    /// <summary>The HTML report of a student-size comparison.</summary>
    /// <param name="result">The experiment's result.</param>
    /// <returns>The report.</returns>
    public static StudentSizeHtmlReport ToHtmlReport(this StudentSizeExperimentResult result) => new(result);

    /// <summary>The HTML report of a leaderboard alone (no run details).</summary>
    /// <param name="leaderboard">The leaderboard.</param>
    /// <returns>The report.</returns>
    public static StudentSizeHtmlReport ToHtmlReport(this Leaderboard leaderboard) => new(leaderboard);

    /// <summary>The HTML report of one evaluation.</summary>
    /// <param name="quality">The evaluation.</param>
    /// <param name="title">The heading (default: <c>Distillation quality</c>).</param>
    /// <returns>The report.</returns>
    public static DistillationQualityReport ToHtmlReport(this DistillationQuality quality, string? title = null) => new(quality, title);

    /// <summary>The HTML inheritance table of one evaluation's <see cref="InheritanceTable"/>.</summary>
    /// <param name="table">The table, e.g. <see cref="DistillationQuality.Inheritance"/>.</param>
    /// <param name="name">The model's name in its row (default: <c>student</c>).</param>
    /// <returns>The report.</returns>
    public static InheritanceTableReport ToHtmlReport(this InheritanceTable table, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        return new([(string.IsNullOrWhiteSpace(name) ? "student" : name, table)]);
    }

    /// <summary>The HTML inheritance table of every student on a leaderboard.</summary>
    /// <param name="leaderboard">The leaderboard.</param>
    /// <returns>The report.</returns>
    public static InheritanceTableReport ToInheritanceReport(this Leaderboard leaderboard) => InheritanceTableReport.From(leaderboard);

    /// <summary>The trade-off chart of a leaderboard as HTML (the PNG inline and the table of its points).</summary>
    /// <param name="leaderboard">The leaderboard.</param>
    /// <returns>The report.</returns>
    public static TradeoffChartReport ToTradeoffChart(this Leaderboard leaderboard) => new(leaderboard);

    /// <summary>The HTML table of one distillation run: the teacher and every student (and hard-label twin) on the same test rows.</summary>
    /// <param name="result">The run's result.</param>
    /// <param name="title">The heading (default: <c>Distillation: students against the teacher</c>).</param>
    /// <returns>The report.</returns>
    public static DistillationExperimentReport ToHtmlReport(this DistillationExperimentResult result, string? title = null) => new(result, title);

    /// <summary>A budgeted labeling run as HTML: the chart of both curves against teacher calls and their table.</summary>
    /// <param name="budget">The run's result (<see cref="DistillationExperimentResult.Budget"/>, or <see cref="BudgetedLabeling.Run"/>'s).</param>
    /// <returns>The report.</returns>
    public static BudgetCurveReport ToHtmlReport(this BudgetedLabelingResult budget) => new(budget);
}
