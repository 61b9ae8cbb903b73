using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Onnx.Proto;
using MLNetDistill.Serving;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Serving;

/// <summary>The cascade end to end with the real Fashion-MNIST CNN teacher and an MLP student.</summary>
public sealed class CascadeEstimatorTests(CascadeFixture fixture) : IClassFixture<CascadeFixture>
{
    private readonly MLContext _ml = fixture.Ml;
    private readonly IDataView _heldOut = fixture.HeldOut;
    private readonly IDataView _test = fixture.Test;
    private readonly TeacherScoringTransformer _teacher = fixture.Teacher;
    private readonly MlpStudentTransformer _student = fixture.Student;

    [Fact]
    public void Transform_FittedOnHeldOut_AnswersEqualOfflineCurveAndTeacherScoresOnlyDeferredRows()
    {
        var cascade = _ml.Transforms.Cascade(_student, _teacher, new CascadeOptions { Target = new CascadeTarget { MaxDeferredShare = 0.3 }, BatchSize = 64 }).Fit(_heldOut);
        Assert.InRange(cascade.Choice!.DeferredShare, 0.25, 0.3);
        Assert.True(cascade.Choice.TargetMet);

        var offline = HeldOutRows.Read(_student, _teacher, "Score", "Label", _test);
        float[] confidence = new float[offline.Rows];
        DeferralScores.Confidence(DeferralRule.TopProbability, offline.Probabilities, 10, confidence);
        var point = CascadeCurve.Measure(confidence, offline.StudentPredicted, offline.TeacherPredicted, offline.Labels).At(cascade.Threshold);

        long before = _teacher.RowsScored;
        var output = cascade.Transform(_test);
        bool[] deferred = output.GetColumn<bool>(CascadeTransformer.DeferredColumnName).ToArray();
        uint[] predicted = output.GetColumn<uint>("PredictedLabel").ToArray();
        long teacherRows = _teacher.RowsScored - before;

        Assert.Equal(offline.Rows, deferred.Length);
        Assert.Equal(deferred.Count(d => d) * 2, teacherRows); // two passes: one per GetColumn
        Assert.Equal(point.DeferredShare, deferred.Count(d => d) / (double)deferred.Length);
        for (int r = 0; r < deferred.Length; r++)
        {
            Assert.Equal(confidence[r] < cascade.Threshold, deferred[r]);
            Assert.Equal(deferred[r] ? offline.TeacherPredicted[r] : offline.StudentPredicted[r], (int)predicted[r] - 1);
        }

        double accuracy = Enumerable.Range(0, deferred.Length).Count(r => predicted[r] - 1 == offline.Labels[r]) / (double)deferred.Length;
        Assert.Equal(point.Accuracy!.Value, accuracy, 12);
        Assert.True(point.DeferredShare is > 0 and < 1);
    }

    [Fact]
    public void Transform_DeferredRows_ScoreIsTheTeachersSoftmaxElseTheStudents()
    {
        float threshold = MedianTopProbability();
        var cascade = _ml.Transforms.CascadeAt(_student, _teacher, threshold);
        var output = cascade.Transform(_test);
        float[][] score = output.GetColumn<float[]>("Score").ToArray();
        bool[] deferred = output.GetColumn<bool>(CascadeTransformer.DeferredColumnName).ToArray();
        float[][] teacher = _teacher.Transform(_test).GetColumn<float[]>(DataColumnNames.SoftLabels).ToArray();
        float[][] student = _student.Transform(_test).GetColumn<float[]>("Score").ToArray();

        Assert.Contains(true, deferred);
        Assert.Contains(false, deferred);
        for (int r = 0; r < score.Length; r++)
        {
            Assert.Equal(deferred[r] ? teacher[r] : student[r], score[r], new FloatComparer(1e-6));
            Assert.Equal(student[r].Max() < threshold, deferred[r]);
        }
    }

    [Fact]
    public void PredictionEngine_OneRowAtATime_SameAnswersAndTeacherRunsOnlyForDeferredRows()
    {
        var cascade = _ml.Transforms.CascadeAt(_student, _teacher, MedianTopProbability());
        var batch = cascade.Transform(_test);
        uint[] expected = batch.GetColumn<uint>("PredictedLabel").Take(40).ToArray();
        bool[] expectedDeferred = batch.GetColumn<bool>(CascadeTransformer.DeferredColumnName).Take(40).ToArray();
        float[][] images = _test.GetColumn<float[]>("Features").Take(40).ToArray();
        using var engine = _ml.Model.CreatePredictionEngine<ImageRow, CascadeAnswer>(cascade, new PredictionEngineOptions { OwnsTransformer = false });

        long before = _teacher.RowsScored;
        for (int r = 0; r < images.Length; r++)
        {
            long start = _teacher.RowsScored;
            var answer = engine.Predict(new ImageRow { Features = images[r] });
            Assert.Equal(expected[r], answer.PredictedLabel);
            Assert.Equal(expectedDeferred[r], answer.Deferred);
            Assert.Equal(answer.Deferred ? 1 : 0, _teacher.RowsScored - start);
            Assert.Equal(10, answer.Score.Length);
        }

        Assert.Equal(expectedDeferred.Count(d => d), _teacher.RowsScored - before);
        Assert.Contains(true, expectedDeferred);
        Assert.Contains(false, expectedDeferred);
    }

    [Fact]
    public void Evaluate_CascadeOutput_AccuracyAsCountedAndAboveTheStudentAlone()
    {
        var cascade = _ml.Transforms.Cascade(_student, _teacher, 0.99).Fit(_heldOut);
        var keyed = _ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(_test).Transform(_test);

        var metrics = _ml.MulticlassClassification.Evaluate(cascade.Transform(keyed), labelColumnName: "LabelKey");
        var studentMetrics = _ml.MulticlassClassification.Evaluate(_student.Transform(keyed), labelColumnName: "LabelKey");

        var output = cascade.Transform(_test);
        float[] labels = output.GetColumn<float>("Label").ToArray();
        uint[] predicted = output.GetColumn<uint>("PredictedLabel").ToArray();
        Assert.Equal(Enumerable.Range(0, labels.Length).Count(r => predicted[r] - 1 == labels[r]) / (double)labels.Length, metrics.MicroAccuracy, 12);
        Assert.True(metrics.MicroAccuracy > studentMetrics.MicroAccuracy, $"cascade {metrics.MicroAccuracy} vs student {studentMetrics.MicroAccuracy}");
    }

    [Fact]
    public void Fit_LearnedRule_ChoosesOnTheOtherHalfAndServes()
    {
        var options = new CascadeOptions { Rule = DeferralRule.Learned, Target = new CascadeTarget { MaxDeferredShare = 0.2 } };
        var cascade = _ml.Transforms.Cascade(_student, _teacher, options).Fit(_heldOut);

        Assert.Equal(DeferralRule.Learned, cascade.Rule);
        Assert.InRange(cascade.Choice!.DeferredShare, 0.15, 0.2);
        bool[] deferred = cascade.Transform(_test).GetColumn<bool>(CascadeTransformer.DeferredColumnName).ToArray();
        Assert.InRange(deferred.Count(d => d) / (double)deferred.Length, 0.05, 0.4);
    }

    [Fact]
    public void MeasureCurve_TestRows_AtThresholdEqualsTheServedAnswers()
    {
        var cascade = _ml.Transforms.Cascade(_student, _teacher, new CascadeOptions { Rule = DeferralRule.Entropy, Target = new CascadeTarget { MaxDeferredShare = 0.25 } }).Fit(_heldOut);

        var point = cascade.MeasureCurve(_test).At(cascade.Threshold);

        var output = cascade.Transform(_test);
        bool[] deferred = output.GetColumn<bool>(CascadeTransformer.DeferredColumnName).ToArray();
        uint[] predicted = output.GetColumn<uint>("PredictedLabel").ToArray();
        float[] labels = output.GetColumn<float>("Label").ToArray();
        Assert.Equal(deferred.Count(d => d) / (double)deferred.Length, point.DeferredShare);
        Assert.Equal(Enumerable.Range(0, labels.Length).Count(r => predicted[r] - 1 == labels[r]) / (double)labels.Length, point.Accuracy!.Value, 12);
    }

    [Fact]
    public void Transform_BatchSizeOneOrManyAndParallelCursors_SameAnswers()
    {
        var heldOutChoice = _ml.Transforms.Cascade(_student, _teacher, new CascadeOptions { Target = new CascadeTarget { MaxDeferredShare = 0.3 } }).Fit(_heldOut);
        var one = _ml.Transforms.Cascade(_student, _teacher, new CascadeOptions { Target = new CascadeTarget { MaxDeferredShare = 0.3 }, BatchSize = 1 }).Fit(_heldOut);
        Assert.Equal(heldOutChoice.Threshold, one.Threshold);

        uint[] expected = heldOutChoice.Transform(_test).GetColumn<uint>("PredictedLabel").ToArray();
        Assert.Equal(expected, one.Transform(_test).GetColumn<uint>("PredictedLabel").ToArray());
        var results = new uint[4][];
        Parallel.For(0, 4, t => results[t] = heldOutChoice.Transform(_test).GetColumn<uint>("PredictedLabel").ToArray());
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void Fit_Unlabeled_ChoosesOnAgreementWithTheTeacher()
    {
        var options = new CascadeOptions { LabelColumnName = null, Rule = DeferralRule.Margin, Target = new CascadeTarget { TeacherQualityShare = 0.97 } };
        var cascade = _ml.Transforms.Cascade(_student, _teacher, options).Fit(_heldOut);

        var curve = cascade.HeldOutCurve!;
        Assert.All(curve.Points, p => Assert.Null(p.Accuracy));
        var chosen = curve.At(cascade.Threshold);
        Assert.True(chosen.Agreement >= 0.97, $"agreement {chosen.Agreement}");
        Assert.Equal(cascade.Choice!.DeferredShare, chosen.DeferredShare);
        Assert.True(curve.Points[0].Agreement < 0.97, "the student alone already agrees; pick a harder target");
    }

    [Theory]
    [InlineData(DeferralRule.TopProbability)]
    [InlineData(DeferralRule.Margin)]
    [InlineData(DeferralRule.Entropy)]
    [InlineData(DeferralRule.Learned)]
    public void SaveLoad_MlpCascade_LoadedModelAnswersAsTheLiveCascade(DeferralRule rule)
    {
        var cascade = _ml.Transforms.Cascade(_student, _teacher, new CascadeOptions { Rule = rule, Target = new CascadeTarget { MaxDeferredShare = 0.3 } }).Fit(_heldOut);
        using var stream = new MemoryStream();
        _ml.Model.Save(cascade, _test.Schema, stream);
        stream.Position = 0;
        _ml.ComponentCatalog.RegisterAssembly(typeof(CascadeCatalog).Assembly);
        var loaded = _ml.Model.Load(stream, out _);

        var live = cascade.Transform(_test);
        var saved = loaded.Transform(_test);
        bool[] deferred = live.GetColumn<bool>(CascadeTransformer.DeferredColumnName).ToArray();
        Assert.Equal(deferred, saved.GetColumn<bool>(CascadeTransformer.DeferredColumnName).ToArray());
        Assert.Equal(live.GetColumn<uint>("PredictedLabel").ToArray(), saved.GetColumn<uint>("PredictedLabel").ToArray());
        float[][] liveScore = live.GetColumn<float[]>("Score").ToArray();
        float[][] savedScore = saved.GetColumn<float[]>("Score").ToArray();
        for (int r = 0; r < liveScore.Length; r++)
        {
            Assert.Equal(liveScore[r], savedScore[r], new FloatComparer(1e-5));
        }

        Assert.Contains(true, deferred);
        Assert.Contains(false, deferred);
    }

    [Fact]
    public void SaveLoad_PredictionEngineOnTheLoadedCascade_SameAnswers()
    {
        var cascade = _ml.Transforms.CascadeAt(_student, _teacher, MedianTopProbability());
        string zip = TestPaths.TempFile(".zip");
        _ml.Model.Save(cascade, _test.Schema, zip);
        _ml.ComponentCatalog.RegisterAssembly(typeof(CascadeCatalog).Assembly);
        var loaded = _ml.Model.Load(zip, out _);
        var batch = cascade.Transform(_test);
        uint[] expected = batch.GetColumn<uint>("PredictedLabel").Take(30).ToArray();
        bool[] expectedDeferred = batch.GetColumn<bool>(CascadeTransformer.DeferredColumnName).Take(30).ToArray();
        float[][] images = _test.GetColumn<float[]>("Features").Take(30).ToArray();

        using var engine = _ml.Model.CreatePredictionEngine<ImageRow, CascadeAnswer>(loaded);
        for (int r = 0; r < images.Length; r++)
        {
            var answer = engine.Predict(new ImageRow { Features = images[r] });
            Assert.Equal(expected[r], answer.PredictedLabel);
            Assert.Equal(expectedDeferred[r], answer.Deferred);
        }
    }

    [Fact]
    public void CascadeOnnx_Build_TeacherNodesOnlyInsideTheIfThenBranch()
    {
        byte[] bytes = CascadeOnnx.Build(_student.OnnxModel.Span, _teacher.Graph.Bytes, _teacher.Graph.Inputs[0].Name, _teacher.Options.LogitsColumnName, 10, DeferralRule.TopProbability, 0.5f, null);
        var graph = ModelProto.Parser.ParseFrom(bytes).Graph;

        Assert.DoesNotContain(graph.Node, n => n.Name.StartsWith("cascade_t/", StringComparison.Ordinal));
        var branch = Assert.Single(graph.Node, n => n.OpType == "If");
        var then = branch.Attribute.Single(a => a.Name == "then_branch").G;
        Assert.Contains(then.Node, n => n.OpType == "Conv");
        Assert.All(then.Node, n => Assert.True(n.Name.StartsWith("cascade_t/", StringComparison.Ordinal) || n.OpType == "Softmax", n.Name));
        Assert.DoesNotContain(branch.Attribute.Single(a => a.Name == "else_branch").G.Node, n => n.OpType == "Conv");
    }

    [Fact]
    public void Save_StudentNotAnOnnxGraph_ThrowsNotSupportedNamingTheWayToRebuildIt()
    {
        var cascade = _ml.Transforms.CascadeAt(new TransformerChain<ITransformer>(_student), _teacher, 0.9f);
        using var stream = new MemoryStream();
        var ex = Assert.Throws<NotSupportedException>(() => _ml.Model.Save(cascade, _test.Schema, stream));
        Assert.Contains("CascadeAt", ex.Message);
    }

    [Fact]
    public void Fit_StudentWithoutScore_ThrowsNamingTheColumn()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            _ml.Transforms.Cascade(_student, _teacher, new CascadeOptions { ScoreColumnName = "Probabilities" }).Fit(_heldOut));
        Assert.Contains("'Probabilities'", ex.Message);
    }

    private float MedianTopProbability()
    {
        float[] top = _student.Transform(_test).GetColumn<float[]>("Score").Select(p => p.Max()).Order().ToArray();
        return top[top.Length / 2];
    }

    public sealed class ImageRow
    {
        [VectorType(784)]
        public float[] Features { get; set; } = [];
    }

    public sealed class CascadeAnswer
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }

        public bool Deferred { get; set; }
    }
}
