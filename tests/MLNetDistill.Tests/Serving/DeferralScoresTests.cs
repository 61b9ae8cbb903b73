using MLNetDistill.Serving;

namespace MLNetDistill.Tests.Serving;

public sealed class DeferralScoresTests
{
    private static readonly float[] TwoRows = [0.7f, 0.2f, 0.1f, 0.4f, 0.4f, 0.2f];

    [Theory]
    [InlineData(DeferralRule.TopProbability, 0.7f, 0.4f)]
    [InlineData(DeferralRule.Margin, 0.5f, 0f)]
    // -(0.7 ln 0.7 + 0.2 ln 0.2 + 0.1 ln 0.1) = 0.8018186; -(2 x 0.4 ln 0.4 + 0.2 ln 0.2) = 1.0549202.
    [InlineData(DeferralRule.Entropy, -0.8018186f, -1.0549202f)]
    public void Confidence_TwoRows_GoldenValues(DeferralRule rule, float first, float second)
    {
        float[] confidence = new float[2];
        DeferralScores.Confidence(rule, TwoRows, 3, confidence);
        Assert.Equal(first, confidence[0], 1e-6f);
        Assert.Equal(second, confidence[1], 1e-6f);
        Assert.True(confidence[0] > confidence[1]);
    }

    [Fact]
    public void Confidence_Learned_ThrowsNamingTheFittedModel()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => DeferralScores.Confidence(DeferralRule.Learned, TwoRows, 3, new float[2]));
        Assert.Contains("LearnedDeferral", ex.Message);
    }

    [Fact]
    public void Confidence_PartialRow_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => DeferralScores.Confidence(DeferralRule.Margin, TwoRows, 4, new float[1]));
        Assert.Equal("probabilities", ex.ParamName);
    }

    [Fact]
    public void Confidence_WrongDestinationLength_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => DeferralScores.Confidence(DeferralRule.Margin, TwoRows, 3, new float[3]));
        Assert.Equal("destination", ex.ParamName);
    }
}
