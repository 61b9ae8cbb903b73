using System.Text.Json;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Serving;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Experiments;

/// <summary>The experiment's cascade: the threshold chosen on training rows held out from the students, measured on the test rows.</summary>
public sealed class DistillationCascadeTests : IDisposable
{
    private const int DigitsTrainRows = 1078;

    private readonly TempFolder _temp = new();
    private readonly MLContext _ml = new(seed: 0);

    public void Dispose() => _temp.Dispose();

    private static IDataView Train => DataSourceReader.Load(TestPaths.Fixture("digits_train.csv"), "label");

    private static IDataView Test => DataSourceReader.Load(TestPaths.Fixture("digits_test.csv"), "label");

    private static DistillationExperimentOptions Options(CascadeTarget? target)
    {
        var options = new DistillationExperimentOptions { TeacherModelFile = TestPaths.Fixture("digits_teacher.onnx"), CascadeTarget = target };
        options.Students.Add(DistillationStudent.FromSpec("sdca:iterations=5"));
        return options;
    }

    [Fact]
    public void Run_CascadeTarget_ThresholdFromHeldOutRowsAndCurveOnTestRowsFromStudentToTeacher()
    {
        using var result = new DistillationExperiment(_ml, Options(new CascadeTarget { TeacherQualityShare = 0.995 })).Run(Train, Test);

        var student = result.Students[0];
        var cascade = student.Cascade!;
        // A tenth of the training rows is held out from the student; the teacher scores them once with the others.
        Assert.Equal(DigitsTrainRows, result.TrainRows + cascade.HeldOutRows);
        Assert.InRange(cascade.HeldOutRows, 80, 140);
        Assert.Equal(DigitsTrainRows, result.TeacherScoring.TrainingRows);
        Assert.Equal(DeferralRule.TopProbability, cascade.Rule);
        Assert.True(cascade.TargetMet);
        // The curve runs from the student alone to the teacher alone, on the test rows.
        Assert.InRange(cascade.Curve.Count, 21, 22);
        Assert.Equal(0, cascade.Curve[0].DeferredShare);
        Assert.Equal(student.Distilled.Metrics.Accuracy, cascade.Curve[0].Accuracy!.Value, 12);
        Assert.Equal(student.Distilled.Metrics.Agreement, cascade.Curve[0].Agreement, 12);
        Assert.Equal(1, cascade.Curve[^1].DeferredShare);
        Assert.Equal(result.Teacher!.Accuracy, cascade.Curve[^1].Accuracy!.Value, 12);
        Assert.Equal(1, cascade.Curve[^1].Agreement);
        Assert.True(cascade.Curve.Zip(cascade.Curve.Skip(1)).All(p => p.First.DeferredShare <= p.Second.DeferredShare));
        // The chosen threshold's point is on the curve, and the cascade does better than the student alone.
        Assert.Contains(cascade.Curve, p => p.DeferredShare == cascade.DeferredShare && p.Accuracy == cascade.Accuracy && p.Threshold == cascade.Threshold);
        Assert.InRange(cascade.DeferredShare, 0.001, 0.5);
        Assert.True(cascade.Accuracy > student.Distilled.Metrics.Accuracy);
        Assert.Equal(cascade.DeferredShare * 1000, cascade.TeacherCallsPer1000, 9);
        Assert.Equal([DeferralRule.TopProbability, DeferralRule.Margin, DeferralRule.Entropy, DeferralRule.Learned], cascade.RuleCurves.Keys.Order());
        Assert.All(cascade.RuleCurves.Values, curve => Assert.Equal(21, curve.Count));
    }

    [Theory]
    [InlineData(0.1f, true)]  // about 108 of the 1,078 digits rows: too few to trust a threshold
    [InlineData(0.2f, false)] // about 216: enough
    public void Run_FewHeldOutRows_ProgressWarnsThatTheThresholdIsRough(float holdout, bool warned)
    {
        var options = Options(new CascadeTarget { TeacherQualityShare = 0.995 });
        options.CascadeHoldoutFraction = holdout;
        var messages = new List<string>();

        using var result = new DistillationExperiment(_ml, options).Run(Train, Test, progress: new Recorder(messages));

        long rows = result.Students[0].Cascade!.HeldOutRows;
        Assert.Equal(warned, rows < 200);
        string measuring = Assert.Single(messages, m => m.StartsWith("measuring the cascade of", StringComparison.Ordinal));
        Assert.Equal(warned, measuring.Contains("too few to trust", StringComparison.Ordinal));
        Assert.Equal(warned, measuring.Contains(nameof(DistillationExperimentOptions.CascadeHoldoutFraction), StringComparison.Ordinal));
    }

    [Fact]
    public void Run_NoCascadeTarget_StudentsLearnFromEveryTrainingRow()
    {
        using var result = new DistillationExperiment(_ml, Options(null)).Run(Train, Test);

        Assert.Equal(DigitsTrainRows, result.TrainRows);
        Assert.Null(result.Students[0].Cascade);
        Assert.Null(DistillationReport.From(result, result.Students[0]).Cascade);
    }

    [Fact]
    public void Run_CascadeMaxDeferred_HeldOutRowsDeferAtMostTheCap()
    {
        using var result = new DistillationExperiment(_ml, Options(new CascadeTarget { MaxDeferredShare = 0.1 })).Run(Train, Test);

        var cascade = result.Students[0].Cascade!;
        Assert.InRange(cascade.HeldOutDeferredShare, 0, 0.1);
        Assert.True(cascade.TargetMet);
    }

    [Fact]
    public void Run_TestRowsWithoutLabels_CascadeMeasuredOnAgreementAccuracyNull()
    {
        var unlabeled = _ml.Transforms.DropColumns(DataColumnNames.Label).Fit(Test).Transform(Test);

        using var result = new DistillationExperiment(_ml, Options(new CascadeTarget { TeacherQualityShare = 0.995 })).Run(Train, unlabeled);

        var cascade = result.Students[0].Cascade!;
        Assert.Null(cascade.Accuracy);
        Assert.All(cascade.Curve, p => Assert.Null(p.Accuracy));
        Assert.Equal(result.Students[0].Distilled.Metrics.Agreement, cascade.Curve[0].Agreement, 12);
        Assert.True(cascade.Agreement > cascade.Curve[0].Agreement);
    }

    [Fact]
    public void WriteReport_Cascade_HasTheContractsFieldNames()
    {
        using var result = new DistillationExperiment(_ml, Options(new CascadeTarget { TeacherQualityShare = 0.99 })).Run(Train, Test);
        string path = _temp.File("report.json");

        DistillationResultWriter.WriteReport(DistillationReport.From(result, result.Students[0]), path);

        var cascade = JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("cascade");
        string[] names = [.. cascade.EnumerateObject().Select(p => p.Name)];
        Assert.Subset(names.ToHashSet(), new HashSet<string> { "rule", "threshold", "deferredShare", "accuracy", "agreement", "teacherCallsPer1000", "costPer1000", "curve" });
        Assert.Equal("topProbability", cascade.GetProperty("rule").GetString());
        Assert.Equal(JsonValueKind.Null, cascade.GetProperty("costPer1000").ValueKind); // distill does not time the models
        var curve = cascade.GetProperty("curve");
        Assert.True(curve.GetArrayLength() >= 21);
        Assert.Equal(0, curve[0].GetProperty("deferredShare").GetDouble());
        Assert.Equal(1, curve[curve.GetArrayLength() - 1].GetProperty("deferredShare").GetDouble());
        Assert.Equal(["topProbability", "margin", "entropy", "learned"], cascade.GetProperty("ruleCurves").EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(float.NaN)]
    public void Validated_CascadeHoldoutFractionOutOfRange_ThrowsNamingIt(float fraction)
    {
        var options = Options(new CascadeTarget { TeacherQualityShare = 0.99 });
        options.CascadeHoldoutFraction = fraction;

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DistillationExperiment(_ml, options));

        Assert.Equal(nameof(DistillationExperimentOptions.CascadeHoldoutFraction), e.ParamName);
    }

    [Fact]
    public void Validated_NoCascadeTarget_HoldoutFractionIsNotChecked()
    {
        var options = Options(null);
        options.CascadeHoldoutFraction = 5f;

        _ = new DistillationExperiment(_ml, options); // the share is only used with a cascade
    }

    [Fact]
    public void Run_LearnedRule_ThresholdChosenOnTheOddHalfOfTheHeldOutRows()
    {
        var options = Options(new CascadeTarget { TeacherQualityShare = 0.995 });
        options.CascadeRule = DeferralRule.Learned;
        using var top = new DistillationExperiment(_ml, Options(new CascadeTarget { TeacherQualityShare = 0.995 })).Run(Train, Test);

        using var result = new DistillationExperiment(_ml, options).Run(Train, Test);

        var cascade = result.Students[0].Cascade!;
        var heldOut = top.Students[0].Cascade!.HeldOutRows;
        Assert.Equal(DeferralRule.Learned, cascade.Rule);
        Assert.Equal(heldOut / 2, cascade.HeldOutRows); // the even half trained the rule
        Assert.True(cascade.Curve.Count >= 21);
        Assert.Contains(cascade.Curve, p => p.DeferredShare == cascade.DeferredShare && p.Accuracy == cascade.Accuracy);
        // The same student (the rule does not change training), so the two cascades share their 0 % and 100 % points.
        Assert.Equal(top.Students[0].Cascade!.Curve[0], cascade.Curve[0]);
        Assert.Equal(top.Students[0].Cascade!.RuleCurves[DeferralRule.Learned], cascade.RuleCurves[DeferralRule.Learned]);
    }

    [Fact]
    public void Validated_RuleNotDefined_ThrowsNamingTheRules()
    {
        var options = Options(new CascadeTarget { TeacherQualityShare = 0.99 });
        options.CascadeRule = (DeferralRule)42;

        var e = Assert.Throws<ArgumentException>(() => new DistillationExperiment(_ml, options));

        Assert.Equal(nameof(DistillationExperimentOptions.CascadeRule), e.ParamName);
        Assert.Contains("TopProbability, Margin, Entropy or Learned", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validated_TargetGivenTwoWays_Throws()
    {
        var options = Options(new CascadeTarget { TeacherQualityShare = 0.99, MaxDeferredShare = 0.2 });

        Assert.Throws<ArgumentException>(() => new DistillationExperiment(_ml, options));
    }

    [Fact]
    public void Validated_TargetChangedAfterwards_ExperimentKeepsItsCopy()
    {
        var target = new CascadeTarget { MaxDeferredShare = 0.1 };
        var experiment = new DistillationExperiment(_ml, Options(target));
        target.MaxDeferredShare = 0.9;

        using var result = experiment.Run(Train, Test);

        Assert.InRange(result.Students[0].Cascade!.HeldOutDeferredShare, 0, 0.1);
    }

    [Fact]
    public void CostPer1000_BothLatencies_StudentOnEveryRowTeacherOnTheDeferredShare()
    {
        var cascade = new DistillationCascade(DeferralRule.TopProbability, 0.5f, 0.2, 0.9, 0.95, true, 0.2, 100, []);

        Assert.Equal(10 + (0.2 * 100), cascade.CostPer1000(10, 100)!.Value, 9);
        Assert.Null(cascade.CostPer1000(double.NaN, 100));
        Assert.Null(cascade.CostPer1000(10, null));
    }

    [Fact]
    public void WithPoint_PointBetweenTwo_InsertedInOrderAndAPointOfTheSameShareReplaced()
    {
        CascadePoint[] curve = [new(0, 0.8, 0.9, float.NegativeInfinity), new(0.5, 0.9, 0.95, 0.7f), new(1, 0.95, 1, float.PositiveInfinity)];

        var inserted = DistillationCascadeMeasure.WithPoint(curve, new CascadePoint(0.2, 0.85, 0.92, 0.6f));
        var same = DistillationCascadeMeasure.WithPoint(curve, new CascadePoint(0.5, 0.9, 0.95, 0.65f));

        Assert.Equal([0, 0.2, 0.5, 1], inserted.Select(p => p.DeferredShare));
        Assert.Equal([float.NegativeInfinity, 0.65f, float.PositiveInfinity], same.Select(p => p.Threshold));
    }

    private sealed class Recorder(List<string> messages) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value) => messages.Add(value.Message);
    }
}
