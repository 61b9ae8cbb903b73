using MLNetDistill.Serving;

namespace MLNetDistill.Tests.Serving;

public sealed class CascadeThresholdTests
{
    private static readonly float[] Confidence = CascadeCurveTests.Confidence;
    private static readonly int[] Student = CascadeCurveTests.Student;
    private static readonly int[] Teacher = CascadeCurveTests.Teacher;
    private static readonly int[] Labels = CascadeCurveTests.Labels;

    [Fact]
    public void Choose_QualityStudentAlreadyMeets_DefersNothing()
    {
        // Student and teacher both get 3 of 4 right.
        var choice = CascadeThreshold.Choose(Confidence, Student, Teacher, Labels, new CascadeTarget { TeacherQualityShare = 1.0 });

        Assert.Equal(new CascadeChoice(float.NegativeInfinity, 0, true), choice);
    }

    [Fact]
    public void Choose_QualityAboveTeacher_SmallestShareReachingIt()
    {
        // 1.3 x 3 = 3.9 rows right: only one row deferred (row 1, 4 of 4 right) reaches it.
        var choice = CascadeThreshold.Choose(Confidence, Student, Teacher, Labels, new CascadeTarget { TeacherQualityShare = 1.3 });

        Assert.Equal(new CascadeChoice(0.7f, 0.25, true), choice);
    }

    [Fact]
    public void Choose_TargetUnreachable_DefersAllAndSaysNotMet()
    {
        // 1.4 x 3 = 4.2 rows right out of 4: no threshold gets there.
        var choice = CascadeThreshold.Choose(Confidence, Student, Teacher, Labels, new CascadeTarget { TeacherQualityShare = 1.4 });

        Assert.Equal(new CascadeChoice(float.PositiveInfinity, 1.0, false), choice);
    }

    [Fact]
    public void Choose_QualityOnlyTheTeacherMeets_DefersAllAndMet()
    {
        var choice = CascadeThreshold.Choose([0.1f, 0.2f], [0, 0], [1, 1], [1, 1], new CascadeTarget { TeacherQualityShare = 1.0 });

        Assert.Equal(new CascadeChoice(float.PositiveInfinity, 1.0, true), choice);
    }

    [Fact]
    public void Choose_Unlabeled_UsesAgreementWithTheTeacher()
    {
        // Agreement 2, 3, 4 of 4 rows at 0, 1, 2 deferred: 0.9 x 4 = 3.6 needs two rows.
        var choice = CascadeThreshold.Choose(Confidence, Student, Teacher, [], new CascadeTarget { TeacherQualityShare = 0.9 });

        Assert.Equal(new CascadeChoice(0.8f, 0.5, true), choice);
    }

    [Fact]
    public void Choose_MaxDeferred_LargestShareAtOrBelowIt()
    {
        var choice = CascadeThreshold.Choose(Confidence, Student, Teacher, Labels, new CascadeTarget { MaxDeferredShare = 0.6 });

        Assert.Equal(new CascadeChoice(0.8f, 0.5, true), choice);
    }

    [Fact]
    public void Choose_MaxDeferredWithTies_NeverExceedsIt()
    {
        // Three rows tie at 0.5: deferring any of them defers 75 %, over the 50 % allowed.
        var choice = CascadeThreshold.Choose([0.5f, 0.5f, 0.5f, 0.9f], [0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0], new CascadeTarget { MaxDeferredShare = 0.5 });

        Assert.Equal(new CascadeChoice(float.NegativeInfinity, 0, true), choice);
    }

    [Fact]
    public void Choose_QualityWithTies_DefersTheWholeTie()
    {
        var choice = CascadeThreshold.Choose([0.5f, 0.5f, 0.5f, 0.9f], [0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0], new CascadeTarget { TeacherQualityShare = 1.0 });

        Assert.Equal(new CascadeChoice(0.9f, 0.75, true), choice);
    }

    [Fact]
    public void Choose_LowestCost_GoldenValue()
    {
        // Cost per row = 1 + share x 1 + error rate x 10: 3.5, 1.25, 4.0, 4.25, 4.5 at 0..4 rows deferred.
        var target = new CascadeTarget { StudentCostPerRow = 1, TeacherCostPerRow = 1, ErrorCostPerRow = 10 };

        var choice = CascadeThreshold.Choose(Confidence, Student, Teacher, Labels, target);

        Assert.Equal(new CascadeChoice(0.7f, 0.25, true), choice);
    }

    [Fact]
    public void Choose_TeacherTooDear_KeepsTheStudentAlone()
    {
        var target = new CascadeTarget { TeacherCostPerRow = 100, ErrorCostPerRow = 10 };

        var choice = CascadeThreshold.Choose(Confidence, Student, Teacher, Labels, target);

        Assert.Equal(0, choice.DeferredShare);
    }

    [Fact]
    public void Defers_BelowThreshold_True()
    {
        Assert.True(CascadeThreshold.Defers(0.5f, 0.6f));
        Assert.False(CascadeThreshold.Defers(0.6f, 0.6f));
        Assert.False(CascadeThreshold.Defers(0.5f, float.NegativeInfinity));
        Assert.True(CascadeThreshold.Defers(1f, float.PositiveInfinity));
    }
}
