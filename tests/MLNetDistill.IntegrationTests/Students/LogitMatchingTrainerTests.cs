using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Students;

namespace MLNetDistill.Tests.Students;

public sealed class LogitMatchingTrainerTests
{
    [Fact]
    public void Fit_FashionTeacherLogits_PredictsLogitsAndSavesAsMlNetModel()
    {
        var ml = new MLContext(1);
        var data = ml.Data.Cache(ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 400));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);
        var scored = ml.Data.Cache(teacher.Transform(data));
        var student = ml.MulticlassClassification.Trainers.LogitMatching(label => ml.Regression.Trainers.FastTree(labelColumnName: label, numberOfTrees: 10, numberOfLeaves: 8)).Fit(scored);
        var predicted = student.Transform(scored);
        Assert.Equal(10, ((VectorDataViewType)predicted.Schema["Score"].Type).Size);
        var metrics = DistillationEvaluation.Evaluate(predicted, scoresAreLogits: true);
        Assert.InRange(metrics.Agreement, 0.7, 1.0);

        string path = TestPaths.TempFile(".zip");
        ml.Model.Save(student, data.Schema, path);
        ml.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly); // the predicted-class step is a CustomMapping
        var loaded = ml.Model.Load(path, out _);
        Assert.Equal(predicted.GetColumn<float[]>("Score").First(), loaded.Transform(data).GetColumn<float[]>("Score").First());
    }

    [Fact]
    public void Parse_LogitsFastTree_ReadsOptions()
    {
        var spec = StudentSpec.Parse("logits:fasttree:trees=50");
        Assert.Equal("logits", spec.Family);
        Assert.Equal(50, spec["trees"]);
        var ex = Assert.Throws<ArgumentException>(() => StudentSpec.Parse("logits:sdca"));
        Assert.Contains("logits:fasttree[:trees=N,leaves=N]", ex.Message, StringComparison.Ordinal);
    }
}
