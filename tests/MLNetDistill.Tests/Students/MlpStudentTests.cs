using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Students;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Students;

/// <summary>The mlp spec's consistent-teaching keys (augment, a, shift, flip, image) and the trainer options they build.</summary>
public sealed class MlpStudentTests : IDisposable
{
    private readonly MLContext _ml = new(seed: 1);
    private readonly TeacherScoringTransformer _teacher;

    public MlpStudentTests()
    {
        var rows = _ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 8);
        _teacher = _ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher }).Fit(rows);
    }

    public void Dispose() => _teacher.Dispose();

    [Theory]
    [InlineData("mlp:128:augment=mixup+shift", "mlp:128:epochs=auto,lr=0.001,batch=128,loss=kd,augment=mixup+shift")]
    [InlineData("mlp:128:augment=mixup+shift,shift=3,flip=1,a=0.4", "mlp:128:epochs=auto,lr=0.001,batch=128,a=0.4,shift=3,flip=1,loss=kd,augment=mixup+shift")]
    [InlineData("mlp:64:augment=shift,image=28,epochs=50", "mlp:64:epochs=50,lr=0.001,batch=128,image=28,loss=kd,augment=shift")]
    [InlineData("mlp:64:augment=shift,image=auto", "mlp:64:epochs=auto,lr=0.001,batch=128,loss=kd,augment=shift")]
    public void Parse_ShiftKeys_RoundTripsThroughCanonicalTextAndNeedsLiveTeacher(string text, string canonical)
    {
        var spec = StudentSpec.Parse(text);
        Assert.Equal(canonical, spec.ToString());
        Assert.Equal(spec, StudentSpec.Parse(spec.ToString()));
        Assert.True(spec.NeedsLiveTeacher);
    }

    [Fact]
    public void Parse_ShiftDefault_IsTwoPixelsNoFlipSquareImage()
    {
        var spec = StudentSpec.Parse("mlp:128:augment=shift");
        Assert.Equal(2, spec["shift"]);
        Assert.Equal(0, spec["flip"]);
        Assert.Equal(0, spec["image"]);
    }

    [Theory]
    [InlineData("mlp:128:augment=shift,shift=65", "shift=65", "from 0 to 64")]
    [InlineData("mlp:128:augment=shift,shift=-1", "shift=-1", "from 0 to 64")]
    [InlineData("mlp:128:augment=shift,flip=2", "flip=2", "from 0 to 1")]
    [InlineData("mlp:128:augment=shift,image=0", "image=0", "from 1 to 100000 or auto")]
    public void Parse_ShiftKeyOutOfRange_ThrowsQuotingValueAndRange(string text, string quoted, string range)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => StudentSpec.Parse(text));
        Assert.Contains(quoted, ex.Message, StringComparison.Ordinal);
        Assert.Contains(range, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownAugment_ListsShiftValues()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => StudentSpec.Parse("mlp:128:augment=crop"));
        Assert.Contains("none, mixup, shift or mixup+shift", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainerOptions_MixupShiftFlipImage_SetsNetworkOptions()
    {
        var options = Build("mlp:128:augment=mixup+shift,shift=3,flip=1,image=28,a=0.5,epochs=40");
        var network = options.Network;
        Assert.Equal(MlpAugmentation.Mixup | MlpAugmentation.Shift, network.Augmentation);
        Assert.Equal(3, network.ShiftPixels);
        Assert.True(network.HorizontalFlip);
        Assert.Equal(28, network.ImageWidth);
        Assert.Equal(0.5f, network.MixupAlpha);
        Assert.Equal(40, network.Epochs);
        Assert.Same(_teacher, options.Teacher);
    }

    [Fact]
    public void TrainerOptions_ShiftAlone_IsShiftWithoutMixupOnASquareImage()
    {
        var network = Build("mlp:128:augment=shift").Network;
        Assert.Equal(MlpAugmentation.Shift, network.Augmentation);
        Assert.Equal(2, network.ShiftPixels);
        Assert.False(network.HorizontalFlip);
        Assert.Equal(0, network.ImageWidth);
    }

    [Fact]
    public void TrainerOptions_Mixup_StaysMixupOnly()
    {
        var network = Build("mlp:128:augment=mixup").Network;
        Assert.Equal(MlpAugmentation.Mixup, network.Augmentation);
        Assert.False(network.HorizontalFlip);
    }

    [Fact]
    public void TrainerOptions_HardLabelTwin_IsNotAugmented()
    {
        var twin = new MlpStudent().TrainerOptions(StudentSpec.Parse("mlp:128:augment=mixup+shift,flip=1"), Context(), hardLabels: true);
        Assert.Equal(MlpAugmentation.None, twin.Network.Augmentation);
        Assert.Null(twin.Teacher);
    }

    [Theory]
    [InlineData("mlp:128:augment=mixup,flip=1", "flip=1")]
    [InlineData("mlp:128:shift=3", "shift=3")]
    [InlineData("mlp:128:augment=none,image=28", "image=28")]
    public void TrainerOptions_ShiftKeyWithoutShiftAugment_ThrowsNamingKeyAndFix(string text, string key)
    {
        var ex = Assert.Throws<ArgumentException>(() => Build(text));
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        Assert.Contains("use augment=shift or augment=mixup+shift", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mlp:128:augment=shift,shift=1.5")]
    [InlineData("mlp:128:augment=shift,image=27.5")]
    [InlineData("mlp:128:augment=shift,flip=0.5")]
    public void TrainerOptions_FractionalShiftFlipOrImage_ThrowsAskingForWholeNumber(string text)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Build(text));
        Assert.Contains("whole number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainerOptions_ShiftWithoutTeacher_ThrowsAskingForTeacherModel()
    {
        var noTeacher = new StudentBuildContext(_ml, 10, 1f, 0.9f, 0);
        var ex = Assert.Throws<ArgumentException>(() => new MlpStudent().TrainerOptions(StudentSpec.Parse("mlp:128:augment=shift"), noTeacher, hardLabels: false));
        Assert.Contains("augment=shift", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Give the teacher model", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mlp:128:augment=shift,flip=1,epochs=1000", 0)]
    [InlineData("mlp:128:augment=mixup,epochs=200", 0)]
    [InlineData("mlp:128:augment=mixup+shift,epochs=50", 0)]
    [InlineData("mlp:128:augment=shift,flip=1", 5)]
    [InlineData("mlp:128:epochs=1000", 5)]
    [InlineData("mlp:128", 5)]
    [InlineData("mlp:128:augment=shift,flip=1,epochs=1000,patience=20", 20)]
    [InlineData("mlp:128:epochs=40,patience=0", 0)]
    [InlineData("mlp:128:patience=auto", 5)]
    public void TrainerOptions_Patience_ExplicitBudgetWithAugmentIsPatientUnlessGiven(string text, int patience)
    {
        Assert.Equal(patience, Build(text).Network.EarlyStoppingPatience);
    }

    [Fact]
    public void TrainerOptions_HardLabelTwinOfAugmentedBudget_KeepsTrainerPatienceUnlessGiven()
    {
        var twin = new MlpStudent().TrainerOptions(StudentSpec.Parse("mlp:128:augment=shift,flip=1,epochs=1000"), Context(), hardLabels: true);
        Assert.Equal(new MlpTrainerOptions().EarlyStoppingPatience, twin.Network.EarlyStoppingPatience);
        var given = new MlpStudent().TrainerOptions(StudentSpec.Parse("mlp:128:augment=shift,epochs=1000,patience=7"), Context(), hardLabels: true);
        Assert.Equal(7, given.Network.EarlyStoppingPatience);
    }

    [Theory]
    [InlineData("mlp:128:augment=shift,flip=1,epochs=1000", "mlp:128:epochs=1000,lr=0.001,batch=128,flip=1,loss=kd,augment=shift")]
    [InlineData("mlp:128:augment=shift,flip=1,epochs=1000,patience=0", "mlp:128:epochs=1000,lr=0.001,batch=128,flip=1,patience=0,loss=kd,augment=shift")]
    [InlineData("mlp:128:patience=10", "mlp:128:epochs=auto,lr=0.001,batch=128,patience=10,loss=kd")]
    [InlineData("mlp:128:patience=auto", "mlp:128:epochs=auto,lr=0.001,batch=128,loss=kd")]
    public void Parse_Patience_RoundTripsThroughCanonicalText(string text, string canonical)
    {
        var spec = StudentSpec.Parse(text);
        Assert.Equal(canonical, spec.ToString());
        Assert.Equal(spec, StudentSpec.Parse(spec.ToString()));
    }

    [Theory]
    [InlineData("mlp:128:patience=-1", "patience=-1")]
    [InlineData("mlp:128:patience=10001", "patience=10001")]
    [InlineData("mlp:128:patience=off", "patience=off")]
    public void Parse_PatienceOutOfRange_ThrowsNamingRange(string text, string quoted)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => StudentSpec.Parse(text));
        Assert.Contains(quoted, ex.Message, StringComparison.Ordinal);
        Assert.Contains("from 0 to 10000 or auto", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainerOptions_FractionalPatience_ThrowsAskingForWholeNumber()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Build("mlp:128:patience=2.5"));
        Assert.Contains("whole number of epochs from 0 to 10000", ex.Message, StringComparison.Ordinal);
    }

    private MlpStudentOptions Build(string text) => new MlpStudent().TrainerOptions(StudentSpec.Parse(text), Context(), hardLabels: false);

    private StudentBuildContext Context() => new(_ml, 10, 1f, 0.9f, 0) { Teacher = _teacher };
}
