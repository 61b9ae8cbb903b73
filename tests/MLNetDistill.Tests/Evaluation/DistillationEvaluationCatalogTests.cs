using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;

namespace MLNetDistill.Tests.Evaluation;

/// <summary>
/// <c>mlContext.MulticlassClassification.EvaluateDistillation</c>: the catalog surface over <see cref="DistillationEvaluation.EvaluateDetailed"/>,
/// on the tiny tables of <see cref="DistillationQualityTests"/> and on the embedded teacher with an SDCA soft-label student on Fashion-MNIST rows.
/// </summary>
public sealed class DistillationEvaluationCatalogTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly float[][] Model = [[0.7f, 0.2f, 0.1f], [0.1f, 0.6f, 0.3f], [0.2f, 0.5f, 0.3f], [0.25f, 0.25f, 0.5f]];
    private static readonly float[][] Teacher = [[0.8f, 0.1f, 0.1f], [0.2f, 0.5f, 0.3f], [0.1f, 0.2f, 0.7f], [0.3f, 0.3f, 0.4f]];
    private static readonly float[] Labels = [0, 1, 2, 0];

    [Fact]
    public void EvaluateDistillation_SimpleOverload_SameAsEvaluateDetailed()
    {
        var view = DistillationQualityTests.View(Model, Teacher, Labels);

        var viaCatalog = new MLContext(1).MulticlassClassification.EvaluateDistillation(view);
        var direct = DistillationEvaluation.EvaluateDetailed(view);

        AssertSame(direct, viaCatalog);
        Assert.Equal(0.425, viaCatalog.ExpectedCalibrationError, 1e-6);
    }

    [Fact]
    public void ObsoleteDistillationEvaluator_EveryMethod_GivesTheCatalogsFigures()
    {
        var view = DistillationQualityTests.View(Model, Teacher, Labels);
        var ml = new MLContext(1);
        var viaCatalog = ml.MulticlassClassification.EvaluateDistillation(view);

#pragma warning disable CS0618 // the forwarder kept for one release is what this test checks
        var detailed = DistillationEvaluator.EvaluateDetailed(view);
        var summary = DistillationEvaluator.Evaluate(view);
#pragma warning restore CS0618

        AssertSame(viaCatalog, detailed);
        Assert.Equal(viaCatalog.ToMetrics(), summary);
        Assert.False(typeof(DistillationEvaluation).IsPublic);
#pragma warning disable CS0618
        Assert.True(typeof(DistillationEvaluator).IsDefined(typeof(ObsoleteAttribute), inherit: false));
#pragma warning restore CS0618
    }

    [Fact]
    public void EvaluateDistillation_OptionsOverload_UsesTheOptions()
    {
        var view = DistillationQualityTests.View(Model, Teacher, Labels);

        var quality = new MLContext(1).MulticlassClassification.EvaluateDistillation(view, new DistillationEvaluationOptions { CalibrationBins = 1, TeacherColumnName = null });

        Assert.Equal(1, quality.CalibrationBins);
        Assert.Equal(0.075, quality.ExpectedCalibrationError, 1e-6);
        Assert.Null(quality.Inheritance);
    }

    [Fact]
    public void EvaluateDistillation_NoLabelColumn_WarnsInMLContextLogAndKeepsAgreement()
    {
        var ml = new MLContext(1);
        var messages = new List<string>();
        ml.Log += (_, e) =>
        {
            lock (messages)
            {
                messages.Add(e.Message);
            }
        };
        var view = DistillationQualityTests.View(Model, Teacher, Labels);
        var unlabeled = ml.Transforms.DropColumns("Label").Fit(view).Transform(view);

        var quality = ml.MulticlassClassification.EvaluateDistillation(unlabeled);

        Assert.Contains(messages, m => m.Contains("no label column 'Label'", StringComparison.Ordinal) && m.Contains("only the teacher metrics", StringComparison.Ordinal));
        Assert.Equal(0.75, quality.Agreement, 1e-6);
        Assert.True(double.IsNaN(quality.Accuracy));
        Assert.Null(quality.Inheritance);
    }

    [Fact]
    public void EvaluateDistillation_FashionSdcaStudent_InheritanceAddsUpAndMatchesMLNetEvaluator()
    {
        var ml = new MLContext(1);
        var all = IdxReader.Load(TestPaths.FashionImages);
        var train = ml.Data.Cache(ml.Data.TakeRows(all, 300));
        var test = ml.Data.Cache(ml.Data.TakeRows(ml.Data.SkipRows(all, 9000), 300));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(train);
        var scoredTrain = ml.Data.Cache(teacher.Transform(train));
        var scoredTest = ml.Data.Cache(teacher.Transform(test));
        var sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", maximumNumberOfIterations: 5);
        var student = ml.MulticlassClassification.Trainers.SoftLabel(sdca).Fit(scoredTrain);
        var predictions = ml.Data.Cache(student.Transform(scoredTest));

        var quality = ml.MulticlassClassification.EvaluateDistillation(predictions);

        output.WriteLine($"{quality with { PerClassAccuracy = [], PerClassAgreement = [], TeacherStudentCounts = [] }}");
        // The summary is the existing evaluator's, value for value.
        Assert.Equal(DistillationEvaluation.Evaluate(predictions), quality.ToMetrics());
        Assert.Equal(300, quality.Rows);
        Assert.Equal(300, quality.LabeledRows);

        // Accuracy of student and teacher as ML.NET's own evaluator counts them.
        var mlnetStudent = ml.MulticlassClassification.Evaluate(predictions);
        var mlnetTeacher = ml.MulticlassClassification.Evaluate(scoredTest, scoreColumnName: "SoftLabels", predictedLabelColumnName: "TeacherPredictedLabel");
        Assert.Equal(mlnetStudent.MicroAccuracy, quality.Accuracy, 1e-9);
        Assert.Equal(mlnetTeacher.MicroAccuracy, quality.TeacherAccuracy, 1e-9);
        Assert.Equal(quality.Accuracy / quality.TeacherAccuracy, quality.RetainedAccuracy, 1e-12);

        // The inheritance table splits the teacher's mistakes and the student's, with no row lost or counted twice.
        var table = quality.Inheritance!;
        long teacherMistakes = (long)Math.Round((1 - quality.TeacherAccuracy) * 300);
        long studentMistakes = (long)Math.Round((1 - quality.Accuracy) * 300);
        Assert.Equal(teacherMistakes, table.TeacherMistakes);
        Assert.Equal(table.TeacherMistakes, table.Copied + table.Fixed + table.OtherMistakes);
        Assert.Equal(studentMistakes, table.StudentMistakes);
        Assert.True(table.TeacherMistakes > 0, "the teacher makes some mistakes on 300 held-out rows");

        // Per-class values weighted by their class counts give back the overall accuracy and agreement.
        var labels = predictions.GetColumn<float>("Label").Select(v => (int)v).ToArray();
        var teacherClasses = scoredTest.GetColumn<float[]>("SoftLabels").Select(p => Array.IndexOf(p, p.Max())).ToArray();
        double accuracy = Enumerable.Range(0, 10).Sum(c => labels.Count(l => l == c) * Zero(quality.PerClassAccuracy[c])) / 300;
        double agreement = Enumerable.Range(0, 10).Sum(c => teacherClasses.Count(t => t == c) * Zero(quality.PerClassAgreement[c])) / 300;
        Assert.Equal(quality.Accuracy, accuracy, 1e-9);
        Assert.Equal(quality.Agreement, agreement, 1e-9);
        Assert.Equal(300, quality.TeacherStudentCounts.Sum(row => row.Sum()));
        Assert.Equal(Math.Round(quality.Agreement * 300), Enumerable.Range(0, 10).Sum(c => quality.TeacherStudentCounts[c][c]));

        Assert.InRange(quality.TopKAgreement, quality.Agreement, 1.0);
        Assert.InRange(quality.ExpectedCalibrationError, 0.0, 1.0);
        Assert.InRange(quality.TeacherExpectedCalibrationError, 0.0, 1.0);
    }

    private static double Zero(double v) => double.IsNaN(v) ? 0 : v;

    private static void AssertSame(DistillationQuality expected, DistillationQuality actual)
    {
        Assert.Equal(expected.ToMetrics(), actual.ToMetrics());
        Assert.Equal(expected.Inheritance, actual.Inheritance);
        Assert.Equal(expected.PerClassAccuracy, actual.PerClassAccuracy);
        Assert.Equal(expected.PerClassAgreement, actual.PerClassAgreement);
        Assert.Equal(expected.TeacherStudentCounts, actual.TeacherStudentCounts);
        Assert.Equal(expected with { PerClassAccuracy = actual.PerClassAccuracy, PerClassAgreement = actual.PerClassAgreement, TeacherStudentCounts = actual.TeacherStudentCounts }, actual);
    }
}
