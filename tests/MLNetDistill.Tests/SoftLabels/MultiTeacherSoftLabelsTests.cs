using MLNetDistill.Losses;
using MLNetDistill.SoftLabels;

namespace MLNetDistill.Tests.SoftLabels;

public sealed class MultiTeacherSoftLabelsTests
{
    private static readonly FloatComparer Tol = new(1e-6);

    // Two teachers, two rows, three classes.
    private static readonly float[] A = [0.6f, 0.3f, 0.1f, 0.2f, 0.2f, 0.6f];
    private static readonly float[] B = [0.2f, 0.2f, 0.6f, 0.9f, 0.05f, 0.05f];

    [Fact]
    public void FixedWeights_AreAWeightedAverage()
    {
        // By hand: (1 * A + 3 * B) / 4.
        float[] result = new float[6];
        new MultiTeacherSoftLabels(3, [1f, 3f]).Combine([A, B], 2, result);
        Assert.Equal([0.3f, 0.225f, 0.475f, 0.725f, 0.0875f, 0.1875f], result, Tol);
    }

    [Fact]
    public void Confidence_WeighsEachRowByTheTeachersTopProbability()
    {
        // By hand: row 0, weights 0.6 and 0.6 -> plain mean; row 1, weights 0.6 and 0.9 -> (0.6 A + 0.9 B) / 1.5.
        float[] result = new float[6];
        new MultiTeacherSoftLabels(3, [1f, 1f], TeacherWeighting.Confidence).Combine([A, B], 2, result);
        Assert.Equal([0.4f, 0.25f, 0.35f, 0.62f, 0.11f, 0.27f], result, Tol);
        Assert.Equal(1.0, result[..3].Sum(), 1e-6);
        Assert.Equal(1.0, result[3..].Sum(), 1e-6);
    }

    [Fact]
    public void FeedsKdLoss()
    {
        float[] combined = new float[6];
        new MultiTeacherSoftLabels(3, [1f, 1f], TeacherWeighting.Confidence).Combine([A, B], 2, combined);
        float value = new KdLoss(1f, 1f, 3).Forward(
            new LossBatch { Rows = 2, Classes = 3, StudentLogits = new float[6], TeacherProbabilities = combined }, 1f,
            new LossGradients { Logits = new float[6] });
        Assert.True(value > 0f);
    }

    [Fact]
    public void Constructor_AllWeightsZero_ThrowsNamingWeights()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MultiTeacherSoftLabels(3, [0f, 0f]));
        Assert.Equal("weights", ex.ParamName);
        Assert.Contains("At least one teacher weight must be positive", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NegativeWeight_ThrowsQuotingIt()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MultiTeacherSoftLabels(3, [1f, -1f]));
        Assert.Equal("weights", ex.ParamName);
        Assert.Contains("finite and >= 0 but one was -1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Combine_FewerTeachersThanWeights_ThrowsStatingCount()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MultiTeacherSoftLabels(3, [1f, 1f]).Combine([A], 2, new float[6]));
        Assert.Contains("2 teachers", ex.Message);
    }
}
