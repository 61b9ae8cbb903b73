using System.Diagnostics;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.MlNet;

namespace MLNetDistill.Tests.MlNet;

public sealed class CatalogEnvironmentTests
{
    [Fact]
    public void TryCancel_DuringSdcaFit_StopsTheTrainerWithOperationCanceled()
    {
        var ml = new MLContext(0);
        var data = ml.Data.Cache(IdxReader.Load(TestPaths.FashionImages));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("LabelKey", DataColumnNames.Label)
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("LabelKey", DataColumnNames.Features, maximumNumberOfIterations: 1000));
        var fit = Task.Run(() => pipeline.Fit(data));
        Thread.Sleep(500);
        Assert.False(fit.IsCompleted, "SDCA finished before it could be cancelled: the test needs a longer fit");

        var watch = Stopwatch.StartNew();
        bool cancelled = CatalogEnvironment.TryCancel(ml);
        var error = Record.Exception(() => fit.GetAwaiter().GetResult());

        Assert.True(cancelled);
        Assert.NotNull(error);
        Assert.True(Chain(error).Any(e => e is OperationCanceledException), error.ToString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1.5), $"SDCA took {watch.ElapsedMilliseconds} ms to stop");
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
        }
    }
}
