using MLNetDistill.Students;

namespace MLNetDistill.Tests.Students;

public sealed class StudentSpecTests
{
    [Fact]
    public void Parse_LightGbmWithOptions_FillsDefaults()
    {
        var spec = StudentSpec.Parse("lightgbm:trees=50,lr=0.05");
        Assert.Equal("lightgbm", spec.Family);
        Assert.Equal(50, spec["trees"]);
        Assert.Equal(31, spec["leaves"]);
        Assert.Equal(0.05, spec["lr"], 1e-12);
        Assert.False(spec.IsNeural);
    }

    [Fact]
    public void Parse_Mlp_ReadsLayersAndLoss()
    {
        var spec = StudentSpec.Parse("mlp:256,64:epochs=5,batch=128,loss=mse");
        Assert.Equal([256, 64], spec.HiddenLayers);
        Assert.Equal(5, spec["epochs"]);
        Assert.Equal(128, spec["batch"]);
        Assert.Equal("mse", spec.Loss);
        Assert.True(spec.IsNeural);
    }

    [Theory]
    [InlineData("xgboost", "Unknown student")]
    [InlineData("lightgbm:depth=3", "lightgbm takes")]
    [InlineData("lightgbm:trees=0", "out of range")]
    [InlineData("mlp", "hidden layer widths")]
    [InlineData("mlp:0", "positive whole number")]
    [InlineData("mlp:-3,5", "positive whole number")]
    [InlineData("mlp:64:epochs=0", "out of range")]
    [InlineData("mlp:64:lr=NaN", "out of range")]
    [InlineData("mlp:64:loss=l1", "Unknown loss")]
    public void Parse_BadSpec_ThrowsNamingProblem(string text, string expected)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => StudentSpec.Parse(text));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mlp:128:augment=mixup,a=0.5", "mlp:128:epochs=auto,lr=0.001,batch=128,a=0.5,loss=kd,augment=mixup")]
    [InlineData("mlp:128:augment=mixup,epochs=300", "mlp:128:epochs=300,lr=0.001,batch=128,loss=kd,augment=mixup")]
    [InlineData("mlp:64:augment=none", "mlp:64:epochs=auto,lr=0.001,batch=128,loss=kd")]
    public void Parse_MlpAugment_RoundTripsThroughCanonicalText(string text, string canonical)
    {
        var spec = StudentSpec.Parse(text);
        Assert.Equal(canonical, spec.ToString());
        Assert.Equal(spec, StudentSpec.Parse(spec.ToString()));
        Assert.Equal(text.Contains("mixup", StringComparison.Ordinal), spec.NeedsLiveTeacher);
    }

    [Fact]
    public void Parse_MlpMixupDefaultA_IsPointTwo()
    {
        Assert.Equal(0.2, StudentSpec.Parse("mlp:128:augment=mixup")["a"], 1e-12);
    }

    [Theory]
    [InlineData("mlp:128:augment=mixup,a=0", "a=0")]
    [InlineData("mlp:128:augment=mixup,a=-1", "a=-1")]
    public void Parse_MixupANotPositive_ThrowsQuotingValueAndRange(string text, string quoted)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => StudentSpec.Parse(text));
        Assert.Contains(quoted, ex.Message, StringComparison.Ordinal);
        Assert.Contains("greater than 0 and at most 100", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownMlpOption_ListsAugmentAndA()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => StudentSpec.Parse("mlp:128:mix=1"));
        Assert.Contains("augment=none|mixup", ex.Message, StringComparison.Ordinal);
        Assert.Contains("a=N (>0..100, default 0.2)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownAugment_ListsMixup()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => StudentSpec.Parse("mlp:128:augment=cutmix"));
        Assert.Contains("none, mixup, shift or mixup+shift", ex.Message, StringComparison.Ordinal);
    }
}
