using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Students;

namespace MLNetDistill.Tests.Students;

/// <summary><c>minleaf=N</c> reaches LightGbm as its smallest leaf, and <c>auto</c> (the default) leaves the choice to ML.NET.</summary>
public sealed class LightGbmStudentTests(ServingData data) : IClassFixture<ServingData>
{
    [Fact]
    public void Parse_MinLeaf_DefaultsToAutoAndRoundTrips()
    {
        var auto = StudentSpec.Parse("lightgbm:trees=5");
        Assert.Equal("lightgbm:trees=5,leaves=31,lr=0.1", auto.ToString());
        var set = StudentSpec.Parse("lightgbm:trees=5,minleaf=20");
        Assert.Equal(20, set["minleaf"]);
        Assert.Equal(set, StudentSpec.Parse(set.ToString()));
        Assert.Contains("out of range", Assert.ThrowsAny<ArgumentException>(() => StudentSpec.Parse("lightgbm:minleaf=0")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_MinLeafAboveRowCount_MakesNoSplitsSoEveryRowScoresAlike()
    {
        float[][] auto = Scores("lightgbm:trees=5");
        float[][] stump = Scores("lightgbm:trees=5,minleaf=100000");

        // With no leaf allowed fewer than 100,000 rows, no tree splits the 300 rows: one score vector for all test rows.
        Assert.All(stump, s => Assert.Equal(stump[0], s));
        Assert.Contains(auto, s => !s.SequenceEqual(auto[0]));
    }

    private float[][] Scores(string text)
    {
        var ml = new MLContext(1);
        var spec = StudentSpec.Parse(text);
        var trainers = StudentRegistry.Get(spec).Build(spec, new StudentBuildContext(ml, Classes: 10, Temperature: 1f, Alpha: 0.5f, Seed: 1));
        var model = trainers.Distilled.Fit(data.Multiclass.Train);
        try
        {
            return model.Transform(data.Multiclass.Test).GetColumn<float[]>("Score").Take(50).ToArray();
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }
}
