using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Students;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Teachers;
using MLNetDistill.Tests.Llm;

namespace MLNetDistill.Tests.Experiments;

/// <summary>
/// Issue 21 items 1 and 9: the default text students against the plain ML.NET pipeline a user writes without us, and
/// text students that cannot eat the machine.
/// </summary>
public sealed class TextDefaultsTests
{
    [Fact]
    public void Parse_SdcaDefault_IsIterationsAutoAndAnExplicitCountStays()
    {
        var auto = StudentSpec.Parse("sdca");

        Assert.Equal("sdca:iterations=auto", auto.ToString());
        Assert.Equal(auto, StudentSpec.Parse("sdca:iterations=auto"));
        Assert.Equal(auto, StudentSpec.Parse(auto.ToString()));
        var twenty = StudentSpec.Parse("sdca:iterations=20");
        Assert.Equal(20, twenty["iterations"]);
        Assert.Equal("sdca:iterations=20", twenty.ToString());
        Assert.NotEqual(auto, twenty);
        Assert.Equal("sdca:iterations=auto,text=word2,char3", StudentSpec.Parse("sdca:text=default").ToString());
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => StudentSpec.Parse("sdca:iterations=0"));
        Assert.Contains("or auto (default auto)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LbfgsDefault_IsAutoAndExplicitValuesStay()
    {
        var auto = StudentSpec.Parse("lbfgs");

        Assert.Equal("lbfgs:iterations=auto", auto.ToString());
        Assert.Equal(auto, StudentSpec.Parse("lbfgs:iterations=auto,l1=auto,l2=auto"));
        var explicitSpec = StudentSpec.Parse("lbfgs:iterations=100,l1=1,l2=0.5");
        Assert.Equal(100, explicitSpec["iterations"]);
        Assert.Equal(1, explicitSpec["l1"]);
        Assert.Equal(0.5, explicitSpec["l2"]);
        Assert.Equal("lbfgs:iterations=100,l1=1,l2=0.5", explicitSpec.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => StudentSpec.Parse("lbfgs:l1=-1"));
    }

    [Fact]
    public void Parse_TextRowsPart_KeepsTheMinimumAndPrintsIt()
    {
        var spec = StudentSpec.Parse("fasttree:text=word2,char3,rows=10");

        Assert.Equal(10, spec.Text!.MinRows);
        Assert.Equal("fasttree:trees=100,leaves=20,text=word2,char3,rows=10", spec.ToString());
        Assert.Equal(spec, StudentSpec.Parse(spec.ToString()));
        Assert.Equal(0, StudentSpec.Parse("sdca:text=default").Text!.MinRows);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => StudentSpec.Parse("sdca:text=word1,rows=0"));
        Assert.Equal("text", error.ParamName);
    }

    [Fact]
    public void Fit_TextRowsPart_KeepsOnlyTheNgramsOfAtLeastThatManyTexts()
    {
        var mlContext = new MLContext(0);
        var emails = mlContext.Data.TakeRows(EmailData.Load(mlContext), 200);

        int Slots(string text) => ((Microsoft.ML.Data.VectorDataViewType)TextFeaturization.Parse(text).Estimator(mlContext, "Text", "Features")
            .Fit(emails).Transform(emails).Schema["Features"].Type).Size;

        int all = Slots("word2,char3");
        int frequent = Slots("word2,char3,rows=10");
        Assert.InRange(frequent, 1, all / 5); // most n-grams of 200 emails appear in fewer than 10 of them
    }

    [Fact]
    public void DefaultTextStudents_Grid_HasNoStudentThatDensifiesTheVocabulary()
    {
        var experiment = new StudentSizeExperiment(new MLContext(0), new StudentSizeExperimentOptions { Distillation = { TextColumnName = "Text" } }).AddDefaultStudents();

        Assert.Equal(StudentSizeExperiment.DefaultTextStudents, experiment.Options.Students.Select(s => s.Name));
        Assert.NotEmpty(StudentSizeExperiment.DefaultTextStudents);
        Assert.All(experiment.Options.Students, s => Assert.False(s.Spec!.IsNeural, $"{s.Name} is a neural student: it densifies the n-gram vector"));
        Assert.Contains(StudentSizeExperiment.DefaultStudents, s => StudentSpec.Parse(s).IsNeural); // the image/tabular grid keeps its MLPs
    }

    [Fact]
    public void Run_TextMlpOverTheMemoryLimit_RefusesBeforeTrainingNamingTheEstimate()
    {
        var mlContext = new MLContext(0);
        var emails = mlContext.Data.Cache(DataSourceReader.LoadText(TestPaths.Fixture("text_emails.csv"), "Text", "Label"));
        var reports = new List<StudentSizeExperimentProgress>();
        var experiment = new StudentSizeExperiment(mlContext, new StudentSizeExperimentOptions { Distillation = { TextColumnName = "Text" }, MeasureLatency = false })
            .SetTeacher(MLNetDistill.Tests.Llm.TextTeacher.ModelFile)
            .AddStudents("mlp:8:epochs=1");

        MlpMemoryEstimate.LimitForTests = 64 * 1024;
        InvalidOperationException error;
        try
        {
            error = Assert.Throws<InvalidOperationException>(() => experiment.Run(mlContext.Data.TakeRows(emails, 40), mlContext.Data.SkipRows(emails, 40), progress: new ListProgress(reports)));
        }
        finally
        {
            MlpMemoryEstimate.LimitForTests = null;
        }

        Assert.Contains("would need about", error.Message, StringComparison.Ordinal);
        Assert.Contains("40 rows x", error.Message, StringComparison.Ordinal);
        Assert.Contains("feature slots", error.Message, StringComparison.Ordinal);
        Assert.Contains("64.0 KB", error.Message, StringComparison.Ordinal);
        Assert.Contains("it was not started", error.Message, StringComparison.Ordinal);
        Assert.Contains("sdca", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(reports, r => r.Detail?.Epoch is not null); // refused before the first epoch
    }

    [Fact]
    public void For_TextSizedFeatures_CountsDenseFeaturesAndParameterState()
    {
        var estimate = MlpMemoryEstimate.For(rows: 3_477, features: 500_000, classes: 2, hidden: [32]);

        Assert.Equal(3_477L * 500_000 * 4, estimate.FeatureBytes);
        Assert.Equal(((500_000L + 1) * 32 + (32 + 1) * 2) * 6 * 4, estimate.ParameterBytes);
        Assert.True(estimate.Bytes > 6L << 30);
    }

    /// <summary>
    /// The comparison, reduced to the committed 500-email sample and the committed SpamAssassin teacher: 100
    /// labeled emails, 250 unlabeled ones, 150 held out. The plain pipeline (ML.NET's FeaturizeText + SdcaMaximumEntropy at
    /// its defaults, on the labels plus the teacher's arg-max label of each unlabeled email) against our default text
    /// <c>sdca</c> and <c>lbfgs</c> students distilled from the same rows through the public experiment path.
    /// </summary>
    /// <param name="family">The student family whose default text spec is checked.</param>
    [Theory]
    [InlineData("sdca")]
    [InlineData("lbfgs")]
    public void Run_DefaultTextStudentOnTheSample_MatchesOrBeatsThePlainPipelineOnTheSameRows(string family)
    {
        var mlContext = new MLContext(0);
        var emails = EmailData.Load(mlContext);
        var labeled = mlContext.Data.Cache(mlContext.Data.TakeRows(emails, 100));
        var unlabeled = mlContext.Data.Cache(mlContext.Data.TakeRows(mlContext.Data.SkipRows(emails, 100), 250));
        var test = mlContext.Data.Cache(mlContext.Data.SkipRows(emails, 350));
        string teacherFile = Path.Combine(TestPaths.Repo, "samples", "teachers", "spam_transformer", "model.onnx");
        using var teacher = mlContext.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = teacherFile, TextColumnName = "Text" }).Fit(labeled);

        // The plain pipeline, as a user without us writes it.
        float[] pseudo = [.. teacher.Transform(unlabeled).GetColumn<VBuffer<float>>(DataColumnNames.SoftLabels).Select(v => v.GetValues()[1] > v.GetValues()[0] ? 1f : 0f)];
        var rows = EmailData.Texts(labeled).Zip(EmailData.Labels(labeled)).Concat(EmailData.Texts(unlabeled).Zip(pseudo))
            .Select(p => new LabeledText { Text = p.First, Label = p.Second }).ToArray();
        var peer = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.Text.FeaturizeText("Features", "Text"))
            .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy())
            .Fit(mlContext.Data.LoadFromEnumerable(rows));
        double peerAccuracy = mlContext.MulticlassClassification.Evaluate(peer.Transform(test)).MicroAccuracy;

        // Ours: the default sdca spec, a text student through the experiment, the unlabeled emails as transfer rows.
        var options = new DistillationExperimentOptions { Teacher = teacher, TextColumnName = "Text" };
        options.Students.Add(DistillationStudent.FromSpec(family));
        using var result = new DistillationExperiment(mlContext, options).Run(labeled, test, unlabeled);

        Assert.Equal(350, result.TrainRows + result.TransferRows);
        Assert.StartsWith(StudentSpec.Parse(family).ToString(), result.Students[0].Description, StringComparison.Ordinal);
        double ours = result.Students[0].Distilled.Metrics.Accuracy;
        Assert.InRange(peerAccuracy, 0.8, 1.0); // the peer is a real classifier here, not a strawman
        Assert.True(ours >= peerAccuracy, $"default text {family} {ours:F4} < plain ML.NET on labels + teacher's arg-max labels {peerAccuracy:F4}");
    }

    private sealed class ListProgress(List<StudentSizeExperimentProgress> reports) : IProgress<StudentSizeExperimentProgress>
    {
        public void Report(StudentSizeExperimentProgress value) => reports.Add(value);
    }

    private sealed class LabeledText
    {
        public string Text { get; set; } = "";

        public float Label { get; set; }
    }
}
