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
}
