using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Teachers;

/// <summary>
/// The tabular teachers of the augmentation proof (samples/teachers/make_tabular_teachers.py): UCI digits and breast cancer,
/// each trained on its training CSV only. Their ONNX graphs scale the raw CSV features themselves.
/// </summary>
public sealed class TabularTeacherFixtureTests
{
    private static readonly FloatComparer Tol = new(1e-4);

    [Fact]
    public void ScoreWithTeacher_DigitsTestRows_MatchesPyTorchLogits()
    {
        var ml = new MLContext(1);
        var golden = Golden.Load("golden_digits_teacher.json");
        var expected = golden.Matrix("logits");
        var data = ml.Data.TakeRows(CsvFeatureReader.Load(TestPaths.Fixture("digits_test.csv"), "label"), expected.Length);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("digits_teacher.onnx")).Fit(data);
        var scored = teacher.Transform(data);
        var logits = scored.GetColumn<float[]>("TeacherLogits").ToArray();
        Assert.Equal(5, logits.Length);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r], logits[r], Tol);
        }

        Assert.Equal(golden.Vector("labels"), scored.GetColumn<float>("Label").ToArray());
        Assert.Equal(TeacherTask.Multiclass, teacher.Task);
        Assert.Equal(10, teacher.ClassCount);
    }

    [Fact]
    public void ScoreWithTeacher_BreastCancerTestRows_MatchesPyTorchLogit()
    {
        var ml = new MLContext(1);
        var golden = Golden.Load("golden_breast_cancer_teacher.json");
        var expected = golden.Matrix("logit");
        var data = ml.Data.TakeRows(CsvFeatureReader.Load(TestPaths.Fixture("breast_cancer_test.csv"), "label"), expected.Length);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("breast_cancer_teacher.onnx")).Fit(data);
        var scored = teacher.Transform(data);
        var logits = scored.GetColumn<float[]>("TeacherLogits").ToArray();
        Assert.Equal(5, logits.Length);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal([0f, expected[r][0]], logits[r], Tol); // one logit z is scored as class logits [0, z]
        }

        Assert.Equal(golden.Vector("labels"), scored.GetColumn<float>("Label").ToArray());
        Assert.Equal(TeacherTask.Binary, teacher.Task);
        Assert.Equal(2, teacher.ClassCount);
    }

    [Theory]
    [InlineData("digits", 1078, 719)]
    [InlineData("breast_cancer", 341, 228)]
    public void ScoreWithTeacher_HeldOutCsv_AccuracyIsTheScriptsFigure(string set, int trainRows, int testRows)
    {
        var ml = new MLContext(1);
        using var report = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("tabular_teachers_report.json")));
        var entry = report.RootElement.GetProperty(set + "_teacher.onnx");
        var test = CsvFeatureReader.Load(TestPaths.Fixture(set + "_test.csv"), "label");
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.Fixture(set + "_teacher.onnx")).Fit(test);
        var scored = teacher.Transform(test);
        var logits = scored.GetColumn<float[]>("TeacherLogits").ToArray();
        var labels = scored.GetColumn<float>("Label").ToArray();
        int correct = logits.Zip(labels).Count(p => ArgMax(p.First) == (int)p.Second);

        Assert.Equal(testRows, logits.Length);
        Assert.Equal(testRows, entry.GetProperty("testRows").GetInt32());
        Assert.Equal(trainRows, entry.GetProperty("trainRows").GetInt32());
        Assert.Equal(trainRows, CsvFeatureReader.Load(TestPaths.Fixture(set + "_train.csv"), "label").GetColumn<float>("Label").Count());
        Assert.Equal(entry.GetProperty("heldOutCorrect").GetInt32(), correct);
        Assert.Equal(entry.GetProperty("heldOutAccuracy").GetDouble(), (double)correct / testRows, 12);
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
