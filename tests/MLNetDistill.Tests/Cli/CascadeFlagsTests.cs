using MLNetDistill.Cli;

namespace MLNetDistill.Tests.Cli;

/// <summary>The shares of <c>--cascade-target</c> and <c>--cascade-max-deferred</c>: percentages or fractions.</summary>
public sealed class CascadeFlagsTests
{
    [Theory]
    [InlineData("99%", 0.99)]
    [InlineData("98.5 %", 0.985)]
    [InlineData("0.99", 0.99)]
    [InlineData("99", 0.99)]
    [InlineData("1", 1.0)]
    [InlineData("100%", 1.0)]
    public void ParseShare_PercentageOrFraction_GivesTheShare(string text, double share) =>
        Assert.Equal(share, CascadeFlags.ParseShare(CascadeFlags.TargetFlag, text, allowZero: false), 12);

    [Theory]
    [InlineData("abc")]
    [InlineData("0%")]
    [InlineData("150%")]
    [InlineData("-5%")]
    [InlineData("NaN")]
    public void ParseShare_NotAShare_ThrowsNamingTheFlagAndAnExample(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => CascadeFlags.ParseShare(CascadeFlags.TargetFlag, text, allowZero: false));

        Assert.StartsWith($"--cascade-target {text} is not a share", e.Message, StringComparison.Ordinal);
        Assert.Contains("--cascade-target 99%", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseShare_ZeroDeferred_AllowedForTheCap() =>
        Assert.Equal(0, CascadeFlags.ParseShare(CascadeFlags.MaxDeferredFlag, "0%", allowZero: true));
}
