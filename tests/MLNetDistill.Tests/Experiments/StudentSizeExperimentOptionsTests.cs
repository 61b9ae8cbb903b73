using Microsoft.ML;
using MLNetDistill.Augmentation;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Experiments;

/// <summary><see cref="StudentSizeExperimentOptions.Distillation"/>: one place for the distillation settings, the old properties forwarding to it.</summary>
public sealed class StudentSizeExperimentOptionsTests
{
    private readonly MLContext _ml = new(seed: 0);

    private static string BinaryTeacher => TestPaths.Fixture("binary_teacher.onnx");

    private IDataView Cancer => DataSourceReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label");

#pragma warning disable CS0618 // the obsolete forwarders are what is tested
    [Fact]
    public void ObsoleteProperties_Set_ForwardToDistillation()
    {
        var scoring = new TeacherScoringOptions { BatchSize = 64 };
        var augmentation = AugmentationOptions.Parse("spunge");
        IDataView cache = Cancer;
        var options = new StudentSizeExperimentOptions
        {
            TeacherModelFile = "teacher.onnx",
            TeacherScoring = scoring,
            TrainingSoftLabels = cache,
            TestSoftLabels = cache,
            TextColumnName = "Text",
            Augmentation = augmentation,
            Temperature = 3f,
            Alpha = 0.25f,
            PseudoBaseline = true,
            Seed = 7,
        };

        var d = options.Distillation;
        Assert.Equal("teacher.onnx", d.TeacherModelFile);
        Assert.Same(scoring, d.TeacherScoring);
        Assert.Same(cache, d.TrainingSoftLabels);
        Assert.Same(cache, d.TestSoftLabels);
        Assert.Equal("Text", d.TextColumnName);
        Assert.Same(augmentation, d.Augmentation);
        Assert.Equal(3f, d.Temperature);
        Assert.Equal(0.25f, d.Alpha);
        Assert.True(d.PseudoBaseline);
        Assert.Equal(7, d.Seed);
        Assert.Null(options.Teacher);

        options.Distillation = new DistillationExperimentOptions { Seed = 3, TextColumnName = "Body" };
        Assert.Equal(3, options.Seed);
        Assert.Equal("Body", options.TextColumnName);
        Assert.Null(options.TeacherModelFile);
    }
#pragma warning restore CS0618

    [Fact]
    public void Distillation_SetNull_Throws()
    {
        var options = new StudentSizeExperimentOptions();

        Assert.Throws<ArgumentNullException>(() => options.Distillation = null!);
    }

    [Fact]
    public void Run_StudentsInDistillation_ThrowsNamingDistillation()
    {
        var options = new StudentSizeExperimentOptions { Distillation = { TeacherModelFile = BinaryTeacher } };
        options.Distillation.Students.Add(DistillationStudent.FromSpec("sdca"));
        var experiment = new StudentSizeExperiment(_ml, options).AddStudents("sdca");

        var e = Assert.Throws<ArgumentException>(() => experiment.Run(Cancer));

        Assert.Equal(nameof(StudentSizeExperimentOptions.Distillation), e.ParamName);
        Assert.Contains("Distillation.Students", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_DistillationTestFraction_HoldsOutThatShare()
    {
        var options = new StudentSizeExperimentOptions { Distillation = { TeacherModelFile = BinaryTeacher, TestFraction = 0.5f }, MeasureLatency = false };

        using var result = new StudentSizeExperiment(_ml, options).AddStudents("sdca:iterations=5").Run(Cancer);

        // 569 rows: about half held out (TrainTestSplit splits by a hash, so not exactly), where the default holds out a fifth.
        long test = result.Experiment.TestRows, all = test + result.Experiment.TrainRows;
        Assert.Equal(569, all);
        Assert.InRange(test / (double)all, 0.4, 0.6);
        Assert.Single(result.Leaderboard.Entries);
    }
}
