using MLNetDistill.Experiments;

namespace MLNetDistill.Tests.Experiments;

public sealed class LeaderboardTests
{
    private static LeaderboardEntry Entry(string name, double accuracy, double cost, double agreement = 0.9) =>
        new(name, name, accuracy, accuracy, 0.5, agreement, 0.1, 1.0, (long)(double.IsNaN(cost) ? 0 : cost), null, cost);

    [Fact]
    public void Create_DominatedAndTiedEntries_MarksOnlyTheFront()
    {
        var board = Leaderboard.Create(
            [Entry("small", 0.80, 100), Entry("medium", 0.85, 1_000), Entry("worse-medium", 0.84, 1_000), Entry("big-no-gain", 0.85, 5_000), Entry("big", 0.90, 10_000), Entry("twin-small", 0.80, 100)],
            LeaderboardCostAxis.Size, teacherAccuracy: 0.95, accuracyTolerance: 0.02);

        // small and its twin tie exactly: neither dominates the other (no strict side), so both stay on the front.
        Assert.Equal(["small", "medium", "big", "twin-small"], board.Entries.Where(e => e.Pareto).Select(e => e.Name));
        Assert.Equal("accuracy", board.QualityMetric);
    }

    [Fact]
    public void Create_LatencyAxis_PicksTheFastestQualifyingStudentNotTheSmallest()
    {
        // Sizes and latencies disagree: the small student is slow, the big one fast; the cost is the ML.NET p50.
        LeaderboardEntry Timed(string name, double accuracy, long bytes, double p50) =>
            new(name, name, accuracy, accuracy, 0.5, 0.9, 0.1, 1.0, bytes, null, p50) { LatencyP50Microseconds = p50 };
        var teacher = new LeaderboardTeacherCost(1_000_000, 250_000, 400, 900, 2_000, 300, 700, 5_000);

        var board = Leaderboard.Create([Timed("small-slow", 0.89, 100, 50), Timed("big-fast", 0.895, 10_000, 5), Timed("weak-fastest", 0.70, 50, 1)],
            LeaderboardCostAxis.Latency, teacherAccuracy: 0.90, accuracyTolerance: 0.02, teacherCost: 400, teacherCostDetail: teacher);

        Assert.Equal("big-fast", board.Chosen!.Name);
        Assert.StartsWith("big-fast: the lowest latency", board.Choice, StringComparison.Ordinal);
        // weak-fastest is fastest but least accurate, big-fast is faster and more accurate than small-slow.
        Assert.Equal(["big-fast", "weak-fastest"], board.Entries.Where(e => e.Pareto).Select(e => e.Name));
        Assert.Same(teacher, board.TeacherCostDetail);
        Assert.Equal([400 / 50.0, 400 / 5.0, 400 / 1.0], board.Entries.Select(e => e.LatencySpeedUp));
        Assert.Equal([1_000_000 / 100.0, 1_000_000 / 10_000.0, 1_000_000 / 50.0], board.Entries.Select(e => e.SizeReduction));
    }

    [Fact]
    public void Create_SeveralWithinTolerance_PicksTheLowestCost()
    {
        var board = Leaderboard.Create([Entry("big", 0.90, 10_000), Entry("medium", 0.885, 1_000), Entry("small", 0.80, 100)],
            LeaderboardCostAxis.Size, teacherAccuracy: 0.90, accuracyTolerance: 0.02);

        // 0.90 × 0.98 = 0.882: medium (0.885) qualifies and costs less than big; small does not qualify.
        Assert.Equal("medium", board.Chosen!.Name);
        Assert.Equal(["medium"], board.Entries.Where(e => e.Chosen).Select(e => e.Name));
        Assert.Equal(0.885 / 0.90, board.Chosen.RetainedAccuracy, 12);
        Assert.StartsWith("medium: the lowest size", board.Choice, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_EqualCostWithinTolerance_PicksTheMoreAccurate()
    {
        var board = Leaderboard.Create([Entry("a", 0.89, 500), Entry("b", 0.895, 500)], LeaderboardCostAxis.Size, 0.90, 0.02);

        Assert.Equal("b", board.Chosen!.Name);
        Assert.True(board.Chosen.Pareto);
    }

    [Fact]
    public void Create_NoneWithinTolerance_ChoosesNoneAndSaysWhy()
    {
        var board = Leaderboard.Create([Entry("small", 0.70, 100), Entry("big", 0.85, 10_000)], LeaderboardCostAxis.Size, teacherAccuracy: 0.90, accuracyTolerance: 0.02);

        Assert.Null(board.Chosen);
        Assert.DoesNotContain(board.Entries, e => e.Chosen);
        Assert.Contains("No pick", board.Choice, StringComparison.Ordinal);
        Assert.Contains("0.8820", board.Choice, StringComparison.Ordinal);
        Assert.Contains("big at 0.8500", board.Choice, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WiderTolerance_PicksASmallerStudent()
    {
        var entries = new[] { Entry("small", 0.85, 100), Entry("big", 0.90, 10_000) };

        Assert.Equal("big", Leaderboard.Create(entries, LeaderboardCostAxis.Size, 0.90, 0.02).Chosen!.Name);
        Assert.Equal("small", Leaderboard.Create(entries, LeaderboardCostAxis.Size, 0.90, 0.10).Chosen!.Name);
    }

    [Fact]
    public void Create_UnknownCost_LeavesEntryOffTheFrontAndThePick()
    {
        var board = Leaderboard.Create([Entry("trees", 0.95, double.NaN), Entry("linear", 0.89, 7_850)], LeaderboardCostAxis.Parameters, 0.90, 0.02);

        Assert.False(board.Entries[0].Pareto);
        Assert.True(board.Entries[1].Pareto);
        Assert.Equal("linear", board.Chosen!.Name);
        Assert.Contains("parameter count", board.Choice, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_UnlabeledTestRows_FrontOnAgreementAndNoPick()
    {
        var board = Leaderboard.Create([Entry("a", double.NaN, 100, agreement: 0.7), Entry("b", double.NaN, 200, agreement: 0.9), Entry("c", double.NaN, 300, agreement: 0.8)],
            LeaderboardCostAxis.Size, teacherAccuracy: double.NaN, accuracyTolerance: 0.02);

        Assert.Equal("agreement", board.QualityMetric);
        Assert.Equal([true, true, false], board.Entries.Select(e => e.Pareto));
        Assert.Null(board.Chosen);
        Assert.Contains("teacher's accuracy on the test rows is unknown", board.Choice, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Create_ToleranceOutOfRange_ThrowsNamingIt(double tolerance)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Leaderboard.Create([Entry("a", 0.9, 1)], LeaderboardCostAxis.Size, 0.9, tolerance));
        Assert.Equal("accuracyTolerance", e.ParamName);
        Assert.Contains("[0, 1)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NoEntriesAllSkipped_SaysTheBudgetRanOutAndTheFix()
    {
        var board = Leaderboard.Create([], LeaderboardCostAxis.Size, 0.9, 0.02, skipped: ["sdca", "mlp:32"]);

        Assert.Null(board.Chosen);
        Assert.Equal(["sdca", "mlp:32"], board.Skipped);
        Assert.Contains("No student was trained, so none is picked: the time budget ran out before the first one (sdca, mlp:32 skipped). Give a larger time budget", board.Choice, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NoEntriesNoneSkipped_SaysNoneTrained()
    {
        var board = Leaderboard.Create([], LeaderboardCostAxis.Size, 0.9, 0.02);

        Assert.Equal("No student was trained, so none is picked.", board.Choice);
    }
}
