using MLNetDistill.Experiments;
using Xunit.Abstractions;

namespace MLNetDistill.Tests.Experiments;

/// <summary>The latency axis of <see cref="StudentSizeExperiment"/>: each student and the teacher timed in both served forms on the same test rows.</summary>
[Collection(LatencyRunCollection.Name)]
public sealed class StudentSizeExperimentLatencyTests(LatencyRun run, ITestOutputHelper output)
{
    private Leaderboard Board => run.Result.Leaderboard;

    [Fact]
    public void Run_LatencyAxis_CostIsMlNetP50AndFrontIsComputedOnIt()
    {
        foreach (var e in Board.Entries)
        {
            output.WriteLine($"{e.Name}: accuracy {e.Accuracy:F4}, p50 {e.LatencyP50Microseconds:F1} µs, p99 {e.LatencyP99Microseconds:F1} µs, {e.ThroughputRowsPerSecond:N0} rows/s; ONNX p50 {e.OnnxLatencyP50Microseconds:F1} µs, p99 {e.OnnxLatencyP99Microseconds:F1} µs, {e.OnnxThroughputRowsPerSecond:N0} rows/s; {e.OnnxNote}; timed in {e.CostSeconds:F2} s; pareto {e.Pareto}, chosen {e.Chosen}");
        }

        Assert.Equal(LeaderboardCostAxis.Latency, Board.CostAxis);
        Assert.All(Board.Entries, e => Assert.Equal(e.LatencyP50Microseconds, e.Cost));
        var expected = Leaderboard.ParetoFront([.. Board.Entries.Select(e => e.Accuracy)], [.. Board.Entries.Select(e => e.LatencyP50Microseconds)]);
        Assert.Equal(expected, Board.Entries.Select(e => e.Pareto));
        // The front on bytes differs from the front on latency in general; here it must be the latency one, whatever the sizes.
        Assert.Contains(Board.Entries, e => e.Pareto);
    }

    [Fact]
    public void Run_LatencyAxis_PicksTheLowestLatencyQualifyingStudent()
    {
        double bar = Board.TeacherAccuracy * (1 - Board.AccuracyTolerance);
        var qualifying = Board.Entries.Where(e => e.Accuracy >= bar).ToList();
        Assert.NotEmpty(qualifying);

        var chosen = Assert.Single(Board.Entries, e => e.Chosen);

        Assert.Equal(qualifying.MinBy(e => e.LatencyP50Microseconds)!.Name, chosen.Name);
        Assert.Same(Board.Chosen, chosen);
        Assert.Contains("the lowest latency", Board.Choice, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sdca")]
    [InlineData("mlp:16:epochs=2")]
    [InlineData("lightgbm:trees=5")]
    [InlineData(LatencyRun.LogitMatching)]
    public void Run_ConvertingStudent_BothLatencyFormsPresentAndPositive(string name)
    {
        var e = run.Entry(name);

        Assert.InRange(e.LatencyP50Microseconds, 0.01, 1e6);
        Assert.InRange(e.LatencyP99Microseconds, e.LatencyP50Microseconds, 1e7);
        Assert.InRange(e.ThroughputRowsPerSecond, 1, 1e9);
        Assert.NotNull(e.OnnxLatencyP50Microseconds);
        Assert.InRange(e.OnnxLatencyP50Microseconds!.Value, 0.01, 1e6);
        Assert.InRange(e.OnnxLatencyP99Microseconds!.Value, e.OnnxLatencyP50Microseconds.Value, 1e7);
        Assert.InRange(e.OnnxThroughputRowsPerSecond!.Value, 1, 1e9);
        Assert.Null(e.OnnxNote);
        Assert.InRange(e.CostSeconds, 1e-4, 30);
    }

    [Fact]
    public void Run_StudentThatDoesNotConvert_OnnxLatencyNullWithNoteAndMlNetLatencyMeasured()
    {
        var e = run.Entry(LatencyRun.CustomStudent);

        Assert.Null(e.OnnxLatencyP50Microseconds);
        Assert.Null(e.OnnxLatencyP99Microseconds);
        Assert.Null(e.OnnxThroughputRowsPerSecond);
        Assert.StartsWith("does not convert: ", e.OnnxNote, StringComparison.Ordinal);
        Assert.Contains("CustomMapping", e.OnnxNote, StringComparison.Ordinal);
        Assert.InRange(e.LatencyP50Microseconds, 0.01, 1e6);
    }

    [Fact]
    public void Run_Teacher_LatencyMeasuredInBothFormsAndSpeedUpIsTeacherOverStudentP50()
    {
        var teacher = Board.TeacherCostDetail;
        Assert.NotNull(teacher);
        output.WriteLine($"teacher: p50 {teacher.LatencyP50Microseconds:F1} µs, p99 {teacher.LatencyP99Microseconds:F1} µs, {teacher.ThroughputRowsPerSecond:N0} rows/s; ONNX p50 {teacher.OnnxLatencyP50Microseconds:F1} µs, p99 {teacher.OnnxLatencyP99Microseconds:F1} µs, {teacher.OnnxThroughputRowsPerSecond:N0} rows/s; {teacher.Note}{teacher.OnnxNote}; timed in {teacher.CostSeconds:F2} s");

        Assert.Null(teacher.Note);
        Assert.Null(teacher.OnnxNote);
        Assert.InRange(teacher.LatencyP50Microseconds, 0.01, 1e6);
        Assert.InRange(teacher.LatencyP99Microseconds, teacher.LatencyP50Microseconds, 1e7);
        Assert.InRange(teacher.ThroughputRowsPerSecond, 1, 1e9);
        Assert.InRange(teacher.OnnxLatencyP50Microseconds!.Value, 0.01, 1e6);
        Assert.InRange(teacher.OnnxThroughputRowsPerSecond!.Value, 1, 1e9);
        Assert.Equal(run.Result.Experiment.TeacherModelBytes, teacher.ModelBytes);
        Assert.Equal(teacher.LatencyP50Microseconds, Board.TeacherCost!.Value);
        Assert.All(Board.Entries, e =>
        {
            Assert.Equal(teacher.LatencyP50Microseconds / e.LatencyP50Microseconds, e.LatencySpeedUp, 1e-9);
            Assert.Equal((double)teacher.ModelBytes / e.ModelBytes, e.SizeReduction, 1e-9);
        });
    }
}
