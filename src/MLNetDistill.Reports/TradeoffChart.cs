using System.Globalization;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using ScottPlot;

using LinearAxis = (double Low, double High, System.Collections.Generic.IReadOnlyList<(double Position, string Label)> Major);
using LogAxis = (double Low, double High, System.Collections.Generic.IReadOnlyList<(double Position, string Label)> Major, System.Collections.Generic.IReadOnlyList<double> Minor);

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

    /// <summary>The chart as HTML (<see cref="TradeoffChartReport"/>, an <see cref="Microsoft.AspNetCore.Html.IHtmlContent"/>): the PNG inline and the table of its points, what a notebook cell shows.</summary>
    /// <param name="leaderboard">The leaderboard.</param>
    /// <param name="width">The width in pixels (default 900).</param>
    /// <param name="height">The height in pixels (default 600).</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not in [100, 10000].</exception>
    public static TradeoffChartReport ToHtml(Leaderboard leaderboard, int width = DefaultWidth, int height = DefaultHeight) => new(leaderboard, width, height);

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

        // The teacher is drawn where its cost is known and the axis is accuracy (agreement with itself is 1 by definition).
        (double Cost, double X, double Y)? teacher = leaderboard.TeacherCost is double tc && tc > 0 && double.IsFinite(tc) && double.IsFinite(leaderboard.TeacherAccuracy) && !agreement
            ? (tc, Math.Log10(tc), leaderboard.TeacherAccuracy)
            : null;
        var plot = new Plot();
        plot.Font.Set(FontName);
        Titles(plot, leaderboard, points.Count, agreement);
        AddStudents(plot, points);
        AddTeacher(plot, leaderboard, teacher, agreement);
        AddChoice(plot, leaderboard, points);
        var (x, y) = Axes(leaderboard, points, teacher, agreement);
        AddLabels(plot, points, teacher, x, y, width, height);
        ApplyTicks(plot, x, y);
        var marks = points.Select(p => (Math.Log10(p.Cost), p.Quality)).ToList();
        if (teacher is { } t)
        {
            marks.Add((t.X, t.Y));
        }

        plot.ShowLegend(LegendCorner(marks, x.Low, x.High, y.Low, y.High));
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>The title and the axis names.</summary>
    private static void Titles(Plot plot, Leaderboard leaderboard, int points, bool agreement)
    {
        string axisName = leaderboard.CostAxis switch
        {
            LeaderboardCostAxis.Parameters => "parameters",
            LeaderboardCostAxis.Latency => "single-row latency p50 (µs, ML.NET)",
            _ => "model size",
        };
        plot.Title(points == 0 ? "Students: quality vs cost (no student has a known cost)" : $"Students: {leaderboard.QualityMetric} vs {axisName}");
        plot.XLabel($"{axisName}, log scale");
        plot.YLabel(agreement ? "agreement with the teacher (test rows)" : "accuracy (test rows)");
    }

    /// <summary>The dominated students in gray, the Pareto front as a blue line.</summary>
    private static void AddStudents(Plot plot, List<(LeaderboardEntry Entry, double Cost, double Quality)> points)
    {
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
    }

    /// <summary>The teacher's diamond and the dashed bar of its accuracy less the tolerance.</summary>
    private static void AddTeacher(Plot plot, Leaderboard leaderboard, (double Cost, double X, double Y)? teacher, bool agreement)
    {
        if (teacher is { } t)
        {
            var marker = plot.Add.Marker(t.X, t.Y, MarkerShape.FilledDiamond, 14);
            marker.Color = Colors.DarkRed;
            marker.LegendText = "teacher";
        }

        if (double.IsFinite(leaderboard.TeacherAccuracy) && !agreement)
        {
            double bar = leaderboard.TeacherAccuracy * (1 - leaderboard.AccuracyTolerance);
            var threshold = plot.Add.HorizontalLine(bar, 1, Colors.DarkRed.WithAlpha(0.6), LinePattern.Dashed);
            threshold.LegendText = $"teacher accuracy − {(leaderboard.AccuracyTolerance * 100).ToString("0.##", CultureInfo.InvariantCulture)} %";
        }
    }

    /// <summary>A green ring round the chosen student.</summary>
    private static void AddChoice(Plot plot, Leaderboard leaderboard, List<(LeaderboardEntry Entry, double Cost, double Quality)> points)
    {
        if (leaderboard.Chosen is { } chosen && points.FirstOrDefault(p => p.Entry.Chosen) is { Entry: not null } pick)
        {
            var ring = plot.Add.Marker(Math.Log10(pick.Cost), pick.Quality, MarkerShape.OpenCircle, 22);
            ring.Color = Colors.ForestGreen;
            ring.LineWidth = 2;
            ring.LegendText = $"chosen: {chosen.Name}";
        }
    }

    /// <summary>The log cost axis and the linear quality axis, wide enough for every point, the teacher and its bar.</summary>
    private static (LogAxis X, LinearAxis Y) Axes(Leaderboard leaderboard, List<(LeaderboardEntry Entry, double Cost, double Quality)> points, (double Cost, double X, double Y)? teacher, bool agreement)
    {
        var costs = points.Select(p => p.Cost).ToList();
        if (teacher is { } t)
        {
            costs.Add(t.Cost);
        }

        var qualities = points.Select(p => p.Quality).ToList();
        if (double.IsFinite(leaderboard.TeacherAccuracy) && !agreement)
        {
            qualities.Add(leaderboard.TeacherAccuracy);
            qualities.Add(leaderboard.TeacherAccuracy * (1 - leaderboard.AccuracyTolerance));
        }

        Func<double, string> costLabel = leaderboard.CostAxis switch
        {
            LeaderboardCostAxis.Size => FormatBytes,
            LeaderboardCostAxis.Latency => FormatMicroseconds,
            _ => FormatCost,
        };
        var x = LogTicks(costs.Count == 0 ? 1e3 : costs.Min(), costs.Count == 0 ? 1e6 : costs.Max(), costLabel);
        var y = LinearTicks(qualities.Count == 0 ? 0 : qualities.Min(), qualities.Count == 0 ? 1 : qualities.Max());
        return (x, y);
    }

    /// <summary>Every point's name, placed so that labels do not overlap.</summary>
    private static void AddLabels(Plot plot, List<(LeaderboardEntry Entry, double Cost, double Quality)> points, (double Cost, double X, double Y)? teacher, LogAxis x, LinearAxis y, int width, int height)
    {
        var labels = new List<(string Text, double X, double Y, Color Color)>();
        if (teacher is { } t)
        {
            labels.Add(("teacher", t.X, t.Y, Colors.DarkRed));
        }

        labels.AddRange(points.OrderBy(p => p.Cost).Select(p => (p.Entry.Name, Math.Log10(p.Cost), p.Quality, Colors.Black)));
        var placed = PlaceLabels([.. labels.Select(l => (l.Text, (l.X - x.Low) / (x.High - x.Low), (l.Y - y.Low) / (y.High - y.Low)))], width - 160, height - 120);
        for (int i = 0; i < labels.Count; i++)
        {
            Label(plot, labels[i].Text, labels[i].X, labels[i].Y, labels[i].Color, placed[i]);
        }
    }

    /// <summary>The hand-placed ticks of both axes and their limits.</summary>
    private static void ApplyTicks(Plot plot, LogAxis x, LinearAxis y)
    {
        var xTicks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var (position, text) in x.Major)
        {
            xTicks.AddMajor(position, text);
        }

        foreach (double position in x.Minor)
        {
            xTicks.AddMinor(position);
        }

        plot.Axes.Bottom.TickGenerator = xTicks;
        plot.Axes.Bottom.MinorTickStyle.Length = 4;
        var yTicks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var (position, text) in y.Major)
        {
            yTicks.AddMajor(position, text);
        }

        plot.Axes.Left.TickGenerator = yTicks;
        plot.Axes.SetLimits(x.Low, x.High, y.Low, y.High);
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

    /// <summary>A size in bytes in short decimal units: 950 B, 10 KB, 1.5 MB, 2 GB.</summary>
    internal static string FormatBytes(double bytes)
    {
        var c = CultureInfo.InvariantCulture;
        return bytes switch
        {
            >= 1e9 => (bytes / 1e9).ToString("0.#", c) + " GB",
            >= 1e6 => (bytes / 1e6).ToString("0.#", c) + " MB",
            >= 1e3 => (bytes / 1e3).ToString("0.#", c) + " KB",
            _ => bytes.ToString("0", c) + " B",
        };
    }

    /// <summary>A duration in microseconds in short units: 950 µs, 10 ms, 1.5 s.</summary>
    internal static string FormatMicroseconds(double microseconds)
    {
        var c = CultureInfo.InvariantCulture;
        return microseconds switch
        {
            >= 1e6 => (microseconds / 1e6).ToString("0.#", c) + " s",
            >= 1e3 => (microseconds / 1e3).ToString("0.#", c) + " ms",
            _ => microseconds.ToString("0.#", c) + " µs",
        };
    }

    /// <summary>
    /// The log cost axis (in log10 units): its limits, a margin around [<paramref name="min"/>, <paramref name="max"/>], major
    /// ticks at decades (and at 2 and 5 times a decade when the axis spans less than 1.5 decades) with a major tick at or
    /// before the leftmost point (the left limit moves down to it), and minor ticks at 2..9 times each decade.
    /// </summary>
    internal static (double Low, double High, IReadOnlyList<(double Position, string Label)> Major, IReadOnlyList<double> Minor) LogTicks(double min, double max, Func<double, string> label)
    {
        double lo = Math.Log10(min), hi = Math.Log10(max);
        double pad = Math.Max(0, (0.5 - (hi - lo)) / 2); // at least half a decade, so a 1-2-5 tick falls on each side
        double span = Math.Max(hi - lo, 0.5);
        double low = lo - pad - (0.08 * span) - 0.04, high = hi + pad + (0.12 * span) + 0.04;
        double[] steps = high - low < 1.5 ? [1, 2, 5] : [1];
        double firstTick = double.NegativeInfinity;
        for (int d = (int)Math.Floor(lo) - 1; d <= (int)Math.Floor(lo); d++)
        {
            foreach (double m in steps)
            {
                double t = Math.Log10(m) + d;
                if (t <= lo + 1e-9)
                {
                    firstTick = Math.Max(firstTick, t);
                }
            }
        }

        low = Math.Min(low, firstTick - (0.03 * span));
        var major = new List<(double, string)>();
        var minor = new List<double>();
        for (int d = (int)Math.Floor(low); d <= (int)Math.Ceiling(high); d++)
        {
            for (int m = 1; m <= 9; m++)
            {
                double t = Math.Log10(m) + d;
                if (t < low || t > high)
                {
                    continue;
                }

                if (Array.IndexOf(steps, (double)m) >= 0)
                {
                    major.Add((t, label(m * Math.Pow(10, d))));
                }
                else
                {
                    minor.Add(t);
                }
            }
        }

        return (low, high, major, minor);
    }

    /// <summary>The quality axis: limits with room above the points for their labels, and 4 to 8 major ticks at a 1, 2 or 5 step, labeled with the decimals the step needs.</summary>
    internal static (double Low, double High, IReadOnlyList<(double Position, string Label)> Major) LinearTicks(double min, double max)
    {
        double range = Math.Max(max - min, 0.02);
        double low = min - (0.12 * range), high = max + (0.18 * range);
        double raw = (high - low) / 6;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = magnitude * (raw / magnitude < 1.5 ? 1 : raw / magnitude < 3.5 ? 2 : raw / magnitude < 7.5 ? 5 : 10);
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        string format = "F" + decimals.ToString(CultureInfo.InvariantCulture);
        var major = new List<(double, string)>();
        for (double t = Math.Ceiling(low / step) * step; t <= high + (step * 1e-9); t += step)
        {
            double v = Math.Round(t / step) * step;
            major.Add((v, v.ToString(format, CultureInfo.InvariantCulture)));
        }

        return (low, high, major);
    }

    /// <summary>The corner of the data area whose legend box (about a third of the width, a quarter of the height) covers the fewest points and their labels; lower right on ties.</summary>
    internal static Alignment LegendCorner(IReadOnlyList<(double X, double Y)> points, double xLow, double xHigh, double yLow, double yHigh)
    {
        Alignment[] corners = [Alignment.LowerRight, Alignment.UpperRight, Alignment.LowerLeft, Alignment.UpperLeft];
        var best = corners[0];
        int fewest = int.MaxValue;
        foreach (var corner in corners)
        {
            bool right = corner is Alignment.LowerRight or Alignment.UpperRight, upper = corner is Alignment.UpperRight or Alignment.UpperLeft;
            int covered = 0;
            foreach (var (px, py) in points)
            {
                double u = (px - xLow) / (xHigh - xLow), v = (py - yLow) / (yHigh - yLow);
                // The label reaches about 0.22 of the width to the right of its point, or to the left in the right quarter.
                double from = u > 0.75 ? u - 0.22 : u, to = u > 0.75 ? u : u + 0.22;
                bool inX = right ? to > 0.62 : from < 0.38;
                bool inY = upper ? v + 0.06 > 0.70 : v < 0.30;
                covered += inX && inY ? 1 : 0;
            }

            if (covered < fewest)
            {
                (best, fewest) = (corner, covered);
            }
        }

        return best;
    }

    /// <summary>
    /// Where each point's label goes, greedily in order: above right of its point, else below right, above left, below left
    /// (left first in the right quarter of the chart), the first spot that stays inside the data area and overlaps no label
    /// placed before nor another point; when every spot is taken, above right, raised by a line at a time until free.
    /// </summary>
    /// <param name="labels">The texts and their points in data-area units ([0, 1] from left and from bottom).</param>
    /// <param name="areaWidth">The data area's width in pixels (about).</param>
    /// <param name="areaHeight">The data area's height in pixels (about).</param>
    /// <returns>Per label, its alignment to the point and the offset in pixels (y down).</returns>
    internal static IReadOnlyList<(Alignment Alignment, float OffsetX, float OffsetY)> PlaceLabels(IReadOnlyList<(string Text, double U, double V)> labels, double areaWidth, double areaHeight)
    {
        const double CharPixels = 7.4, LinePixels = 16, GapX = 7, GapY = 5, MarkerPixels = 7;
        var taken = new List<(double L, double R, double B, double T)>();
        var result = new List<(Alignment, float, float)>();
        foreach (var (text, u, v) in labels)
        {
            double w = text.Length * CharPixels / areaWidth, h = LinePixels / areaHeight, gx = GapX / areaWidth, gy = GapY / areaHeight;
            (Alignment Alignment, double L, double B, float Dx, float Dy)[] spots =
            [
                (Alignment.LowerLeft, u + gx, v + gy, (float)GapX, -(float)GapY),
                (Alignment.UpperLeft, u + gx, v - gy - h, (float)GapX, (float)GapY),
                (Alignment.LowerRight, u - gx - w, v + gy, -(float)GapX, -(float)GapY),
                (Alignment.UpperRight, u - gx - w, v - gy - h, -(float)GapX, (float)GapY),
            ];
            if (u > 0.75)
            {
                spots = [spots[2], spots[3], spots[0], spots[1]];
            }

            bool Free(double l, double b)
            {
                if (l < 0 || l + w > 1 || b < 0 || b + h > 1)
                {
                    return false;
                }

                foreach (var (tl, tr, tb, tt) in taken)
                {
                    if (l < tr && l + w > tl && b < tt && b + h > tb)
                    {
                        return false;
                    }
                }

                foreach (var (_, pu, pv) in labels)
                {
                    double mx = MarkerPixels / areaWidth, my = MarkerPixels / areaHeight;
                    if ((pu != u || pv != v) && l < pu + mx && l + w > pu - mx && b < pv + my && b + h > pv - my)
                    {
                        return false;
                    }
                }

                return true;
            }

            int found = Array.FindIndex(spots, s => Free(s.L, s.B));
            var spot = spots[Math.Max(found, 0)];
            if (found < 0)
            {
                for (int lift = 1; lift <= 6 && !Free(spot.L, spot.B); lift++)
                {
                    spot = (spot.Alignment, spot.L, spots[0].B + (lift * h), spot.Dx, spots[0].Dy - (float)(lift * LinePixels));
                }
            }

            taken.Add((spot.L, spot.L + w, spot.B, spot.B + h));
            result.Add((spot.Alignment, spot.Dx, spot.Dy));
        }

        return result;
    }

    private static void Label(Plot plot, string text, double x, double y, Color color, (Alignment Alignment, float OffsetX, float OffsetY) place)
    {
        var label = plot.Add.Text(text, x, y);
        label.LabelFontName = FontName;
        label.LabelFontSize = 12;
        label.LabelFontColor = color;
        label.LabelAlignment = place.Alignment;
        label.OffsetX = place.OffsetX;
        label.OffsetY = place.OffsetY;
    }

    internal static void CheckSize(int pixels, string name)
    {
        if (pixels is < 100 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(name, pixels, $"The chart's {name} must be in [100, 10000] pixels but was {pixels}.");
        }
    }
}
