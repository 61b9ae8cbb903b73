using MLNetDistill.Experiments;
using MLNetDistill.Reports;
using SkiaSharp;

namespace MLNetDistill.Tests.Reports;

public sealed class TradeoffChartTests
{
    private static LeaderboardEntry Entry(string name, double accuracy, double cost) =>
        new(name, name, accuracy, accuracy, 0.5, accuracy, 0.1, 1.0, (long)cost, null, cost);

    [Fact]
    public void Render_FourStudentsAndTeacher_GivesAPngOfTheSizeAsked()
    {
        var board = Leaderboard.Create([Entry("sdca", 0.80, 63_000), Entry("lightgbm:trees=20", 0.84, 210_000), Entry("mlp:32", 0.86, 102_000), Entry("mlp:256", 0.88, 815_000)],
            LeaderboardCostAxis.Size, teacherAccuracy: 0.90, accuracyTolerance: 0.03, teacherCost: 9_600_000);

        byte[] png = TradeoffChart.Render(board, 800, 500);

        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((800, 500), (bitmap.Width, bitmap.Height));
        // Not blank: many pixels differ from the background.
        var background = bitmap.GetPixel(2, 2);
        int inked = 0;
        for (int y = 0; y < bitmap.Height; y += 4)
        {
            for (int x = 0; x < bitmap.Width; x += 4)
            {
                inked += bitmap.GetPixel(x, y) != background ? 1 : 0;
            }
        }

        Assert.True(inked > 500, $"{inked} inked pixels of {bitmap.Width * bitmap.Height / 16} sampled");
    }

    [Fact]
    public void Render_NoEntries_StillRenders()
    {
        var board = Leaderboard.Create([], LeaderboardCostAxis.Size, 0.9, 0.02, skipped: ["sdca"]);

        Assert.True(TradeoffChart.Render(board).Length > 1000);
    }

    [Theory]
    [InlineData(950, "950")]
    [InlineData(12_000, "12k")]
    [InlineData(3_400_000, "3.4M")]
    public void FormatCost_Value_IsShort(double value, string expected) => Assert.Equal(expected, TradeoffChart.FormatCost(value));

    [Fact]
    public void Render_TooSmall_ThrowsNamingTheDimension()
    {
        var board = Leaderboard.Create([], LeaderboardCostAxis.Size, 0.9, 0.02);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TradeoffChart.Render(board, 10, 500));
        Assert.Equal("width", e.ParamName);
    }

    [Fact]
    public void LogTicks_SizesFrom12KbTo1_7Mb_AreDecadesInBytes()
    {
        var ticks = TradeoffChart.LogTicks(12_093, 1_725_379, TradeoffChart.FormatBytes);

        Assert.Equal(["10 KB", "100 KB", "1 MB"], ticks.Major.Select(t => t.Label));
        Assert.Equal(8 * 2, ticks.Minor.Count(t => t > 4 && t < 6)); // 2..9 times 10 KB and 100 KB
        Assert.InRange(ticks.High, Math.Log10(1_725_379), 7); // the axis ends before 10 MB
    }

    [Theory]
    [InlineData(12_093, 1_725_379)]
    [InlineData(95_000, 400_000)]
    [InlineData(7_850, 25_450)]
    [InlineData(1_000, 1_000)]
    [InlineData(63_000, 9_600_000)]
    [InlineData(2_100, 3_000_000_000)]
    public void LogTicks_AnyRange_HasAMajorTickAtOrBeforeTheLeftmostPoint(double min, double max)
    {
        var ticks = TradeoffChart.LogTicks(min, max, TradeoffChart.FormatCost);

        Assert.True(ticks.Major[0].Position <= Math.Log10(min) + 1e-9, $"first tick {ticks.Major[0].Label} is right of {min}");
        Assert.True(ticks.Low <= ticks.Major[0].Position && ticks.High >= Math.Log10(max));
        Assert.All(ticks.Major, t => Assert.InRange(t.Position, ticks.Low, ticks.High));
        Assert.InRange(ticks.Major.Count, 2, 10);
        Assert.Equal(ticks.Major.Count, ticks.Major.Select(t => t.Label).Distinct().Count());
    }

    [Theory]
    [InlineData(0.6267, 0.9267)]
    [InlineData(0.80, 0.81)]
    [InlineData(0.1, 0.99)]
    [InlineData(0.9, 0.9)]
    public void LinearTicks_AnyRange_GivesFourToEightDistinctTicksCoveringIt(double min, double max)
    {
        var ticks = TradeoffChart.LinearTicks(min, max);

        Assert.InRange(ticks.Major.Count, 4, 8);
        Assert.Equal(ticks.Major.Count, ticks.Major.Select(t => t.Label).Distinct().Count());
        Assert.True(ticks.Low < min && ticks.High > max);
        Assert.All(ticks.Major, t => Assert.InRange(t.Position, ticks.Low, ticks.High));
    }

    [Theory]
    [InlineData(950, "950 B")]
    [InlineData(10_000, "10 KB")]
    [InlineData(1_500_000, "1.5 MB")]
    [InlineData(2_000_000_000, "2 GB")]
    public void FormatBytes_Value_IsShortDecimalUnits(double value, string expected) => Assert.Equal(expected, TradeoffChart.FormatBytes(value));

    [Fact]
    public void LegendCorner_PointsInThreeCorners_PicksTheFourth()
    {
        var corner = TradeoffChart.LegendCorner([(0.9, 0.1), (0.8, 0.15), (0.1, 0.9), (0.7, 0.85)], 0, 1, 0, 1);

        Assert.Equal(ScottPlot.Alignment.LowerLeft, corner);
    }

    [Fact]
    public void PlaceLabels_TwoPointsAtTheSameSpot_GivesLabelsThatDoNotOverlap()
    {
        var placed = TradeoffChart.PlaceLabels([("lbfgs:iterations=20", 0.35, 0.8), ("sdca", 0.351, 0.8)], 740, 480);

        Assert.NotEqual(placed[0].Alignment, placed[1].Alignment); // on different sides of the point
        Assert.All(placed, p => Assert.Equal(5f, Math.Abs(p.OffsetY))); // found a free spot next to the point, not lifted
        var alone = TradeoffChart.PlaceLabels([("lbfgs:iterations=20", 0.35, 0.8)], 740, 480);
        Assert.Equal((ScottPlot.Alignment.LowerLeft, 7f, -5f), alone[0]); // above right when nothing is in the way
    }

    [Fact]
    public void PlaceLabels_PointAtTheRightEdge_PutsItsLabelLeft()
    {
        var placed = TradeoffChart.PlaceLabels([("mlp:16:epochs=2", 0.95, 0.1)], 740, 480);

        Assert.Equal(ScottPlot.Alignment.LowerRight, placed[0].Alignment);
        Assert.True(placed[0].OffsetX < 0);
    }

    [Theory]
    [InlineData(950, "950 µs")]
    [InlineData(12.5, "12.5 µs")]
    [InlineData(10_000, "10 ms")]
    [InlineData(1_500_000, "1.5 s")]
    public void FormatMicroseconds_Value_IsShortTimeUnits(double value, string expected) => Assert.Equal(expected, TradeoffChart.FormatMicroseconds(value));
}
