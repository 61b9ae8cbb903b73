using MLNetDistill.Losses;
using MLNetDistill.Numerics;

namespace MLNetDistill.Tests.Losses;

public sealed class KdLossTests
{
    // Golden values: tests/MLNetDistill.Tests/Fixtures/make_mlp_golden.py (PyTorch 1.13), i.e.
    // 0.7 * 4 * F.kl_div(F.log_softmax(s / 2, 1), softmax(t / 2), reduction='batchmean') + 0.3 * F.cross_entropy(s, y).
    private static readonly float[] Student = [1.0f, -0.5f, 2.0f, 0.3f, 0.8f, -1.2f];
    private static readonly float[] TeacherLogits = [2.0f, 0.5f, 1.0f, -0.4f, 1.5f, 0.2f];
    private static readonly float[] TeacherAtT2 = [0.48102427f, 0.22721978f, 0.29175597f, 0.20261092f, 0.523893f, 0.27349612f];
    private static readonly int[] Labels = [0, 2];
    private static readonly FloatComparer Tol = new(2e-6);

    [Fact]
    public void WithLabels_MatchesPyTorch()
    {
        var loss = new KdLoss(2f, 0.7f, 3);
        float[] grad = new float[6];
        float value = loss.Forward(Batch(Student, Labels), 1f, new LossGradients { Logits = grad });
        Assert.Equal(0.8492887f, value, Tol);
        Assert.Equal([-0.22437876f, -0.044619348f, 0.26899812f, 0.16435869f, 0.045474403f, -0.20983303f], grad, Tol);
    }

    [Fact]
    public void WithoutLabels_IsTSquaredKl_MatchesPyTorch()
    {
        var loss = new KdLoss(2f, 0.7f, 3);
        float[] grad = new float[6];
        float value = loss.Forward(Batch(Student, []), 1f, new LossGradients { Logits = grad });
        Assert.Equal(0.37187755f, value, Tol);
        Assert.Equal([-0.16062313f, -0.075873002f, 0.23649615f, 0.16018222f, -0.058057398f, -0.10212478f], grad, Tol);
    }

    [Fact]
    public void TeacherAsLogits_GivesTheSameAsProbabilities()
    {
        var fromLogits = new KdLoss(2f, 0.7f, 3, teacherGivesLogits: true);
        float[] grad = new float[6];
        var batch = new LossBatch { Rows = 2, Classes = 3, StudentLogits = Student, TeacherLogits = TeacherLogits, Labels = Labels };
        Assert.Equal(0.8492887f, fromLogits.Forward(batch, 1f, new LossGradients { Logits = grad }), Tol);
        Assert.Equal([-0.22437876f, -0.044619348f, 0.26899812f, 0.16435869f, 0.045474403f, -0.20983303f], grad, Tol);
    }

    [Fact]
    public void RowWithoutLabel_TakesAlphaOne()
    {
        // Row 0 labelled, row 1 not: the loss is the mean of row 0's full loss and row 1's T^2 KL.
        var loss = new KdLoss(2f, 0.7f, 3);
        float withLabels = loss.Forward(Batch(Student, Labels), 1f, new LossGradients { Logits = new float[6] });
        float noLabels = loss.Forward(Batch(Student, []), 1f, new LossGradients { Logits = new float[6] });
        float mixed = loss.Forward(Batch(Student, [0, -1]), 1f, new LossGradients { Logits = new float[6] });
        float row0Full = loss.Forward(Batch(Student[..3], [0], TeacherAtT2[..3]), 1f, new LossGradients { Logits = new float[3] });
        float row1Soft = loss.Forward(Batch(Student[3..], [], TeacherAtT2[3..]), 1f, new LossGradients { Logits = new float[3] });
        Assert.Equal((row0Full + row1Soft) / 2, mixed, Tol);
        Assert.NotEqual(withLabels, mixed);
        Assert.NotEqual(noLabels, mixed);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences_AndScales()
    {
        var rng = new Random(3);
        int rows = 5, k = 7;
        float[] s = Random(rng, rows * k, 3);
        float[] teacher = new float[rows * k];
        for (int r = 0; r < rows; r++)
        {
            MLNetDistill.Numerics.SoftLabelMath.Softmax(Random(rng, k, 2), 3f, teacher.AsSpan(r * k, k));
        }

        int[] labels = [1, 0, 6, -1, 3];
        var loss = new KdLoss(3f, 0.4f, k);
        float[] grad = new float[rows * k];
        float Value() => loss.Forward(new LossBatch { Rows = rows, Classes = k, StudentLogits = s, TeacherProbabilities = teacher, Labels = labels }, 1f,
            new LossGradients { Logits = new float[rows * k] });
        loss.Forward(new LossBatch { Rows = rows, Classes = k, StudentLogits = s, TeacherProbabilities = teacher, Labels = labels }, 2.5f,
            new LossGradients { Logits = grad });
        for (int i = 0; i < grad.Length; i++)
        {
            grad[i] /= 2.5f;
        }

        GradientCheck.AssertMatches(Value, s, grad, "d KD / d logits");
    }

    [Fact]
    public void MissingTeacher_OrBadLabel_Throws()
    {
        var loss = new KdLoss(2f, 0.7f, 3);
        var ex = Assert.Throws<ArgumentException>(() => loss.Forward(new LossBatch { Rows = 2, Classes = 3, StudentLogits = Student }, 1f, new LossGradients { Logits = new float[6] }));
        Assert.Contains("teacher's probabilities", ex.Message);
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => loss.Forward(Batch(Student, [0, 3]), 1f, new LossGradients { Logits = new float[6] }));
        Assert.Contains("Label 3", bad.Message);
    }

    [Fact]
    public void Constructor_AlphaOutsideUnitInterval_ThrowsNamingAlphaAndRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new KdLoss(2f, 1.5f, 3));
        Assert.Equal("alpha", ex.ParamName);
        Assert.Contains("alpha must be in [0, 1]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("but was 1.5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ZeroTemperature_ThrowsNamingTemperature()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new KdLoss(0f, 0.5f, 3));
        Assert.Equal("temperature", ex.ParamName);
        Assert.Contains("positive finite number", ex.Message, StringComparison.Ordinal);
        Assert.Contains("but was 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NoClasses_ThrowsNamingClasses()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new KdLoss(1f, 0.5f, 0));
        Assert.Equal("classes", ex.ParamName);
        Assert.Contains("'0'", ex.Message, StringComparison.Ordinal);
    }

    private static LossBatch Batch(float[] student, int[] labels, float[]? teacher = null) => new()
    {
        Rows = student.Length / 3,
        Classes = 3,
        StudentLogits = student,
        TeacherProbabilities = teacher ?? TeacherAtT2,
        Labels = labels,
    };

    internal static float[] Random(Random rng, int count, double scale)
    {
        float[] x = new float[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = (float)(((rng.NextDouble() * 2) - 1) * scale);
        }

        return x;
    }
}
