using MLNetDistill.Augmentation;

namespace MLNetDistill.Tests.Augmentation;

public sealed class AugmentationOptionsTests
{
    [Fact]
    public void Parse_MethodAlone_Defaults()
    {
        var options = AugmentationOptions.Parse("spunge");

        Assert.Equal(AugmentationMethod.Spunge, options.Method);
        Assert.Equal((5.0, 100_000, 0.5, 0.5, 0.5), (options.Factor, options.MaxRows, options.ResampleProbability, options.NoiseProbability, options.NoiseScale));
        Assert.Null(options.Seed);
    }

    [Fact]
    public void Parse_MethodOptions_Set()
    {
        var munge = AugmentationOptions.Parse("munge:factor=3,p=0.3,s=2,max-rows=5000,seed=9");
        var mixup = AugmentationOptions.Parse("Mixup:a=0.4,levels=0");

        Assert.Equal((AugmentationMethod.Munge, 3.0, 0.3, 2.0, 5000, 9), (munge.Method, munge.Factor, munge.SwapProbability, munge.Scale, munge.MaxRows, munge.Seed!.Value));
        Assert.Equal((AugmentationMethod.Mixup, 0.4, 0), (mixup.Method, mixup.A, mixup.CategoricalMaxLevels));
    }

    [Theory]
    [InlineData("smote", "Unknown augmentation 'smote'")]
    [InlineData("mixup:p=0.5", "Unknown option 'p' for mixup")]
    [InlineData("spunge:factor=abc", "is not name=number")]
    [InlineData("munge:seed=1.5", "seed=1.5")]
    public void Parse_BadSpec_ErrorListsMethodsAndOptions(string spec, string expected)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => AugmentationOptions.Parse(spec));

        Assert.Contains(expected, e.Message);
        if (!spec.Contains("seed", StringComparison.Ordinal))
        {
            Assert.Contains("spunge[:factor=5", e.Message);
            Assert.Contains("mixup[:factor=5,max-rows=100000,a=0.2", e.Message);
        }
    }

    [Theory]
    [InlineData("spunge:factor=0", "was 0")]
    [InlineData("spunge:factor=-2", "was -2")]
    [InlineData("spunge:factor=1000000", "1,000,000,000 rows from 1,000")]
    [InlineData("mixup:a=0", "Mixup A (a of Beta(a, a)) must be in (0, 1000] but was 0")]
    [InlineData("mixup:a=-1", "but was -1")]
    [InlineData("munge:p=1.5", "must be in [0, 1] but was 1.5")]
    [InlineData("munge:s=0", "must be in (0, 1000] but was 0")]
    [InlineData("spunge:max-rows=0", "was 0")]
    [InlineData("spunge:resample=-0.1", "but was -0.1")]
    public void Parse_OutOfRange_ErrorQuotesTheValueAndRange(string spec, string expected)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => AugmentationOptions.Parse(spec));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Validated_Copy_LaterChangesDoNotLeakIn()
    {
        var options = new AugmentationOptions { Factor = 2 };
        options.CategoricalFeatureIndices.Add(1);

        var copy = options.Validated();
        options.Factor = 9;
        options.CategoricalFeatureIndices.Add(4);

        Assert.Equal(2, copy.Factor);
        Assert.Equal([1], copy.CategoricalFeatureIndices);
    }

    [Theory]
    [InlineData("spunge:skip-invalid=1", true)]
    [InlineData("munge:skip-invalid=0", false)]
    [InlineData("mixup", false)]
    public void Parse_SkipInvalid_SetsSkipInvalidRows(string spec, bool expected)
    {
        Assert.Equal(expected, AugmentationOptions.Parse(spec).SkipInvalidRows);
    }

    [Fact]
    public void Parse_SkipInvalidNotZeroOrOne_ErrorQuotesTheValue()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => AugmentationOptions.Parse("spunge:skip-invalid=2"));

        Assert.Contains("'skip-invalid' in 'spunge:skip-invalid=2' is 2: give 1", e.Message, StringComparison.Ordinal);
    }
}
