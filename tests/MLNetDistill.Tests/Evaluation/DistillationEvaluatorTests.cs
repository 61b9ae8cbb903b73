using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Evaluation;

namespace MLNetDistill.Tests.Evaluation;

/// <summary>
/// The evaluator against values computed by hand on four rows of three classes:
/// <code>
/// row  model q            teacher p        label  model's class  teacher's class
///  0   (0.7, 0.2, 0.1)    (0.8, 0.1, 0.1)  0      0 (right)      0 (agree)
///  1   (0.1, 0.6, 0.3)    (0.2, 0.5, 0.3)  1      1 (right)      1 (agree)
///  2   (0.2, 0.5, 0.3)    (0.1, 0.2, 0.7)  2      1 (wrong)      2 (disagree)
///  3   (0.25, 0.25, 0.5)  (0.3, 0.3, 0.4)  0      2 (wrong)      2 (agree)
/// </code>
/// </summary>
public sealed class DistillationEvaluatorTests
{
    private static readonly float[][] Model = [[0.7f, 0.2f, 0.1f], [0.1f, 0.6f, 0.3f], [0.2f, 0.5f, 0.3f], [0.25f, 0.25f, 0.5f]];
    private static readonly float[][] Teacher = [[0.8f, 0.1f, 0.1f], [0.2f, 0.5f, 0.3f], [0.1f, 0.2f, 0.7f], [0.3f, 0.3f, 0.4f]];
    private static readonly float[] Labels = [0, 1, 2, 0];

    // Accuracy: rows 0 and 1 right of 4 = 0.5.
    private const double Accuracy = 0.5;

    // Macro-F1. Class 0: predicted {0}, actual {0, 3}: precision 1, recall 1/2, F1 = 2/3.
    // Class 1: predicted {1, 2}, actual {1}: precision 1/2, recall 1, F1 = 2/3. Class 2: predicted {3}, actual {2}: F1 = 0.
    // Mean over the three classes: (2/3 + 2/3 + 0) / 3 = 4/9.
    private const double MacroF1 = 4.0 / 9.0;

    // Log-loss: mean of -ln q(label) = (-ln 0.7 - ln 0.6 - ln 0.3 - ln 0.25) / 4
    // = (0.356675 + 0.510826 + 1.203973 + 1.386294) / 4 = 0.864442.
    private static readonly double LogLoss = (-Math.Log(0.7) - Math.Log(0.6) - Math.Log(0.3) - Math.Log(0.25)) / 4;

    // Agreement: rows 0, 1 and 3 of 4 = 0.75.
    private const double Agreement = 0.75;

    // KL(p || q) per row, sum of p ln(p / q):
    //  0: 0.8 ln(0.8/0.7) + 0.1 ln(0.1/0.2) + 0.1 ln(0.1/0.1) = 0.106825 - 0.069315 + 0       = 0.037510
    //  1: 0.2 ln(0.2/0.1) + 0.5 ln(0.5/0.6) + 0.3 ln(0.3/0.3) = 0.138629 - 0.091161 + 0       = 0.047469
    //  2: 0.1 ln(0.1/0.2) + 0.2 ln(0.2/0.5) + 0.7 ln(0.7/0.3) = -0.069315 - 0.183258 + 0.593108 = 0.340536
    //  3: 0.3 ln(0.3/0.25) * 2 + 0.4 ln(0.4/0.5)             = 0.109393 - 0.089257          = 0.020136
    // Mean: 0.445650 / 4 = 0.111413.
    private static readonly double Kl = (
        (0.8 * Math.Log(0.8 / 0.7)) + (0.1 * Math.Log(0.1 / 0.2))
        + (0.2 * Math.Log(0.2 / 0.1)) + (0.5 * Math.Log(0.5 / 0.6))
        + (0.1 * Math.Log(0.1 / 0.2)) + (0.2 * Math.Log(0.2 / 0.5)) + (0.7 * Math.Log(0.7 / 0.3))
        + (2 * 0.3 * Math.Log(0.3 / 0.25)) + (0.4 * Math.Log(0.4 / 0.5))) / 4;

    private const double Tolerance = 1e-6;

    [Fact]
    public void Evaluate_ModelIsTheTeacher_KlIsExactlyZeroAndAgreementOne()
    {
        // KL(p || p) in float arithmetic rounds to about -1e-14 per row; a distance is never negative.
        float[][] odd = [[0.3f, 0.3f, 0.4f], [0.1f, 0.2f, 0.7f], [1f / 3, 1f / 3, 1f / 3], [0.05f, 0.9f, 0.05f]];

        var metrics = DistillationEvaluation.Evaluate(View(odd, odd, Labels));

        Assert.Equal(0.0, metrics.KlToTeacher);
        Assert.Equal(1.0, metrics.Agreement);
    }

    [Fact]
    public void Evaluate_HandMadeRows_MatchesHandComputedMetrics()
    {
        var metrics = DistillationEvaluation.Evaluate(View(Model, Teacher, Labels));

        Assert.Equal(Accuracy, metrics.Accuracy, Tolerance);
        Assert.Equal(MacroF1, metrics.MacroF1, Tolerance);
        Assert.Equal(LogLoss, metrics.LogLoss, Tolerance);
        Assert.Equal(0.864442, metrics.LogLoss, 1e-6);
        Assert.Equal(Agreement, metrics.Agreement, Tolerance);
        Assert.Equal(Kl, metrics.KlToTeacher, Tolerance);
        Assert.Equal(0.111413, metrics.KlToTeacher, 1e-6);
        Assert.Equal(4, metrics.Rows);
    }

    [Fact]
    public void Evaluate_ScoresAreLogits_SoftmaxGivesTheSameMetrics()
    {
        // ln q + c is a logit vector whose softmax is q again, for any c.
        var logits = Model.Select(q => q.Select(v => MathF.Log(v) + 3f).ToArray()).ToArray();

        var metrics = DistillationEvaluation.Evaluate(View(logits, Teacher, Labels), scoresAreLogits: true);

        Assert.Equal(Accuracy, metrics.Accuracy, Tolerance);
        Assert.Equal(MacroF1, metrics.MacroF1, Tolerance);
        Assert.Equal(LogLoss, metrics.LogLoss, 1e-5);
        Assert.Equal(Agreement, metrics.Agreement, Tolerance);
        Assert.Equal(Kl, metrics.KlToTeacher, 1e-5);
    }

    [Fact]
    public void Evaluate_UnnormalisedScores_AreNormalisedFirst()
    {
        // Each row times 2 (sums to 2): the evaluator divides by the sum, so every metric is unchanged.
        var doubled = Model.Select(q => q.Select(v => 2 * v).ToArray()).ToArray();

        var metrics = DistillationEvaluation.Evaluate(View(doubled, Teacher, Labels));

        Assert.Equal(LogLoss, metrics.LogLoss, Tolerance);
        Assert.Equal(Kl, metrics.KlToTeacher, Tolerance);
    }

    [Fact]
    public void Evaluate_NoTeacherColumn_AgreementAndKlAreNaN()
    {
        var metrics = DistillationEvaluation.Evaluate(View(Model, Teacher, Labels), teacherSoftLabelsColumnName: null);

        Assert.Equal(Accuracy, metrics.Accuracy, Tolerance);
        Assert.Equal(MacroF1, metrics.MacroF1, Tolerance);
        Assert.Equal(LogLoss, metrics.LogLoss, Tolerance);
        Assert.True(double.IsNaN(metrics.Agreement));
        Assert.True(double.IsNaN(metrics.KlToTeacher));
    }

    [Fact]
    public void Evaluate_NoLabelColumn_LabelMetricsAreNaNTeacherMetricsKept()
    {
        var metrics = DistillationEvaluation.Evaluate(View(Model, Teacher, Labels), labelColumnName: null);

        Assert.True(double.IsNaN(metrics.Accuracy));
        Assert.True(double.IsNaN(metrics.MacroF1));
        Assert.True(double.IsNaN(metrics.LogLoss));
        Assert.Equal(Agreement, metrics.Agreement, Tolerance);
        Assert.Equal(Kl, metrics.KlToTeacher, Tolerance);
        Assert.Equal(4, metrics.Rows);
    }

    [Fact]
    public void Evaluate_MissingLabelOnOneRow_LabelMetricsOverLabeledRowsOnly()
    {
        // Row 2 (the wrong, disagreeing one) loses its label, so it leaves every label metric: accuracy over rows 0, 1, 3
        // is 2/3; log-loss is (-ln 0.7 - ln 0.6 - ln 0.25) / 3; macro-F1 over class 0 (predicted {0}, actual {0, 3}: F1 2/3),
        // class 1 (predicted {1}, actual {1}: F1 1) and class 2 (predicted {3}, actual none: F1 0) is 5/9.
        // Agreement and KL still use all four rows.
        float[] labels = [0, 1, float.NaN, 0];

        var metrics = DistillationEvaluation.Evaluate(View(Model, Teacher, labels));

        Assert.Equal(2.0 / 3.0, metrics.Accuracy, Tolerance);
        Assert.Equal((-Math.Log(0.7) - Math.Log(0.6) - Math.Log(0.25)) / 3, metrics.LogLoss, Tolerance);
        Assert.Equal(5.0 / 9.0, metrics.MacroF1, Tolerance);
        Assert.Equal(Agreement, metrics.Agreement, Tolerance);
        Assert.Equal(Kl, metrics.KlToTeacher, Tolerance);
    }

    [Fact]
    public void Evaluate_KeyLabel_ReadsOneBasedKeys()
    {
        var ml = new MLContext(1);
        var data = View(Model, Teacher, Labels);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Key", "Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(data).Transform(data);

        var metrics = DistillationEvaluation.Evaluate(keyed, labelColumnName: "Key");

        Assert.Equal(Accuracy, metrics.Accuracy, Tolerance);
        Assert.Equal(MacroF1, metrics.MacroF1, Tolerance);
        Assert.Equal(LogLoss, metrics.LogLoss, Tolerance);
    }

    [Fact]
    public void Evaluate_ZeroProbabilityForLabel_LogLossClippedAt1e15()
    {
        // One row, q(label) = 0: -ln(1e-15) = 34.538776.
        var metrics = DistillationEvaluation.Evaluate(View([[1f, 0f]], [[0.5f, 0.5f]], [1]));

        Assert.Equal(-Math.Log(1e-15), metrics.LogLoss, 1e-9);
        Assert.Equal(0.0, metrics.Accuracy);
        Assert.Equal(0.0, metrics.MacroF1);
    }

    [Fact]
    public void Evaluate_TeacherWithOtherClassCount_ThrowsNamingBoth()
    {
        var ml = new MLContext(1);
        var rows = new[] { new Row { Score = [0.5f, 0.5f], SoftLabels = [0.2f, 0.3f, 0.5f], Label = 0 } };
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 2);
        schema[nameof(Row.SoftLabels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3);

        var ex = Assert.Throws<ArgumentException>(() => DistillationEvaluation.Evaluate(ml.Data.LoadFromEnumerable(rows, schema)));

        Assert.Contains("'Score' has 2 classes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'SoftLabels' has 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ScoreColumnMissing_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => DistillationEvaluation.Evaluate(View(Model, Teacher, Labels), scoreColumnName: "Probabilities"));

        Assert.Contains("'Probabilities'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_NoRows_ThrowsNoRows()
    {
        var ex = Assert.Throws<InvalidDataException>(() => DistillationEvaluation.Evaluate(View([], [], [], classes: 3)));

        Assert.Contains("no rows", ex.Message, StringComparison.Ordinal);
    }

    private static IDataView View(float[][] scores, float[][] teacher, float[] labels, int? classes = null)
    {
        int k = classes ?? scores[0].Length;
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
