using MLNetDistill.Serving;

namespace MLNetDistill.Tests.Serving;

public sealed class CascadeTargetTests
{
    [Fact]
    public void Validate_NoWay_ThrowsListingTheWays()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CascadeTarget().Validate());
        Assert.Contains("none was given", ex.Message);
        Assert.Contains(nameof(CascadeTarget.TeacherQualityShare), ex.Message);
        Assert.Contains(nameof(CascadeTarget.MaxDeferredShare), ex.Message);
    }

    [Fact]
    public void Validate_TwoWays_ThrowsNamingTheValues()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CascadeTarget { TeacherQualityShare = 0.99, MaxDeferredShare = 0.2 }.Validate());
        Assert.Contains("TeacherQualityShare = 0.99", ex.Message);
        Assert.Contains("MaxDeferredShare = 0.2", ex.Message);
    }

    [Fact]
    public void Validate_TeacherCostWithoutErrorCost_ThrowsNamingErrorCost()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CascadeTarget { TeacherCostPerRow = 1 }.Validate());
        Assert.Contains(nameof(CascadeTarget.ErrorCostPerRow), ex.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Validate_BadQualityShare_ThrowsArgumentOutOfRange(double share)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new CascadeTarget { TeacherQualityShare = share }.Validate());
        Assert.Equal(nameof(CascadeTarget.TeacherQualityShare), ex.ParamName);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    public void Validate_BadMaxDeferredShare_ThrowsArgumentOutOfRange(double share)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new CascadeTarget { MaxDeferredShare = share }.Validate());
        Assert.Equal(nameof(CascadeTarget.MaxDeferredShare), ex.ParamName);
    }

    [Fact]
    public void Validate_NegativeCost_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new CascadeTarget { TeacherCostPerRow = -1, ErrorCostPerRow = 1 }.Validate());
        Assert.Equal(nameof(CascadeTarget.TeacherCostPerRow), ex.ParamName);
    }

    [Fact]
    public void Clone_LaterChange_DoesNotReachTheCopy()
    {
        var target = new CascadeTarget { TeacherQualityShare = 0.99 };
        var copy = target.Clone();
        target.TeacherQualityShare = 0.5;
        Assert.Equal(0.99, copy.TeacherQualityShare);
    }
}
