using System.Globalization;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using ScottPlot;

namespace MLNetDistill.Reports;

/// <summary>
/// The cascade chart of a <see cref="Leaderboard"/>: for each student with a cascade, its accuracy on the test rows against
/// the share of rows sent to the teacher (the least confident first), from the student alone at 0 % to the teacher alone at
/// 100 %; the chosen threshold of each is marked, the teacher drawn at 100 % and as a dotted line. Agreement with the teacher
/// replaces accuracy when the test rows have no labels. Rendered headless with ScottPlot in DejaVu Sans.
/// </summary>
/// <example>
/// <code language="csharp">
/// if (CascadeChart.HasCascades(result.Leaderboard))
/// {
///     CascadeChart.Save(result.Leaderboard, "cascade.png");
/// }
/// </code>
/// </example>
public static class CascadeChart
{
    private const string FontName = "DejaVu Sans";

    private static readonly Color[] Palette =
    [
        Colors.RoyalBlue, Colors.DarkOrange, Colors.ForestGreen, Colors.Purple, Colors.SaddleBrown, Colors.DeepPink, Colors.Teal, Colors.Olive,
    ];

    /// <summary>Whether any entry of <paramref name="leaderboard"/> carries a cascade (<see cref="LeaderboardEntry.Cascade"/>), so there is a chart to draw.</summary>
    /// <param name="leaderboard">The leaderboard.</param>
    /// <returns><see langword="true"/> when at least one student's cascade was measured.</returns>
    public static bool HasCascades(Leaderboard leaderboard)
    {
        ArgumentNullException.ThrowIfNull(leaderboard);
        return leaderboard.Entries.Any(e => e.Cascade is not null);
    }

    /// <summary>Renders the chart as PNG bytes.</summary>
    /// <param name="leaderboard">The leaderboard; entries without a cascade are left out.</param>
    /// <param name="width">The width in pixels (default 900).</param>
    /// <param name="height">The height in pixels (default 600).</param>
    /// <returns>The PNG file's bytes.</returns>
    /// <exception cref="ArgumentException">No entry has a cascade (<see cref="HasCascades"/>): measure one with <see cref="DistillationExperimentOptions.CascadeTarget"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not in [100, 10000].</exception>
    public static byte[] Render(Leaderboard leaderboard, int width = TradeoffChart.DefaultWidth, int height = TradeoffChart.DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(leaderboard);
        TradeoffChart.CheckSize(width, nameof(width));
        TradeoffChart.CheckSize(height, nameof(height));
        var entries = leaderboard.Entries.Where(e => e.Cascade is not null).ToList();
        if (entries.Count == 0)
        {
            throw new ArgumentException("No student has a cascade to draw: set DistillationExperimentOptions.CascadeTarget (or StudentSizeExperiment.SetCascadeTarget) before the run.", nameof(leaderboard));
        }

        bool agreement = entries.All(e => e.Cascade!.Curve.All(p => p.Accuracy is null));
        var plot = new Plot();
        plot.Font.Set(FontName);
        string quality = agreement ? "agreement with the teacher" : "accuracy";
        plot.Title($"Cascades: {quality} against the share of rows sent to the teacher");
        plot.XLabel("rows sent to the teacher (least confident first), % of the test rows");
        plot.YLabel(agreement ? "agreement with the teacher (test rows)" : "accuracy (test rows)");
        var qualities = new List<double>();
        var marks = new List<(double X, double Y)>();
        for (int i = 0; i < entries.Count; i++)
        {
            var cascade = entries[i].Cascade!;
            var color = Palette[i % Palette.Length];
            double[] xs = [.. cascade.Curve.Select(p => p.DeferredShare * 100)];
            double[] ys = [.. cascade.Curve.Select(p => agreement ? p.Agreement : p.Accuracy ?? double.NaN)];
            var line = plot.Add.Scatter(xs, ys);
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 4;
            line.LegendText = $"{entries[i].Name} ({DistillationCascadeReport.RuleName(cascade.Rule)})";
            double chosen = agreement ? cascade.Agreement : cascade.Accuracy ?? double.NaN;
            var mark = plot.Add.Marker(cascade.DeferredShare * 100, chosen, MarkerShape.FilledCircle, 12);
            mark.Color = color;
            qualities.AddRange(ys.Where(double.IsFinite));
            marks.AddRange(xs.Zip(ys));
        }

        var chosenLegend = plot.Add.Marker(double.NaN, double.NaN, MarkerShape.FilledCircle, 10);
        chosenLegend.Color = Colors.Black;
        chosenLegend.LegendText = "threshold chosen on held-out rows";
        if (!agreement && double.IsFinite(leaderboard.TeacherAccuracy))
        {
            var teacher = plot.Add.Marker(100, leaderboard.TeacherAccuracy, MarkerShape.FilledDiamond, 14);
            teacher.Color = Colors.DarkRed;
            teacher.LegendText = string.Create(CultureInfo.InvariantCulture, $"teacher alone ({leaderboard.TeacherAccuracy:F4})");
            plot.Add.HorizontalLine(leaderboard.TeacherAccuracy, 1, Colors.DarkRed.WithAlpha(0.5), LinePattern.Dotted);
            qualities.Add(leaderboard.TeacherAccuracy);
            marks.Add((100, leaderboard.TeacherAccuracy));
        }

        var y = TradeoffChart.LinearTicks(qualities.Count == 0 ? 0 : qualities.Min(), qualities.Count == 0 ? 1 : qualities.Max());
        var xTicks = new ScottPlot.TickGenerators.NumericManual();
        for (int share = 0; share <= 100; share += 10)
        {
            xTicks.AddMajor(share, share.ToString(CultureInfo.InvariantCulture) + " %");
        }

        plot.Axes.Bottom.TickGenerator = xTicks;
        var yTicks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var (position, text) in y.Major)
        {
            yTicks.AddMajor(position, text);
        }

        plot.Axes.Left.TickGenerator = yTicks;
        plot.Axes.SetLimits(-3, 103, y.Low, y.High);
        plot.ShowLegend(TradeoffChart.LegendCorner(marks, -3, 103, y.Low, y.High));
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Renders the chart and writes it as a PNG file (atomically: an existing file is replaced only when the new one is complete).</summary>
    /// <param name="leaderboard">The leaderboard.</param>
    /// <param name="path">The <c>.png</c> file.</param>
    /// <param name="width">The width in pixels (default 900).</param>
    /// <param name="height">The height in pixels (default 600).</param>
    public static void Save(Leaderboard leaderboard, string path, int width = TradeoffChart.DefaultWidth, int height = TradeoffChart.DefaultHeight)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] png = Render(leaderboard, width, height);
        AtomicFile.Write(path, stream => stream.Write(png));
    }
}
