using MLNetDistill.Experiments;
using MLNetDistill.Reports;
using MLNetDistill.Serving;

namespace MLNetDistill.Tests.Reports;

/// <summary>The cascade chart: one line per student with a cascade, the teacher at 100 %.</summary>
public sealed class CascadeChartTests
{
    private static LeaderboardEntry Entry(string name, DistillationCascade? cascade) =>
        new LeaderboardEntry(name, name, 0.8, 0.8, 0.5, 0.85, 0.2, 1, 1000, 100, 1000) { Cascade = cascade };

    private static DistillationCascade Cascade(double student, double teacher)
    {
        var curve = Enumerable.Range(0, 21).Select(i => new CascadePoint(i / 20.0, student + ((teacher - student) * Math.Sqrt(i / 20.0)), 0.85 + (0.15 * i / 20.0), i / 20f)).ToList();
        return new DistillationCascade(DeferralRule.TopProbability, 0.3f, 0.3, curve[6].Accuracy, curve[6].Agreement, true, 0.28, 100, curve);
    }

    [Fact]
    public void Render_TwoStudentsWithCascades_WritesAPng()
    {
        var board = Leaderboard.Create([Entry("sdca", Cascade(0.8, 0.92)), Entry("mlp:128", Cascade(0.86, 0.92)), Entry("none", null)], LeaderboardCostAxis.Size, 0.92, 0.02);

        byte[] png = CascadeChart.Render(board, 600, 400);

        Assert.True(CascadeChart.HasCascades(board));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.True(png.Length > 5_000);
    }

    [Fact]
    public void Render_NoCascade_ThrowsSayingHowToMeasureOne()
    {
        var board = Leaderboard.Create([Entry("sdca", null)], LeaderboardCostAxis.Size, 0.92, 0.02);

        var e = Assert.Throws<ArgumentException>(() => CascadeChart.Render(board));

        Assert.False(CascadeChart.HasCascades(board));
        Assert.Contains("CascadeTarget", e.Message, StringComparison.Ordinal);
    }
}
