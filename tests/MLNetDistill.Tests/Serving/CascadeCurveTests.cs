using MLNetDistill.Serving;

namespace MLNetDistill.Tests.Serving;

public sealed class CascadeCurveTests
{
    // Four rows; sorted by confidence: row 1 (0.6), row 3 (0.7), row 2 (0.8), row 0 (0.9).
    // Student right on rows 0, 2, 3; teacher right on rows 0, 1, 2; they agree on rows 0 and 2.
    internal static readonly float[] Confidence = [0.9f, 0.6f, 0.8f, 0.7f];
    internal static readonly int[] Student = [0, 1, 2, 0];
    internal static readonly int[] Teacher = [0, 0, 2, 1];
    internal static readonly int[] Labels = [0, 0, 2, 0];

    [Fact]
    public void Measure_FivePoints_GoldenValues()
    {
        var curve = CascadeCurve.Measure(Confidence, Student, Teacher, Labels, points: 5);

        Assert.Equal([0, 0.25, 0.5, 0.75, 1], curve.Points.Select(p => p.DeferredShare));
        // Deferring row 1 fixes the student's one error; deferring row 3 next brings the teacher's.
        Assert.Equal([0.75, 1.0, 0.75, 0.75, 0.75], curve.Points.Select(p => p.Accuracy!.Value));
        Assert.Equal([0.5, 0.75, 1.0, 1.0, 1.0], curve.Points.Select(p => p.Agreement));
        Assert.Equal([float.NegativeInfinity, 0.7f, 0.8f, 0.9f, float.PositiveInfinity], curve.Points.Select(p => p.Threshold));
    }

    [Fact]
    public void Measure_DefaultPoints_EveryFivePercentFromNoneToAll()
    {
        var curve = CascadeCurve.Measure(Confidence, Student, Teacher, Labels);

        Assert.Equal(21, curve.Points.Count);
        Assert.Equal(0, curve.Points[0].DeferredShare);
        Assert.Equal(1, curve.Points[^1].DeferredShare);
    }

    [Fact]
    public void Measure_Unlabeled_AccuracyNullAgreementKept()
    {
        var curve = CascadeCurve.Measure(Confidence, Student, Teacher, [], points: 5);

        Assert.All(curve.Points, p => Assert.Null(p.Accuracy));
        Assert.Equal([0.5, 0.75, 1.0, 1.0, 1.0], curve.Points.Select(p => p.Agreement));
    }

    [Fact]
    public void Measure_TiedConfidences_DefersTiesTogetherAtNearestRealizableShare()
    {
        // Three rows tie at 0.5: a threshold defers none of them or all three.
        float[] confidence = [0.5f, 0.5f, 0.5f, 0.9f];
        int[] student = [0, 0, 0, 0];
        int[] teacher = [1, 1, 0, 0];
        int[] labels = [1, 1, 0, 0];

        var curve = CascadeCurve.Measure(confidence, student, teacher, labels, points: 5);

        // Nominal 1 row -> 0 (nearer than 3); 2 rows -> 3; 3 rows -> 3.
        Assert.Equal([0, 0, 0.75, 0.75, 1], curve.Points.Select(p => p.DeferredShare));
        Assert.Equal([0.5, 0.5, 1.0, 1.0, 1.0], curve.Points.Select(p => p.Accuracy!.Value));
        Assert.Equal(0.9f, curve.Points[2].Threshold);
    }

    [Theory]
    [InlineData(0.5f, 0.0)]
    [InlineData(0.6f, 0.75)]
    [InlineData(float.NegativeInfinity, 0.0)]
    [InlineData(float.PositiveInfinity, 1.0)]
    public void At_Threshold_DefersRowsStrictlyBelowIt(float threshold, double share)
    {
        var curve = CascadeCurve.Measure([0.5f, 0.5f, 0.5f, 0.9f], [0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]);

        var point = curve.At(threshold);

        Assert.Equal(share, point.DeferredShare);
        Assert.Equal(threshold, point.Threshold);
    }

    [Fact]
    public void At_AllRowsDeferred_IsTheTeacherAlone()
    {
        var curve = CascadeCurve.Measure(Confidence, Student, Teacher, Labels);

        var point = curve.At(1f);

        Assert.Equal(1.0, point.DeferredShare);
        Assert.Equal(0.75, point.Accuracy);
        Assert.Equal(1.0, point.Agreement);
    }

    [Fact]
    public void At_NaNThreshold_ThrowsArgumentOutOfRange()
    {
        var curve = CascadeCurve.Measure(Confidence, Student, Teacher, Labels);
        Assert.Throws<ArgumentOutOfRangeException>(() => curve.At(float.NaN));
    }

    [Fact]
    public void Measure_NaNConfidence_ThrowsNamingTheRow()
    {
        var ex = Assert.Throws<ArgumentException>(() => CascadeCurve.Measure([0.5f, float.NaN], [0, 0], [0, 0], []));
        Assert.Contains("row 1", ex.Message);
    }

    [Fact]
    public void Measure_MismatchedLengths_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => CascadeCurve.Measure(Confidence, Student, Teacher, [0, 1]));
        Assert.Contains("2 labels", ex.Message);
    }

    [Fact]
    public void Measure_NoRows_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => CascadeCurve.Measure([], [], [], []));
    }

    [Fact]
    public void Measure_OnePoint_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CascadeCurve.Measure(Confidence, Student, Teacher, Labels, points: 1));
    }
}
