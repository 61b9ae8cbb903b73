using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Tests.Experiments;

/// <summary>
/// An MLP spec's schedule through the catalog path (<see cref="DistillationExperiment"/> with
/// <see cref="DistillationStudent.FromSpec"/>): an explicit <c>epochs=N</c> with an augment runs all N epochs unless the
/// spec gives <c>patience=N</c>; 300 Fashion-MNIST rows, the CNN teacher.
/// </summary>
public sealed class DistillationExperimentPatienceTests
{
    private const int Budget = 25;

    [Fact]
    public void Run_AugmentWithExplicitEpochs_RunsTheWholeBudget()
    {
        var history = Train($"mlp:32:augment=shift,flip=1,epochs={Budget},lr=0.01");

        Assert.Equal(Budget, history.Count);
        Assert.Equal(Enumerable.Range(1, Budget), history.Select(e => e.Epoch));
        Assert.All(history, e => Assert.Equal(Budget, e.Epochs));
        Assert.DoesNotContain(history, e => e.Refit);
    }

    [Fact]
    public void Run_AugmentWithExplicitEpochsAndPatience_StopsEarly()
    {
        var history = Train($"mlp:32:augment=shift,flip=1,epochs={Budget},lr=0.01,patience=1");

        Assert.InRange(history.Count, 2, Budget - 1);
        Assert.False(history[^1].IsBest); // it stopped on an epoch that did not improve
    }

    [Fact]
    public void Run_PatienceZeroWithoutAugment_RunsTheWholeBudget()
    {
        var history = Train($"mlp:32:epochs={Budget},lr=0.01,patience=0");

        Assert.Equal(Budget, history.Count);
    }

    private static IReadOnlyList<MlpEpochProgress> Train(string spec)
    {
        var ml = new MLContext(seed: 1);
        IDataView all = DataSourceReader.Load(TestPaths.FashionImages);
        IDataView train = ml.Data.TakeRows(ml.Data.SkipRows(all, 2000), 300);
        IDataView test = ml.Data.TakeRows(all, 100);
        var options = new DistillationExperimentOptions { TeacherModelFile = TestPaths.FashionTeacher, Seed = 1 };
        options.Students.Add(DistillationStudent.FromSpec(spec));
        using var result = new DistillationExperiment(ml, options).Run(train, test);
        return ((MlpStudentTransformer)result.Students[0].Distilled.Model).History;
    }
}
