using System.Globalization;
using ScottPlot;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// augment-table over several splits of the same data: each augmentation's gain over 'none' (no augmentation) split by
/// split, its mean, smallest and largest, as a table and as a PNG (agreement gain and accuracy gain, in points).
/// </summary>
internal static class AugmentSplitSummary
{
    public static void Print(IReadOnlyList<Result> rows, int splits)
    {
        Console.WriteLine();
        Console.WriteLine($"Over {splits} splits (each figure the mean over its seeds first; gains in points against 'none' on the same split):");
        Console.WriteLine("| dataset | student | augment | mean accuracy | mean agreement | accuracy gain (min..max) | agreement gain (min..max) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var group in Groups(rows))
        {
            string accuracy = Gain(group.AccuracyGains), agreement = Gain(group.AgreementGains);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Dataset} | {group.Student} | {group.Augment} | {group.Accuracy:F4} | {group.Agreement:F4} | {accuracy} | {agreement} |"));
        }
    }

    public static void Plot(IReadOnlyList<Result> rows, int splits, string file)
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        var groups = Groups(rows).Where(g => g.Augment != "none").ToList();
        plot.Title($"Teacher-labeled augmentation: gain over no augmentation, {splits} split{(splits > 1 ? "s" : "")}");
        plot.XLabel("agreement gain with the teacher (points)");
        plot.YLabel("accuracy gain (points)");
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < groups.Count; i++)
        {
            var g = groups[i];
            var color = palette.GetColor(i);
            var points = plot.Add.ScatterPoints(g.AgreementGains, g.AccuracyGains);
            points.Color = color.WithAlpha(0.55);
            points.MarkerSize = 9;
            points.LegendText = $"{g.Student}, {g.Augment}: mean {g.AgreementGains.Average():+0.00;-0.00} / {g.AccuracyGains.Average():+0.00;-0.00}";
            var mean = plot.Add.ScatterPoints(new[] { g.AgreementGains.Average() }, new[] { g.AccuracyGains.Average() });
            mean.Color = color;
            mean.MarkerShape = MarkerShape.FilledDiamond;
            mean.MarkerSize = 16;
        }

        var zeroX = plot.Add.VerticalLine(0);
        zeroX.Color = Colors.Gray;
        var zeroY = plot.Add.HorizontalLine(0);
        zeroY.Color = Colors.Gray;
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(file, 1000, 620);
    }

    private static string Gain(double[] gains) => string.Create(CultureInfo.InvariantCulture,
        $"{gains.Average():+0.00;-0.00} ({gains.Min():+0.00;-0.00}..{gains.Max():+0.00;-0.00})");

    private static List<Group> Groups(IReadOnlyList<Result> rows)
    {
        var groups = new List<Group>();
        foreach (var key in rows.Select(r => (r.Dataset, r.Student, r.Augment)).Distinct())
        {
            var mine = rows.Where(r => (r.Dataset, r.Student, r.Augment) == key).OrderBy(r => r.Split).ToList();
            var accuracyGains = new List<double>();
            var agreementGains = new List<double>();
            foreach (var r in mine)
            {
                var none = rows.FirstOrDefault(n => n.Split == r.Split && n.Dataset == r.Dataset && n.Student == r.Student && n.Augment == "none");
                if (none is not null)
                {
                    accuracyGains.Add((r.Accuracy - none.Accuracy) * 100);
                    agreementGains.Add((r.Agreement - none.Agreement) * 100);
                }
            }

            if (accuracyGains.Count > 0)
            {
                groups.Add(new Group(key.Dataset, key.Student, key.Augment, mine.Average(r => r.Accuracy), mine.Average(r => r.Agreement), [.. accuracyGains], [.. agreementGains]));
            }
        }

        return groups;
    }

    /// <summary>One augmentation row of one split: its mean accuracy and agreement over the seeds.</summary>
    public sealed record Result(int Split, string Dataset, string Student, string Augment, double Accuracy, double Agreement);

    private sealed record Group(string Dataset, string Student, string Augment, double Accuracy, double Agreement, double[] AccuracyGains, double[] AgreementGains);
}
