using System.Globalization;
using Microsoft.ML;
using MLNetDistill.Losses;
using MLNetDistill.Numerics;
using MLNetDistill.Students;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Tests.Numerics;

public sealed class SoftLabelMathTests
{
    private static readonly FloatComparer Tol = new(1e-6);

    [Fact]
    public void Softmax_GoldenValues_MatchesPyTorch()
    {
        // torch.softmax(torch.tensor([1., 2., 3.]) / 2, 0)
        float[] dst = new float[3];
        SoftLabelMath.Softmax([1f, 2f, 3f], 2f, dst);
        Assert.Equal([0.18632372f, 0.30719590f, 0.50648040f], dst, Tol);
    }

    [Theory]
    [InlineData(1, 1f)]
    [InlineData(7, 0.5f)]
    [InlineData(13, 4f)]
    [InlineData(37, 20f)]
    public void Softmax_AnySize_SumsToOneAndMatchesLogSoftmax(int size, float temperature)
    {
        var rng = new Random(size);
        float[] z = new float[size];
        for (int i = 0; i < size; i++)
        {
            z[i] = (float)(rng.NextDouble() * 40 - 20);
        }

        float[] p = new float[size];
        float[] logp = new float[size];
        SoftLabelMath.Softmax(z, temperature, p);
        SoftLabelMath.LogSoftmax(z, temperature, logp);
        Assert.Equal(1.0, p.Sum(), 1e-5);
        for (int i = 0; i < size; i++)
        {
            Assert.Equal(p[i], MathF.Exp(logp[i]), 1e-5f);
        }
    }

    [Fact]
    public void Softmax_HugeLogits_DoesNotOverflow()
    {
        float[] p = new float[2];
        SoftLabelMath.Softmax([1e30f, -1e30f], 1f, p);
        Assert.Equal([1f, 0f], p, Tol);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Softmax_BadTemperature_ThrowsNamingValue(float temperature)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SoftLabelMath.Softmax([1f, 2f], temperature, new float[2]));
        Assert.Equal("temperature", ex.ParamName);
        Assert.Contains("positive finite", ex.Message);
        Assert.Contains($"but was {temperature.ToString(CultureInfo.CurrentCulture)}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 0.1f, 0.6f, 0.3f }, 0.3f)]
    [InlineData(new[] { 0.6f, 0.3f, 0.1f }, 0.3f)]
    [InlineData(new[] { 0.4f, 0.4f, 0.2f }, 0f)]
    [InlineData(new[] { 0.7f }, 0.7f)]
    [InlineData(new float[0], 0f)]
    public void Margin_Row_IsTopMinusRunnerUp(float[] p, float expected) =>
        Assert.Equal(expected, SoftLabelMath.Margin(p), 1e-6f);

    [Fact]
    public void KlDivergence_GoldenValue_MatchesHandComputed()
    {
        // 0.5 ln(0.5/0.25) + 0.5 ln(0.5/0.75)
        double expected = 0.5 * Math.Log(2) + 0.5 * Math.Log(0.5 / 0.75);
        Assert.Equal(expected, SoftLabelMath.KlDivergence([0.5f, 0.5f], [0.25f, 0.75f]), 1e-7);
        Assert.Equal(0, SoftLabelMath.KlDivergence([1f, 0f], [1f, 0f]), 1e-12);
    }

    [Fact]
    public void MixWithHardLabel_HalfAlpha_AveragesWithOneHot()
    {
        float[] soft = [0.2f, 0.8f, 0f];
        SoftLabelMath.MixWithHardLabel(soft, 2, 0.5f);
        Assert.Equal([0.1f, 0.4f, 0.5f], soft, Tol);
    }

    [Fact]
    public void MixWithHardLabel_LabelOutOfRange_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SoftLabelMath.MixWithHardLabel(new float[3], 3, 0.5f));
        Assert.Equal("label", ex.ParamName);
        Assert.Contains("Label 3 is outside the class range [0, 2]", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.5f)]
    [InlineData(1f)]
    public void CheckAlpha_InUnitInterval_DoesNotThrow(float alpha) => SoftLabelMath.CheckAlpha(alpha);

    [Theory]
    [InlineData(-0.1f, "-0.1")]
    [InlineData(1.5f, "1.5")]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    public void CheckAlpha_OutsideUnitInterval_ThrowsQuotingValueAndRange(float alpha, string quoted)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SoftLabelMath.CheckAlpha(alpha, "Alpha"));
        Assert.Equal("Alpha", ex.ParamName);
        Assert.Equal(alpha, ex.ActualValue);
        Assert.StartsWith($"Alpha must be in [0, 1] (the weight of the teacher's term; 1 - alpha weighs the hard label) but was {quoted}.", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Every place that takes an alpha reports a bad one with the same sentence, naming its own parameter or option.</summary>
    public static TheoryData<string, string, Action> AlphaTakers()
    {
        var ml = new MLContext(1);
        const float bad = 1.5f;
        return new TheoryData<string, string, Action>
        {
            { "MixWithHardLabel", "alpha", () => SoftLabelMath.MixWithHardLabel(new float[3], 0, bad) },
            { "KdLoss", "alpha", () => _ = new KdLoss(1f, bad, 3) },
            { "RegressionDistillationLoss", "alpha", () => _ = new RegressionDistillationLoss(bad) },
            { "SoftLabel (multiclass)", "Alpha", () => ml.MulticlassClassification.Trainers.SoftLabel(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(exampleWeightColumnName: "Weight"), bad) },
            { "SoftLabel (binary)", "Alpha", () => ml.BinaryClassification.Trainers.SoftLabel(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(exampleWeightColumnName: "Weight"), bad) },
            { "SoftTarget", "Alpha", () => ml.Regression.Trainers.SoftTarget(ml.Regression.Trainers.Sdca(labelColumnName: "Target"), alpha: bad) },
            { "DistillMlp", "Alpha", () => ml.MulticlassClassification.Trainers.DistillMlp([4], alpha: bad) },
            { "MlpTrainerOptions", "Alpha", () => new MlpTrainerOptions { Alpha = bad }.Validate() },
            { "StudentTargets.Mix", "alpha", () => StudentTargets.Mix(ml.Data.LoadFromEnumerable(new[] { new { TeacherScore = 1f } }), "TeacherScore", "Label", "Target", bad) },
        };
    }

    [Theory]
    [MemberData(nameof(AlphaTakers))]
    public void CheckAlpha_EveryAlphaTaker_SameMessage(string taker, string parameter, Action build)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(build);
        Assert.True(parameter == ex.ParamName, $"{taker} names '{ex.ParamName}', expected '{parameter}'");
        Assert.StartsWith($"{parameter} must be in [0, 1] (the weight of the teacher's term; 1 - alpha weighs the hard label) but was 1.5.", ex.Message, StringComparison.Ordinal);
    }
}
