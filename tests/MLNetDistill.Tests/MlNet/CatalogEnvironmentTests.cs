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
        // A signal, not a timer: SDCA's own channel logs (its thread count, its tuned L2) once its training loop is about to
        // start, so the cancel lands inside the 1,000 iterations whatever the machine's load.
        using var training = new ManualResetEventSlim();
        ml.Log += (_, e) =>
        {
            if (e.Source?.Contains("Sdca", StringComparison.OrdinalIgnoreCase) == true)
            {
                training.Set();
            }
        };
        var fit = Task.Run(() => pipeline.Fit(data));
        WaitHandle.WaitAny([training.WaitHandle, ((IAsyncResult)fit).AsyncWaitHandle], TimeSpan.FromMinutes(2));
        Assert.True(training.IsSet, "SDCA never logged from its training channel (did ML.NET rename it?)");
        Assert.False(fit.IsCompleted, "SDCA finished before it could be cancelled: the test needs a longer fit");

        var watch = Stopwatch.StartNew();
        bool cancelled = CatalogEnvironment.TryCancel(ml);
        var error = Record.Exception(() => fit.GetAwaiter().GetResult());

        Assert.True(cancelled);
        Assert.NotNull(error);
        Assert.True(Chain(error).Any(e => e is OperationCanceledException), error.ToString());
        // Generous, for a loaded machine: what matters is that the trainer stops at its next check instead of running on.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"SDCA took {watch.ElapsedMilliseconds} ms to stop");
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
        }
    }
}
