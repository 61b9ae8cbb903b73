using MLNetDistill.Students;

namespace MLNetDistill.Tests.Students;

public sealed class StudentRegistryTests
{
    [Theory]
    [InlineData("lightgbm")]
    [InlineData("fasttree:trees=5")]
    [InlineData("sdca:iterations=3")]
    [InlineData("lbfgs")]
    [InlineData("logits:fasttree:leaves=4")]
    [InlineData("mlp:64,32:epochs=3,loss=rkd")]
    public void Parse_ToString_RoundTrips(string text)
    {
        var spec = StudentSpec.Parse(text);
        var again = StudentSpec.Parse(spec.ToString());
        Assert.Equal(spec, again);
        Assert.Equal(spec.ToString(), again.ToString());
    }

    [Fact]
    public void Describe_ListsEveryFamilyWithOptionsDefaultsAndRanges()
    {
        string text = StudentSpec.Describe();
        Assert.Equal(["lightgbm", "fasttree", "sdca", "lbfgs", "mlp", "logits"], StudentSpec.FamilyNames);
        Assert.Contains("lightgbm[:trees=N (1..100000, default 200),leaves=N (2..131072, default 31),lr=N (1E-06..1, default 0.1),minleaf=N (1..1000000, default auto)]", text, StringComparison.Ordinal);
        Assert.Contains("mlp:H1,H2[:epochs=N", text, StringComparison.Ordinal);
        Assert.Contains("loss=kd|mse|hint|rkd", text, StringComparison.Ordinal);
        Assert.Contains("logits:fasttree[:trees=N", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Defaults_FamilyAlphaAndHint()
    {
        Assert.Equal(0.5f, StudentSpec.Parse("sdca").DefaultAlpha);
        Assert.Equal(new MLNetDistill.Students.Mlp.MlpTrainerOptions().Alpha, StudentSpec.Parse("mlp:8").DefaultAlpha);
        Assert.Equal(new MLNetDistill.Students.Mlp.MlpTrainerOptions().BatchSize, StudentSpec.Parse("mlp:8")["batch"]);
        Assert.Equal("mlp:8:epochs=auto,lr=0.001,batch=128,loss=kd", StudentSpec.Parse("mlp:8").ToString());
        Assert.True(StudentSpec.Parse("mlp:8:loss=hint").NeedsTeacherHint);
        Assert.False(StudentSpec.Parse("mlp:8").NeedsTeacherHint);
        Assert.Equal("kd", StudentSpec.Parse("lightgbm").Loss);
    }

    [Fact]
    public void Parse_MlpEpochsAuto_IsTheLibraryScheduleAndRoundTrips()
    {
        var automatic = StudentSpec.Parse("mlp:8");
        var spelled = StudentSpec.Parse("mlp:8:epochs=AUTO");

        Assert.Equal(new MLNetDistill.Students.Mlp.MlpTrainerOptions().Epochs, automatic["epochs"]);
        Assert.Equal(automatic, spelled);
        Assert.Equal(automatic, StudentSpec.Parse(automatic.ToString()));
        Assert.Equal(20, StudentSpec.Parse("mlp:8:epochs=20")["epochs"]);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => StudentSpec.Parse("mlp:8:epochs=0"));
        Assert.Contains("it takes a number from 1 to 100000 or auto (default auto)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LogitsWithoutRegressor_ThrowsWithSpelling()
    {
        var ex = Assert.Throws<ArgumentException>(() => StudentSpec.Parse("logits:sdca"));
        Assert.Contains("logits:fasttree[:trees=N,leaves=N]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'logits:sdca'", ex.Message, StringComparison.Ordinal);
    }
}
