using MLNetDistill.Experiments;
using MLNetDistill.Reports;
using SkiaSharp;

namespace MLNetDistill.Tests.Reports;

public sealed class BudgetCurveChartTests
{
    private static BudgetedLabelingResult Budget(bool random = true) => new("margin", 300, 3, 520, 520,
        [new(0, 0.80, 0.81), new(100, 0.84, 0.86), new(200, 0.86, 0.88), new(300, 0.87, 0.90)],
        random ? [new(0, 0.80, 0.81), new(100, 0.82, 0.83), new(200, 0.83, 0.85), new(300, 0.85, 0.86)] : [])
    {
        PoolRows = 4500,
        Student = "sdca",
    };

    /// <summary>The share of sampled pixels (every 4th) of the given colour, within a tolerance.</summary>
    private static int Pixels(SKBitmap bitmap, SKColor color)
    {
        int count = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
        {
            for (int x = 0; x < bitmap.Width; x += 2)
            {
                var p = bitmap.GetPixel(x, y);
                count += Math.Abs(p.Red - color.Red) + Math.Abs(p.Green - color.Green) + Math.Abs(p.Blue - color.Blue) < 30 ? 1 : 0;
            }
        }

        return count;
    }

    [Fact]
    public void Render_MarginAndRandom_GivesAPngWithBothCurvesColours()
    {
        byte[] png = BudgetCurveChart.Render(Budget(), 800, 500);

        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((800, 500), (bitmap.Width, bitmap.Height));
        Assert.True(Pixels(bitmap, new SKColor(65, 105, 225)) > 100); // royal blue: the strategy's lines
        Assert.True(Pixels(bitmap, new SKColor(128, 128, 128)) > 100); // gray: the random lines
    }

    [Fact]
    public void Render_NoRandomCurve_DrawsTheStrategyAlone()
    {
        using var alone = SKBitmap.Decode(BudgetCurveChart.Render(Budget(random: false), 800, 500));
        using var both = SKBitmap.Decode(BudgetCurveChart.Render(Budget(), 800, 500));

        Assert.True(Pixels(alone, new SKColor(65, 105, 225)) > 100);
        var gray = new SKColor(128, 128, 128); // the random lines' colour (the frame's shadow has a little of it too)
        Assert.True(Pixels(both, gray) > Pixels(alone, gray) + 100, $"{Pixels(both, gray)} gray pixels with the random curve, {Pixels(alone, gray)} without");
    }

    [Fact]
    public void ToHtmlReport_TwoCurves_OneTableRowPerBudgetWithBothCurvesAndAnInlinePng()
    {
        string html = Budget().ToHtmlReport().ToString();

        Assert.Contains("mlnd-budget", html, StringComparison.Ordinal);
        Assert.Contains("src=\"data:image/png;base64,", html, StringComparison.Ordinal);
        Assert.Equal(4, html.Split("<tr>").Length - 2); // the header row and four points
        Assert.Contains("<td>300</td><td>0.8700</td><td>0.9000</td><td>0.8500</td><td>0.8600</td>", html, StringComparison.Ordinal);
        Assert.Contains("520 teacher calls", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_TooSmall_ThrowsNamingTheDimension()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BudgetCurveChart.Render(Budget(), 50, 500));

        Assert.Equal("width", e.ParamName);
    }
}
