using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Evaluation;

/// <summary>
/// The binary and regression distillation evaluators against values computed by hand, and on the breast-cancer and diabetes
/// fixtures with their ONNX teachers against ML.NET's own evaluators.
/// <para>Binary rows (prediction: probability above 0.5):</para>
/// <code>
/// row  student q  teacher p  label  student  teacher
///  0   0.9        0.8        1      1 right  1 right
///  1   0.4        0.3        1      0 wrong  0 wrong
///  2   0.6        0.3        0      1 wrong  0 right
///  3   0.2        0.1        0      0 right  0 right
/// </code>
/// <para>Regression rows: target y = (1, 2, 3, 4), student s = (1.5, 2, 2.5, 5), teacher t = (1, 2, 3, 4.5).</para>
/// </summary>
public sealed class ScalarDistillationEvaluationTests
{
    private static readonly float[] Student = [0.9f, 0.4f, 0.6f, 0.2f];
    private static readonly float[] Teacher = [0.8f, 0.3f, 0.3f, 0.1f];
    private static readonly bool[] Truth = [true, true, false, false];

    [Fact]
    public void EvaluateBinary_HandMadeRows_MatchesHandComputedMetrics()
    {
        var q = new MLContext(1).BinaryClassification.EvaluateDistillation(BinaryView(vectorTeacher: true));

        // Student right on rows 0, 3: 1/2; teacher on 0, 2, 3: 3/4; retained 2/3. Same class on rows 0, 1, 3: 3/4.
        Assert.Equal(4, q.Rows);
        Assert.Equal(4, q.LabeledRows);
        Assert.Equal(0.5, q.Accuracy, 1e-9);
        Assert.Equal(0.75, q.TeacherAccuracy, 1e-9);
        Assert.Equal(2.0 / 3.0, q.RetainedAccuracy, 1e-9);
        Assert.Equal(0.75, q.Agreement, 1e-9);
        // Student AUC: positives {0.9, 0.4} over negatives {0.6, 0.2}: 0.9 beats both, 0.4 beats 0.2 only: 3/4.
        // Teacher AUC: positives {0.8, 0.3} over negatives {0.3, 0.1}: 0.8 beats both, 0.3 ties 0.3 (1/2) and beats 0.1: 3.5/4.
        Assert.Equal(0.75, q.Auc, 1e-9);
        Assert.Equal(0.875, q.TeacherAuc, 1e-9);
        // Log-loss: -(ln 0.9 + ln 0.4 + ln(1 - 0.6) + ln(1 - 0.2)) / 4 = 0.540271.
        Assert.Equal(0.540271, q.LogLoss, 1e-5);
        // KL per row: p ln(p/q) + (1-p) ln((1-p)/(1-q)); mean over the four rows = 0.071620.
        double kl = ((0.8 * Math.Log(0.8 / 0.9)) + (0.2 * Math.Log(0.2 / 0.1)) + (0.3 * Math.Log(0.3 / 0.4)) + (0.7 * Math.Log(0.7 / 0.6))
            + (0.3 * Math.Log(0.3 / 0.6)) + (0.7 * Math.Log(0.7 / 0.4)) + (0.1 * Math.Log(0.1 / 0.2)) + (0.9 * Math.Log(0.9 / 0.8))) / 4;
        Assert.Equal(kl, q.KlToTeacher, 1e-5);
        Assert.Equal(0.071620, q.KlToTeacher, 1e-5);
    }

    [Fact]
    public void EvaluateBinary_TeacherAsOneSingle_SameAsVectorOfTwo()
    {
        var options = new BinaryDistillationEvaluationOptions { TeacherColumnName = "TeacherPositive" };

        var scalar = DistillationEvaluation.EvaluateBinary(BinaryView(vectorTeacher: false), options);
        var vector = DistillationEvaluation.EvaluateBinary(BinaryView(vectorTeacher: true));

        Assert.Equal(vector.Agreement, scalar.Agreement);
        Assert.Equal(vector.TeacherAuc, scalar.TeacherAuc);
        Assert.Equal(vector.KlToTeacher, scalar.KlToTeacher, 1e-9);
    }

    [Fact]
    public void Auc_OneClassOnly_IsNaN()
    {
        Assert.True(double.IsNaN(ScalarDistillationEvaluator.Auc([0.2f, 0.9f], [true, true])));
    }

    [Fact]
    public void EvaluateBinary_TeacherVectorOfThree_ThrowsNamingTypeAndFix()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, [[0.2f, 0.3f, 0.5f]]);
        var view = ml.Transforms.CopyColumns("SoftLabels", "Features").Append(ml.Transforms.CopyColumns("Probability", "Label")).Fit(data).Transform(data);

        var ex = Assert.Throws<ArgumentException>(() => DistillationEvaluation.EvaluateBinary(view));

        Assert.Contains("'SoftLabels'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("vector of 2 Singles", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EvaluateRegression_HandMadeRows_MatchesHandComputedMetrics()
    {
        var q = new MLContext(1).Regression.EvaluateDistillation(RegressionView());

        // Student errors 0.5, 0, -0.5, 1: RMSE sqrt(1.5 / 4) = 0.612372, MAE 2 / 4 = 0.5; Σ(y - 2.5)² = 5, R² = 1 - 1.5 / 5 = 0.7.
        Assert.Equal(0.612372, q.Rmse, 1e-6);
        Assert.Equal(0.5, q.MeanAbsoluteError, 1e-9);
        Assert.Equal(0.7, q.RSquared, 1e-9);
        // Teacher errors 0, 0, 0, 0.5: RMSE sqrt(0.25 / 4) = 0.25, R² = 1 - 0.25 / 5 = 0.95.
        Assert.Equal(0.25, q.TeacherRmse, 1e-9);
        Assert.Equal(0.95, q.TeacherRSquared, 1e-9);
        // Student - teacher: 0.5, 0, -0.5, 0.5: sqrt(0.75 / 4) = 0.433013.
        Assert.Equal(0.433013, q.RmseToTeacher, 1e-6);
        // Pearson: Σ ds·dt = 6.625, Σ ds² = 7.25, Σ dt² = 6.6875: 6.625 / sqrt(7.25 · 6.6875) = 0.951448.
        Assert.Equal(0.951448, q.CorrelationWithTeacher, 1e-6);
    }

    [Fact]
    public void EvaluateRegression_ConstantTeacher_CorrelationIsNaN()
    {
        var ml = new MLContext(1);
        var rows = new[] { new RegressionRow { Score = 1, TeacherScore = 2, Label = 1 }, new RegressionRow { Score = 3, TeacherScore = 2, Label = 3 } };

        var q = DistillationEvaluation.EvaluateRegression(ml.Data.LoadFromEnumerable(rows));

        Assert.True(double.IsNaN(q.CorrelationWithTeacher));
        Assert.Equal(1.0, q.RmseToTeacher, 1e-9);
    }

    [Fact]
    public void EvaluateDistillation_BreastCancerFastTreeStudent_AucMatchesMLNet()
    {
        var ml = new MLContext(1);
        var data = ml.Data.Cache(CsvFeatureReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label"));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("binary_teacher.onnx")).Fit(data);
        var scored = ml.Data.Cache(teacher.Transform(data));
        var fastTree = ml.BinaryClassification.Trainers.FastTree(labelColumnName: "Target", exampleWeightColumnName: "Weight", numberOfTrees: 20);
        var predictions = ml.Data.Cache(ml.BinaryClassification.Trainers.SoftLabel(fastTree).Fit(scored).Transform(scored));

        var q = ml.BinaryClassification.EvaluateDistillation(predictions);

        var truth = ml.Transforms.CustomMapping<LabelIn, LabelOut>((i, o) => o.Truth = i.Label > 0.5f, null).Fit(predictions).Transform(predictions);
        var mlnet = ml.BinaryClassification.Evaluate(truth, labelColumnName: "Truth");
        Assert.Equal(mlnet.AreaUnderRocCurve, q.Auc, 1e-3);
        var probability = predictions.GetColumn<float>("Probability").ToArray();
        var teacherPositive = predictions.GetColumn<float[]>("SoftLabels").Select(p => p[1]).ToArray();
        var labels = predictions.GetColumn<float>("Label").ToArray();
        Assert.Equal(probability.Zip(teacherPositive, (s, t) => (s > 0.5f) == (t > 0.5f) ? 1.0 : 0.0).Average(), q.Agreement, 1e-12);
        Assert.Equal(probability.Zip(labels, (s, y) => (s > 0.5f) == (y > 0.5f) ? 1.0 : 0.0).Average(), q.Accuracy, 1e-12);
        Assert.Equal(data.GetColumn<float>("Label").Count(), q.LabeledRows);
        Assert.InRange(q.TeacherAuc, 0.9, 1.0);
    }

    [Fact]
    public void EvaluateDistillation_DiabetesSdcaStudent_RmseAndRSquaredMatchMLNet()
    {
        var ml = new MLContext(1);
        var data = ml.Data.Cache(CsvFeatureReader.Load(TestPaths.Fixture("diabetes.csv"), "target"));
        using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.Fixture("regression_teacher.onnx"), Task = TeacherTask.Regression }).Fit(data);
        var scored = ml.Data.Cache(teacher.Transform(data));
        var student = ml.Regression.Trainers.SoftTarget(ml.Regression.Trainers.Sdca(labelColumnName: "Target", maximumNumberOfIterations: 20)).Fit(scored);
        var predictions = ml.Data.Cache(student.Transform(scored));

        var q = ml.Regression.EvaluateDistillation(predictions);

        var mlnet = ml.Regression.Evaluate(predictions);
        Assert.Equal(mlnet.RootMeanSquaredError, q.Rmse, 1e-3);
        Assert.Equal(mlnet.MeanAbsoluteError, q.MeanAbsoluteError, 1e-3);
        Assert.Equal(mlnet.RSquared, q.RSquared, 1e-6);
        var mlnetTeacher = ml.Regression.Evaluate(scored, scoreColumnName: "TeacherScore");
        Assert.Equal(mlnetTeacher.RootMeanSquaredError, q.TeacherRmse, 1e-3);
        Assert.InRange(q.CorrelationWithTeacher, 0.5, 1.0);
    }

    private static IDataView BinaryView(bool vectorTeacher)
    {
        var ml = new MLContext(1);
        var rows = Student.Select((s, i) => new BinaryRow
        {
            Probability = s, SoftLabels = [1 - Teacher[i], Teacher[i]], TeacherPositive = Teacher[i], Label = Truth[i],
        }).ToArray();
        var schema = SchemaDefinition.Create(typeof(BinaryRow));
        schema[nameof(BinaryRow.SoftLabels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 2);
        var view = ml.Data.LoadFromEnumerable(rows, schema);
        return vectorTeacher ? view : ml.Transforms.DropColumns("SoftLabels").Fit(view).Transform(view);
    }

    private static IDataView RegressionView() => new MLContext(1).Data.LoadFromEnumerable(new[]
    {
        new RegressionRow { Label = 1, Score = 1.5f, TeacherScore = 1 },
        new RegressionRow { Label = 2, Score = 2, TeacherScore = 2 },
        new RegressionRow { Label = 3, Score = 2.5f, TeacherScore = 3 },
        new RegressionRow { Label = 4, Score = 5, TeacherScore = 4.5f },
    });

    private sealed class BinaryRow
    {
        public float Probability { get; set; }

        public float[] SoftLabels { get; set; } = [];

        public float TeacherPositive { get; set; }

        public bool Label { get; set; }
    }

    private sealed class RegressionRow
    {
        public float Label { get; set; }

        public float Score { get; set; }

        public float TeacherScore { get; set; }
    }

    private sealed class LabelIn
    {
        public float Label { get; set; }
    }

    private sealed class LabelOut
    {
        public bool Truth { get; set; }
    }
}
