using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Serving;

/// <summary>The real Fashion-MNIST CNN teacher and a small MLP student, trained once for all the cascade tests.</summary>
public sealed class CascadeFixture : IDisposable
{
    public CascadeFixture()
    {
        var all = IdxReader.Load(TestPaths.FashionImages);
        var train = Ml.Data.Cache(Ml.Data.TakeRows(all, 1000));
        HeldOut = Ml.Data.Cache(Ml.Data.TakeRows(Ml.Data.SkipRows(all, 1000), 600));
        Test = Ml.Data.Cache(Ml.Data.TakeRows(Ml.Data.SkipRows(all, 8000), 400));
        Teacher = Ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        var options = new MlpStudentOptions();
        options.Network.HiddenLayerSizes = [32];
        options.Network.Epochs = 4;
        options.Network.BatchSize = 32;
        options.Network.Seed = 3;
        Student = Ml.MulticlassClassification.Trainers.DistillMlp(options).Fit(Ml.Data.Cache(Teacher.Transform(train)));
    }

    public MLContext Ml { get; } = new(seed: 1);

    public IDataView HeldOut { get; }

    public IDataView Test { get; }

    public TeacherScoringTransformer Teacher { get; }

    public MlpStudentTransformer Student { get; }

    public void Dispose()
    {
        Student.Dispose();
        Teacher.Dispose();
    }
}
