using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.SoftLabels;
using MLNetDistill.Numerics;
using SoftLabelMath = MLNetDistill.Numerics.SoftLabelMath;

namespace MLNetDistill.Tests.SoftLabels;

public sealed class TemperatureSoftLabelsDataViewTests
{
    private readonly MLContext _ml = new(seed: 0);

    private IDataView Fashion(int rows) => _ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), rows);

    [Theory]
    [InlineData(2f)]
    [InlineData(4f)]
    public void GetGetter_OtherTemperature_MatchesTheTeacherScoredAtThatTemperature(float temperature)
    {
        var data = Fashion(200);
        using var atOne = _ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);
        using var atT = _ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher, temperature: temperature).Fit(data);

        var recomputed = new TemperatureSoftLabelsDataView(_ml.Data.Cache(atOne.Transform(data)), temperature).GetColumn<float[]>(DataColumnNames.SoftLabels).ToArray();
        var scored = atT.Transform(data).GetColumn<float[]>(DataColumnNames.SoftLabels).ToArray();

        Assert.Equal(200, recomputed.Length);
        for (int r = 0; r < scored.Length; r++)
        {
            Assert.Equal(scored[r], recomputed[r], new FloatComparer(1e-5));
        }
    }

    [Fact]
    public void GetGetter_HigherTemperature_SoftLabelsHaveHigherEntropy()
    {
        var data = Fashion(200);
        using var teacher = _ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);
        var scored = _ml.Data.Cache(teacher.Transform(data));

        double atOne = MeanEntropy(scored.GetColumn<float[]>(DataColumnNames.SoftLabels));
        double atFour = MeanEntropy(new TemperatureSoftLabelsDataView(scored, 4f).GetColumn<float[]>(DataColumnNames.SoftLabels));

        Assert.True(atFour > atOne + 0.1, $"mean entropy at T = 4 ({atFour:F4} nats) should exceed T = 1 ({atOne:F4} nats)");
        Assert.InRange(atFour, 0, Math.Log(10) + 1e-9);
    }

    [Fact]
    public void Schema_ScoredRows_KeepsEveryColumnInPlaceAndTheOtherColumnsUnchanged()
    {
        var data = Fashion(50);
        using var teacher = _ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);
        var scored = _ml.Data.Cache(teacher.Transform(data));

        var view = new TemperatureSoftLabelsDataView(scored, 3f);

        Assert.Equal(scored.Schema.Where(c => !c.IsHidden).Select(c => c.Name), view.Schema.Select(c => c.Name));
        Assert.Equal(scored.Schema[DataColumnNames.SoftLabels].Type, view.Schema[DataColumnNames.SoftLabels].Type);
        Assert.Equal(scored.GetColumn<float[]>(DataColumnNames.TeacherLogits).SelectMany(v => v), view.GetColumn<float[]>(DataColumnNames.TeacherLogits).SelectMany(v => v));
        Assert.Equal(scored.GetColumn<float>(DataColumnNames.Label), view.GetColumn<float>(DataColumnNames.Label));
    }

    [Fact]
    public void Constructor_NoTeacherLogits_ThrowsNamingTheColumn()
    {
        var e = Assert.Throws<ArgumentException>(() => new TemperatureSoftLabelsDataView(Fashion(10), 4f));

        Assert.Contains("'TeacherLogits'", e.Message, StringComparison.Ordinal);
        Assert.Contains("T = 4", e.Message, StringComparison.Ordinal);
    }

    private static double MeanEntropy(IEnumerable<float[]> rows)
    {
        double sum = 0;
        int n = 0;
        foreach (var p in rows)
        {
            sum += SoftLabelMath.Entropy(p);
            n++;
        }

        return sum / n;
    }
}
