using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;

namespace MLNetDistill.Tests.Reports;

/// <summary>
/// One real student-size comparison shared by a test class: the Fashion-MNIST CNN teacher, two students (SDCA and a small
/// MLP) trained on 1,200 rows of the embedded t10k set and measured on the next 300 labeled rows.
/// </summary>
public sealed class FashionComparison : IDisposable
{
    public FashionComparison()
    {
        var all = IdxReader.Load(TestPaths.FashionImages);
        var train = Ml.Data.TakeRows(all, 1200);
        var test = Ml.Data.TakeRows(Ml.Data.SkipRows(all, 1200), 300);
        Result = new StudentSizeExperiment(Ml)
            .SetTeacher(TestPaths.FashionTeacher)
            .AddStudents(Students)
            .SetAccuracyTolerance(0.10)
            .Run(train, test);
    }

    public static string[] Students { get; } = ["sdca", "mlp:32:epochs=4"];

    public MLContext Ml { get; } = new(seed: 0);

    public StudentSizeExperimentResult Result { get; }

    public void Dispose() => Result.Dispose();
}
