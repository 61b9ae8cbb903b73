using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Evaluation;

namespace MLNetDistill.Tests.Evaluation;

/// <summary>
/// <see cref="DistillationEvaluation.EvaluateDetailed"/> against values computed by hand on two small tables.
/// <para>Table A, the four rows of <see cref="DistillationEvaluatorTests"/> (three classes):</para>
/// <code>
/// row  student q          teacher p        label  student  teacher
///  0   (0.7, 0.2, 0.1)    (0.8, 0.1, 0.1)  0      0 right  0 right
///  1   (0.1, 0.6, 0.3)    (0.2, 0.5, 0.3)  1      1 right  1 right
///  2   (0.2, 0.5, 0.3)    (0.1, 0.2, 0.7)  2      1 wrong  2 right   (a new mistake)
///  3   (0.25, 0.25, 0.5)  (0.3, 0.3, 0.4)  0      2 wrong  2 wrong   (copied)
/// </code>
/// <para>Table B (four classes), one row of each inheritance case and one unlabeled row:</para>
/// <code>
/// row  student q               teacher p                  label  student  teacher  case
///  0   (0.7, 0.1, 0.1, 0.1)    (0.9, 0.05, 0.03, 0.02)   0      0        0        both right
///  1   (0.1, 0.2, 0.6, 0.1)    (0.1, 0.3, 0.5, 0.1)      1      2        2        copied
///  2   (0.1, 0.5, 0.1, 0.3)    (0.1, 0.3, 0.2, 0.4)      1      1        3        fixed
///  3   (0.1, 0.2, 0.3, 0.4)    (0.6, 0.1, 0.2, 0.1)      2      3        0        other mistake
///  4   (0.4, 0.3, 0.1, 0.2)    (0.1, 0.1, 0.2, 0.6)      3      0        3        new mistake
///  5   (0.1, 0.6, 0.1, 0.2)    (0.1, 0.7, 0.1, 0.1)      NaN    1        1        unlabeled
/// </code>
/// </summary>
public sealed class DistillationQualityTests
{
    private static readonly float[][] ModelA = [[0.7f, 0.2f, 0.1f], [0.1f, 0.6f, 0.3f], [0.2f, 0.5f, 0.3f], [0.25f, 0.25f, 0.5f]];
    private static readonly float[][] TeacherA = [[0.8f, 0.1f, 0.1f], [0.2f, 0.5f, 0.3f], [0.1f, 0.2f, 0.7f], [0.3f, 0.3f, 0.4f]];
    private static readonly float[] LabelsA = [0, 1, 2, 0];

    private static readonly float[][] ModelB =
        [[0.7f, 0.1f, 0.1f, 0.1f], [0.1f, 0.2f, 0.6f, 0.1f], [0.1f, 0.5f, 0.1f, 0.3f], [0.1f, 0.2f, 0.3f, 0.4f], [0.4f, 0.3f, 0.1f, 0.2f], [0.1f, 0.6f, 0.1f, 0.2f]];

    private static readonly float[][] TeacherB =
        [[0.9f, 0.05f, 0.03f, 0.02f], [0.1f, 0.3f, 0.5f, 0.1f], [0.1f, 0.3f, 0.2f, 0.4f], [0.6f, 0.1f, 0.2f, 0.1f], [0.1f, 0.1f, 0.2f, 0.6f], [0.1f, 0.7f, 0.1f, 0.1f]];

    private static readonly float[] LabelsB = [0, 1, 1, 2, 3, float.NaN];

    private const double Tolerance = 1e-6;

    [Fact]
    public void EvaluateDetailed_TableA_SummaryEqualsEvaluate()
    {
        var view = View(ModelA, TeacherA, LabelsA);

        var quality = DistillationEvaluation.EvaluateDetailed(view);

        Assert.Equal(DistillationEvaluation.Evaluate(view), quality.ToMetrics());
        Assert.Equal(0.5, quality.Accuracy, Tolerance);
        Assert.Equal(0.75, quality.Agreement, Tolerance);
        Assert.Equal(4, quality.Rows);
        Assert.Equal(4, quality.LabeledRows);
        Assert.Equal(3, quality.Classes);
    }

    [Fact]
    public void EvaluateDetailed_TableA_TeacherAccuracyAndRetainedAccuracy()
    {
        // Teacher right on rows 0, 1, 2: 3/4. Retained: 0.5 / 0.75 = 2/3.
        var quality = DistillationEvaluation.EvaluateDetailed(View(ModelA, TeacherA, LabelsA));

        Assert.Equal(0.75, quality.TeacherAccuracy, Tolerance);
        Assert.Equal(2.0 / 3.0, quality.RetainedAccuracy, Tolerance);
    }

    [Fact]
    public void EvaluateDetailed_TableA_ExpectedCalibrationErrorOver15Bins()
    {
        // Student confidences 0.7 (right), 0.6 (right), 0.5 (wrong), 0.5 (wrong): bins of width 1/15 hold {0.7}, {0.6}, {0.5, 0.5}.
        // ECE = 1/4 |1 - 0.7| + 1/4 |1 - 0.6| + 2/4 |0 - 0.5| = 0.075 + 0.1 + 0.25 = 0.425.
        // Teacher confidences 0.8 (right), 0.5 (right), 0.7 (right), 0.4 (wrong), each alone in its bin:
        // ECE = (0.2 + 0.5 + 0.3 + 0.4) / 4 = 0.35.
        var quality = DistillationEvaluation.EvaluateDetailed(View(ModelA, TeacherA, LabelsA));

        Assert.Equal(15, quality.CalibrationBins);
        Assert.Equal(0.425, quality.ExpectedCalibrationError, Tolerance);
        Assert.Equal(0.35, quality.TeacherExpectedCalibrationError, Tolerance);
    }

    [Fact]
    public void EvaluateDetailed_OneCalibrationBin_EceIsAccuracyMinusMeanConfidence()
    {
        // One bin: |accuracy - mean confidence|. Student: |0.5 - (0.7 + 0.6 + 0.5 + 0.5) / 4| = |0.5 - 0.575| = 0.075.
        // Teacher: |0.75 - (0.8 + 0.5 + 0.7 + 0.4) / 4| = |0.75 - 0.6| = 0.15.
        var quality = DistillationEvaluation.EvaluateDetailed(View(ModelA, TeacherA, LabelsA), new DistillationEvaluationOptions { CalibrationBins = 1 });

        Assert.Equal(0.075, quality.ExpectedCalibrationError, Tolerance);
        Assert.Equal(0.15, quality.TeacherExpectedCalibrationError, Tolerance);
    }

    [Fact]
    public void EvaluateDetailed_TableA_PerClassAccuracyAndAgreement()
    {
        // Accuracy by label: class 0 rows {0, 3}, right on 0: 1/2; class 1 row {1}: 1; class 2 row {2}: 0.
        // Agreement by the teacher's class: class 0 row {0}: 1; class 1 row {1}: 1; class 2 rows {2, 3}, student 1 and 2: 1/2.
        var quality = DistillationEvaluation.EvaluateDetailed(View(ModelA, TeacherA, LabelsA));

        Assert.Equal([0.5, 1.0, 0.0], quality.PerClassAccuracy);
        Assert.Equal([1.0, 1.0, 0.5], quality.PerClassAgreement);
    }

    [Fact]
    public void EvaluateDetailed_TableA_InheritanceCopiesRowThreeAndAddsRowTwo()
    {
        var table = DistillationEvaluation.EvaluateDetailed(View(ModelA, TeacherA, LabelsA)).Inheritance!;

        Assert.Equal(new InheritanceTable(LabeledRows: 4, TeacherMistakes: 1, Copied: 1, Fixed: 0, OtherMistakes: 0, NewMistakes: 1), table);
        Assert.Equal(2, table.StudentMistakes);
        Assert.Equal(1.0, table.CopiedShare);
    }

    [Fact]
    public void EvaluateDetailed_TableB_InheritanceCountsEachCaseOnce()
    {
        // Row 5 has no label, so it is not in the table; rows 1, 2, 3 are the teacher's three mistakes.
        var table = DistillationEvaluation.EvaluateDetailed(View(ModelB, TeacherB, LabelsB)).Inheritance!;

        Assert.Equal(new InheritanceTable(LabeledRows: 5, TeacherMistakes: 3, Copied: 1, Fixed: 1, OtherMistakes: 1, NewMistakes: 1), table);
        Assert.Equal(3, table.StudentMistakes);
        Assert.Equal(1.0 / 3.0, table.CopiedShare, Tolerance);
    }

    [Fact]
    public void EvaluateDetailed_TableB_TopKAgreementCountsTheTeacherClassRank()
    {
        // Rank of the teacher's class among the student's scores: rows 0, 1, 5 rank 0 (agree); row 2 (0.3 under 0.5) rank 1;
        // row 4 (0.2 under 0.4 and 0.3) rank 2; row 3 (0.1 under all three others) rank 3.
        // Top-1: 3/6; top-2: 4/6; top-3: 5/6; top-4: 6/6.
        var view = View(ModelB, TeacherB, LabelsB);

        var top3 = DistillationEvaluation.EvaluateDetailed(view);

        Assert.Equal(3, top3.TopK);
        Assert.Equal(5.0 / 6.0, top3.TopKAgreement, Tolerance);
        Assert.Equal(0.5, top3.Agreement, Tolerance);
        Assert.Equal(0.5, DistillationEvaluation.EvaluateDetailed(view, new DistillationEvaluationOptions { TopK = 1 }).TopKAgreement, Tolerance);
        Assert.Equal(4.0 / 6.0, DistillationEvaluation.EvaluateDetailed(view, new DistillationEvaluationOptions { TopK = 2 }).TopKAgreement, Tolerance);
        Assert.Equal(1.0, DistillationEvaluation.EvaluateDetailed(view, new DistillationEvaluationOptions { TopK = 4 }).TopKAgreement, Tolerance);
    }

    [Fact]
    public void EvaluateDetailed_TableB_LabelMetricsSkipTheUnlabeledRow()
    {
        // Labeled rows 0-4: student right on 0, 2 (2/5), teacher right on 0, 4 (2/5): retained 1.
        // Accuracy by label: class 0 {0}: 1; class 1 {1, 2}: 1/2; class 2 {3}: 0; class 3 {4}: 0.
        // Agreement by teacher class over all six rows: 0 {0, 3}: 1/2; 1 {5}: 1; 2 {1}: 1; 3 {2, 4}: 0.
        var quality = DistillationEvaluation.EvaluateDetailed(View(ModelB, TeacherB, LabelsB));

        Assert.Equal(6, quality.Rows);
        Assert.Equal(5, quality.LabeledRows);
        Assert.Equal(0.4, quality.Accuracy, Tolerance);
        Assert.Equal(0.4, quality.TeacherAccuracy, Tolerance);
        Assert.Equal(1.0, quality.RetainedAccuracy, Tolerance);
        Assert.Equal([1.0, 0.5, 0.0, 0.0], quality.PerClassAccuracy);
        Assert.Equal([0.5, 1.0, 1.0, 0.0], quality.PerClassAgreement);
    }

    [Fact]
    public void EvaluateDetailed_TableB_TeacherStudentCountsPerPair()
    {
        // (teacher, student) per row: (0, 0), (2, 2), (3, 1), (0, 3), (3, 0), (1, 1).
        var quality = DistillationEvaluation.EvaluateDetailed(View(ModelB, TeacherB, LabelsB));

        long[][] expected = [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0], [1, 1, 0, 0]];
        Assert.Equal(expected.Length, quality.TeacherStudentCounts.Count);
        for (int t = 0; t < expected.Length; t++)
        {
            Assert.Equal(expected[t], quality.TeacherStudentCounts[t]);
        }
    }

    [Fact]
    public void EvaluateDetailed_ClassNeverSeen_PerClassValuesAreNaN()
    {
        // Three classes, labels and teacher only ever class 0 or 1: class 2 has no rows either way.
        float[][] model = [[0.6f, 0.3f, 0.1f], [0.2f, 0.7f, 0.1f]];
        float[][] teacher = [[0.7f, 0.2f, 0.1f], [0.1f, 0.8f, 0.1f]];

        var quality = DistillationEvaluation.EvaluateDetailed(View(model, teacher, [0, 1]));

        Assert.Equal(1.0, quality.PerClassAccuracy[0]);
        Assert.True(double.IsNaN(quality.PerClassAccuracy[2]));
        Assert.True(double.IsNaN(quality.PerClassAgreement[2]));
    }

    [Fact]
    public void EvaluateDetailed_NoTeacher_TeacherMetricsNaNAndNoInheritance()
    {
        var quality = DistillationEvaluation.EvaluateDetailed(View(ModelA, TeacherA, LabelsA), new DistillationEvaluationOptions { TeacherColumnName = null });

        Assert.Equal(0.5, quality.Accuracy, Tolerance);
        Assert.Equal(0.425, quality.ExpectedCalibrationError, Tolerance);
        Assert.True(double.IsNaN(quality.TeacherAccuracy));
        Assert.True(double.IsNaN(quality.RetainedAccuracy));
        Assert.True(double.IsNaN(quality.TeacherExpectedCalibrationError));
        Assert.True(double.IsNaN(quality.TopKAgreement));
        Assert.All(quality.PerClassAgreement, v => Assert.True(double.IsNaN(v)));
        Assert.Empty(quality.TeacherStudentCounts);
        Assert.Null(quality.Inheritance);
    }

    [Fact]
    public void EvaluateDetailed_NoLabels_LabelMetricsNaNTeacherMetricsKept()
    {
        var quality = DistillationEvaluation.EvaluateDetailed(View(ModelB, TeacherB, LabelsB), new DistillationEvaluationOptions { LabelColumnName = null });

        Assert.Equal(0, quality.LabeledRows);
        Assert.True(double.IsNaN(quality.ExpectedCalibrationError));
        Assert.True(double.IsNaN(quality.TeacherExpectedCalibrationError));
        Assert.True(double.IsNaN(quality.TeacherAccuracy));
        Assert.All(quality.PerClassAccuracy, v => Assert.True(double.IsNaN(v)));
        Assert.Null(quality.Inheritance);
        Assert.Equal(0.5, quality.Agreement, Tolerance);
        Assert.Equal(5.0 / 6.0, quality.TopKAgreement, Tolerance);
        Assert.Equal([0.5, 1.0, 1.0, 0.0], quality.PerClassAgreement);
    }

    [Fact]
    public void EvaluateDetailed_TeacherLogits_SoftmaxGivesTheSameTable()
    {
        // ln p + c is a logit vector whose softmax is p again.
        var logits = TeacherB.Select(p => p.Select(v => MathF.Log(v) - 2f).ToArray()).ToArray();

        var quality = DistillationEvaluation.EvaluateDetailed(View(ModelB, logits, LabelsB), new DistillationEvaluationOptions { TeacherScoresAreLogits = true });

        Assert.Equal(new InheritanceTable(5, 3, 1, 1, 1, 1), quality.Inheritance);
        Assert.Equal(5.0 / 6.0, quality.TopKAgreement, Tolerance);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public void EvaluateDetailed_CalibrationBinsOutOfRange_ThrowsNamingValueAndRange(int bins)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            DistillationEvaluation.EvaluateDetailed(View(ModelA, TeacherA, LabelsA), new DistillationEvaluationOptions { CalibrationBins = bins }));

        Assert.Equal("CalibrationBins", ex.ParamName);
        Assert.Contains($"but was {bins}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[1, 1000]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EvaluateDetailed_TopKZero_ThrowsNamingValueAndFix()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            DistillationEvaluation.EvaluateDetailed(View(ModelA, TeacherA, LabelsA), new DistillationEvaluationOptions { TopK = 0 }));

        Assert.Equal("TopK", ex.ParamName);
        Assert.Contains("at least 1 but was 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("use 3", ex.Message, StringComparison.Ordinal);
    }

    internal static IDataView View(float[][] scores, float[][] teacher, float[] labels)
    {
        int k = scores[0].Length;
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, k);
        schema[nameof(Row.SoftLabels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, k);
        var rows = scores.Select((s, i) => new Row { Score = s, SoftLabels = teacher[i], Label = labels[i] }).ToArray();
        return new MLContext(1).Data.LoadFromEnumerable(rows, schema);
    }

    private sealed class Row
    {
        public float[] Score { get; set; } = [];

        public float[] SoftLabels { get; set; } = [];

        public float Label { get; set; }
    }
}
