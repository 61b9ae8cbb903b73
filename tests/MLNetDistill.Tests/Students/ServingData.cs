using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Students;

/// <summary>
/// Small real data sets scored by their real teachers, once per test class: the embedded Fashion-MNIST subset and CNN
/// teacher (multiclass), breast cancer with its binary teacher, diabetes with its regression teacher.
/// </summary>
public sealed class ServingData : IDisposable
{
    private readonly List<IDisposable> _teachers = [];

    public ServingData()
    {
        var ml = new MLContext(1);
        var fashion = IdxReader.Load(TestPaths.FashionImages);
        Multiclass = Score(ml, ml.Data.TakeRows(fashion, 300), ml.Data.TakeRows(ml.Data.SkipRows(fashion, 9000), 200), new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher });
        var cancer = ml.Data.TrainTestSplit(ml.Data.Cache(CsvFeatureReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label")), testFraction: 0.3, seed: 3);
        Binary = Score(ml, cancer.TrainSet, cancer.TestSet, new TeacherScoringOptions { ModelFile = TestPaths.Fixture("binary_teacher.onnx") });
        var diabetes = ml.Data.TrainTestSplit(ml.Data.Cache(CsvFeatureReader.Load(TestPaths.Fixture("diabetes.csv"), "target")), testFraction: 0.3, seed: 4);
        Regression = Score(ml, diabetes.TrainSet, diabetes.TestSet, new TeacherScoringOptions { ModelFile = TestPaths.Fixture("regression_teacher.onnx"), Task = TeacherTask.Regression });
    }

    /// <summary>Gets 300 Fashion-MNIST rows scored by the CNN teacher, and 200 other rows (Features, Label) to serve.</summary>
    public Split Multiclass { get; }

    /// <summary>Gets breast-cancer rows scored by the binary teacher, and held-out rows to serve.</summary>
    public Split Binary { get; }

    /// <summary>Gets diabetes rows scored by the regression teacher, and held-out rows to serve.</summary>
    public Split Regression { get; }

    public Split For(TeacherTask task) => task switch
    {
        TeacherTask.Multiclass => Multiclass,
        TeacherTask.Binary => Binary,
        _ => Regression,
    };

    public void Dispose()
    {
        foreach (var teacher in _teachers)
        {
            teacher.Dispose();
        }
    }

    private Split Score(MLContext ml, IDataView train, IDataView test, TeacherScoringOptions options)
    {
        train = ml.Data.Cache(train);
        var teacher = ml.Transforms.ScoreWithTeacher(options).Fit(train);
        _teachers.Add(teacher);
        int width = ((Microsoft.ML.Data.VectorDataViewType)train.Schema[DataColumnNames.Features].Type).Size;
        return new Split(ml.Data.Cache(teacher.Transform(train)), ml.Data.Cache(test), width);
    }

    /// <summary>Training rows with the teacher's columns, test rows as a user serves them (Features, Label), and the feature count.</summary>
    public sealed record Split(IDataView Train, IDataView Test, int Width);
}
