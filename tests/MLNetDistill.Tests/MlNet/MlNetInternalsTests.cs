using Microsoft.ML;
using MLNetDistill.MlNet;

namespace MLNetDistill.Tests.MlNet;

/// <summary>
/// The ML.NET internals MLNetDistill reaches through reflection (all of them live in <c>MlNet/</c>) must all be found in
/// the ML.NET this build runs on; a new ML.NET that moves one fails here, naming the member and the version, before a
/// user meets a silent fallback (no warnings in the log, no GPU settings, no cancellation, no parameter count).
/// </summary>
public sealed class MlNetInternalsTests
{
    [Fact]
    public void Check_ThisMlNet_FindsEveryReflectedMember()
    {
        var all = MlNetInternals.Check();
        var missing = all.Where(m => !m.Found).Select(m => $"{m.Member} (used by MlNet/{m.UsedBy})").ToList();

        Assert.True(missing.Count == 0, $"ML.NET {MlNetInternals.Version} no longer has {missing.Count} member(s) MLNetDistill reflects on: {string.Join("; ", missing)}. Update src/MLNetDistill/MlNet/ for this ML.NET.");
        Assert.Equal(13, all.Count);
        Assert.Contains(all, m => m.Member.Contains("IInternalCatalog.Environment", StringComparison.Ordinal) && m.UsedBy == nameof(CatalogEnvironment));
        Assert.Contains(all, m => m.Member.Contains("OneVersusAllModelParameters.SubModelParameters", StringComparison.Ordinal) && m.UsedBy == nameof(ModelParameterParts));
    }

    [Fact]
    public void TrainerColumnsRead_WeightedAndMetaTrainers_GivesTheirLabelAndWeightColumns()
    {
        var ml = new MLContext(0);

        var sdca = TrainerColumns.Read(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Target", exampleWeightColumnName: "W"));
        var ova = TrainerColumns.Read(ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree(exampleWeightColumnName: "W2"), labelColumnName: "Target2"));
        var unweighted = TrainerColumns.Read(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());

        Assert.Equal(("Target", "W"), sdca);
        Assert.Equal(("Target2", "W2"), ova);
        Assert.Equal("Label", unweighted.Label);
        Assert.True(string.IsNullOrEmpty(unweighted.Weight));
    }

    [Fact]
    public void CatalogEnvironmentGet_AnyCatalogOfOneContext_GivesTheSameEnvironment()
    {
        var ml = new MLContext(0);

        var fromTransforms = CatalogEnvironment.Get(ml.Transforms);
        var fromTrainers = CatalogEnvironment.Get(ml.MulticlassClassification.Trainers);

        Assert.NotNull(fromTransforms);
        Assert.Same(fromTransforms, fromTrainers);
        Assert.IsType<TransformsCatalog>(CatalogEnvironment.Transforms(ml.MulticlassClassification.Trainers));
    }
}
