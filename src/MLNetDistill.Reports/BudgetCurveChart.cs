using System.Globalization;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using ScottPlot;

namespace MLNetDistill.Reports;

/// <summary>
/// The curves of a budgeted labeling run (<see cref="BudgetedLabelingResult"/>): the student's agreement with the teacher
/// and its accuracy against the teacher calls spent, for the rows its strategy chose (solid, blue) and for as many random
/// rows (solid, gray; accuracy dashed). Rendered headless with ScottPlot in DejaVu Sans.
/// </summary>
/// <example>
/// <code language="csharp">
/// BudgetCurveChart.Save(result.Budget!, "budget.png");
/// </code>
/// </example>
public static class BudgetCurveChart
{
    /// <summary>The default width of the image in pixels.</summary>
    public const int DefaultWidth = 900;

    /// <summary>The default height of the image in pixels.</summary>
    public const int DefaultHeight = 560;

    /// <summary>The curves as HTML (<see cref="BudgetCurveReport"/>): the PNG inline and the table of its points.</summary>
    /// <param name="budget">The run's result.</param>
    /// <param name="width">The width in pixels (default 900).</param>
    /// <param name="height">The height in pixels (default 560).</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not in [100, 10000].</exception>
    public static BudgetCurveReport ToHtml(BudgetedLabelingResult budget, int width = DefaultWidth, int height = DefaultHeight) => new(budget, width, height);

    /// <summary>Renders the curves as PNG bytes.</summary>
    /// <param name="budget">The run's result.</param>
    /// <param name="width">The width in pixels (default 900).</param>
    /// <param name="height">The height in pixels (default 560).</param>
    /// <returns>The PNG file's bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not in [100, 10000].</exception>
    public static byte[] Render(BudgetedLabelingResult budget, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(budget);
        TradeoffChart.CheckSize(width, nameof(width));
        TradeoffChart.CheckSize(height, nameof(height));
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title($"Budgeted labeling: {budget.Strategy} against random rows ({budget.Student}, pool of {budget.PoolRows.ToString("N0", CultureInfo.InvariantCulture)})");
        plot.XLabel("teacher calls (pool rows labeled for the student)");
        plot.YLabel("agreement (solid), accuracy (dashed): test rows");
        bool random = budget.Random.Count > 0 && !ReferenceEquals(budget.Random, budget.Curve);
        var values = new List<double>();
        Line(plot, budget.Curve, p => p.Agreement, Colors.RoyalBlue, LinePattern.Solid, $"{budget.Strategy}: agreement", values);
        Line(plot, budget.Curve, p => p.Accuracy, Colors.RoyalBlue, LinePattern.Dashed, $"{budget.Strategy}: accuracy", values);
        if (random)
        {
            Line(plot, budget.Random, p => p.Agreement, Colors.Gray, LinePattern.Solid, "random: agreement", values);
            Line(plot, budget.Random, p => p.Accuracy, Colors.Gray, LinePattern.Dashed, "random: accuracy", values);
        }

        var y = TradeoffChart.LinearTicks(values.Count == 0 ? 0 : values.Min(), values.Count == 0 ? 1 : values.Max());
        var yTicks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var (position, text) in y.Major)
        {
            yTicks.AddMajor(position, text);
        }

        plot.Axes.Left.TickGenerator = yTicks;
        double xMax = Math.Max(1, budget.Curve.Count == 0 ? 1 : budget.Curve[^1].Bought);
        plot.Axes.SetLimits(-0.03 * xMax, 1.05 * xMax, y.Low, y.High);
        plot.ShowLegend(Alignment.LowerRight);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Renders the curves and writes them as a PNG file (atomically: an existing file is replaced only when the new one is complete).</summary>
    /// <param name="budget">The run's result.</param>
    /// <param name="path">The <c>.png</c> file.</param>
    /// <param name="width">The width in pixels (default 900).</param>
    /// <param name="height">The height in pixels (default 560).</param>
    public static void Save(BudgetedLabelingResult budget, string path, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] png = Render(budget, width, height);
        AtomicFile.Write(path, stream => stream.Write(png));
    }

    private static void Line(Plot plot, IReadOnlyList<BudgetCurvePoint> curve, Func<BudgetCurvePoint, double> value, Color color, LinePattern pattern, string legend, List<double> values)
    {
        var points = curve.Where(p => double.IsFinite(value(p))).ToList();
        if (points.Count == 0)
        {
            return;
        }

        var line = plot.Add.Scatter(points.Select(p => (double)p.Bought).ToArray(), points.Select(value).ToArray());
        line.Color = color;
        line.LinePattern = pattern;
        line.LineWidth = 2;
        line.MarkerSize = 7;
        line.LegendText = legend;
        values.AddRange(points.Select(value));
    }
}
