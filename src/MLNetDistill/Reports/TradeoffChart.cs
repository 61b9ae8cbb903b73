using System.Globalization;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using ScottPlot;

namespace MLNetDistill.Reports;

/// <summary>
/// The trade-off chart of a <see cref="Leaderboard"/>: each student's quality against its cost on a log cost axis, the
/// Pareto front drawn as a line, the teacher as a reference point (and its accuracy minus the tolerance as the pick's bar),
/// each point labeled, the pick ringed. Rendered headless with ScottPlot in DejaVu Sans.
/// </summary>
/// <example>
/// <code language="csharp">
/// TradeoffChart.Save(result.Leaderboard, "tradeoff.png");
/// </code>
/// </example>
public static class TradeoffChart
{
    /// <summary>The default width of the image in pixels.</summary>
    public const int DefaultWidth = 900;

    /// <summary>The default height of the image in pixels.</summary>
    public const int DefaultHeight = 600;

    private const string FontName = "DejaVu Sans";

    /// <summary>Renders the chart as PNG bytes.</summary>
    /// <param name="leaderboard">The leaderboard.</param>
    /// <param name="width">The width in pixels (default 900).</param>
    /// <param name="height">The height in pixels (default 600).</param>
    /// <returns>The PNG file's bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not in [100, 10000].</exception>
    public static byte[] Render(Leaderboard leaderboard, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(leaderboard);
        CheckSize(width, nameof(width));
        CheckSize(height, nameof(height));
        bool agreement = leaderboard.QualityMetric == "agreement";
        var points = leaderboard.Entries
            .Select(e => (Entry: e, Cost: e.Cost, Quality: agreement ? e.Agreement : e.Accuracy))
            .Where(p => p.Cost > 0 && double.IsFinite(p.Cost) && double.IsFinite(p.Quality))
            .ToList();

        var plot = new Plot();
        plot.Font.Set(FontName);
        string axisName = leaderboard.CostAxis switch
        {
            LeaderboardCostAxis.Parameters => "parameters",
            LeaderboardCostAxis.Latency => "single-row latency p50 (µs, ML.NET)",
            _ => "model size (bytes)",
        };
        plot.Title(points.Count == 0 ? "Students: quality vs cost (no student has a known cost)" : $"Students: {leaderboard.QualityMetric} vs {axisName}");
        plot.XLabel($"{axisName}, log scale");
        plot.YLabel(agreement ? "agreement with the teacher (test rows)" : "accuracy (test rows)");

        var others = points.Where(p => !p.Entry.Pareto).ToList();
        if (others.Count > 0)
        {
            var dominated = plot.Add.ScatterPoints(others.Select(p => Math.Log10(p.Cost)).ToArray(), others.Select(p => p.Quality).ToArray());
            dominated.MarkerSize = 9;
            dominated.Color = Colors.Gray;
            dominated.LegendText = "dominated student";
        }

        var front = points.Where(p => p.Entry.Pareto).OrderBy(p => p.Cost).ToList();
        if (front.Count > 0)
        {
            var line = plot.Add.Scatter(front.Select(p => Math.Log10(p.Cost)).ToArray(), front.Select(p => p.Quality).ToArray());
            line.LineWidth = 2;
            line.MarkerSize = 10;
            line.Color = Colors.RoyalBlue;
            line.LegendText = "Pareto front";
        }

        if (leaderboard.TeacherCost is double teacherCost && teacherCost > 0 && double.IsFinite(leaderboard.TeacherAccuracy) && !agreement)
        {
            var teacher = plot.Add.Marker(Math.Log10(teacherCost), leaderboard.TeacherAccuracy, MarkerShape.FilledDiamond, 14);
            teacher.Color = Colors.DarkRed;
            teacher.LegendText = "teacher";
            Label(plot, "teacher", Math.Log10(teacherCost), leaderboard.TeacherAccuracy, Colors.DarkRed, leftOfPoint: true);
        }

        if (double.IsFinite(leaderboard.TeacherAccuracy) && !agreement)
        {
            double bar = leaderboard.TeacherAccuracy * (1 - leaderboard.AccuracyTolerance);
            var threshold = plot.Add.HorizontalLine(bar, 1, Colors.DarkRed.WithAlpha(0.6), LinePattern.Dashed);
            threshold.LegendText = $"teacher accuracy − {(leaderboard.AccuracyTolerance * 100).ToString("0.##", CultureInfo.InvariantCulture)} %";
        }

        if (leaderboard.Chosen is { } chosen && points.FirstOrDefault(p => p.Entry.Chosen) is { Entry: not null } pick)
        {
            var ring = plot.Add.Marker(Math.Log10(pick.Cost), pick.Quality, MarkerShape.OpenCircle, 22);
            ring.Color = Colors.ForestGreen;
            ring.LineWidth = 2;
            ring.LegendText = $"chosen: {chosen.Name}";
        }

        foreach (var p in points)
        {
            Label(plot, p.Entry.Name, Math.Log10(p.Cost), p.Quality, Colors.Black);
        }

        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => FormatCost(Math.Pow(10, v)),
        };
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Bottom.MinorTickStyle.Length = 4;
        plot.Axes.AutoScale();
        plot.Axes.Margins(0.12, 0.12);
        plot.ShowLegend(Alignment.LowerRight);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Renders the chart and writes it as a PNG file (atomically: an existing file is replaced only when the new one is complete).</summary>
    /// <param name="leaderboard">The leaderboard.</param>
    /// <param name="path">The <c>.png</c> file.</param>
    /// <param name="width">The width in pixels (default 900).</param>
    /// <param name="height">The height in pixels (default 600).</param>
    public static void Save(Leaderboard leaderboard, string path, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] png = Render(leaderboard, width, height);
        AtomicFile.Write(path, stream => stream.Write(png));
    }

    /// <summary>A cost in short form: 950, 12k, 3.4M.</summary>
    internal static string FormatCost(double value)
    {
        var c = CultureInfo.InvariantCulture;
        return value switch
        {
            >= 1e9 => (value / 1e9).ToString("0.#", c) + "G",
            >= 1e6 => (value / 1e6).ToString("0.#", c) + "M",
            >= 1e3 => (value / 1e3).ToString("0.#", c) + "k",
            _ => value.ToString("0.##", c),
        };
    }

    private static void Label(Plot plot, string text, double x, double y, Color color, bool leftOfPoint = false)
    {
        var label = plot.Add.Text(text, x, y);
        label.LabelFontName = FontName;
        label.LabelFontSize = 12;
        label.LabelFontColor = color;
        label.LabelAlignment = leftOfPoint ? Alignment.LowerRight : Alignment.LowerLeft;
        label.OffsetX = leftOfPoint ? -9 : 7;
        label.OffsetY = -5;
    }

    private static void CheckSize(int pixels, string name)
    {
        if (pixels is < 100 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(name, pixels, $"The chart's {name} must be in [100, 10000] pixels but was {pixels}.");
        }
    }
}
