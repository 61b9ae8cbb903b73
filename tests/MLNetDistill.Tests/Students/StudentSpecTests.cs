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
}
