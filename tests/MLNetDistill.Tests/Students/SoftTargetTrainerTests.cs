using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MLNetDistill.Data;
using MLNetDistill.Students;
using MLNetDistill.MlNet;

namespace MLNetDistill.Tests.Students;

/// <summary>SoftTarget's Options overload, its copy of the options and its input checks.</summary>
public sealed class SoftTargetTrainerTests
{
    [Fact]
    public void SoftTarget_OptionsOverload_SameModelAsSimpleOverload()
    {
        var ml = new MLContext(1);
        var data = Rows(ml);

        var simple = ml.Regression.Trainers.SoftTarget(Sdca(ml), alpha: 0.25f).Fit(data);
        var options = ml.Regression.Trainers.SoftTarget(Sdca(ml), new SoftTargetOptions { Alpha = 0.25f }).Fit(data);

        Assert.Equal(Scores(simple, data), Scores(options, data));
    }

    [Fact]
    public void SoftTarget_AlphaOne_SameModelAsTrainingOnTheTeacher()
    {
        // alpha = 1: the target is the teacher's prediction, so the model is the base trainer's on TeacherScore.
        var ml = new MLContext(1);
        var data = Rows(ml);
        var onTeacher = Sdca(ml).Fit(ml.Transforms.CopyColumns(DataColumnNames.Target, "TeacherScore").Fit(data).Transform(data));

        var model = ml.Regression.Trainers.SoftTarget(Sdca(ml), new SoftTargetOptions { Alpha = 1f }).Fit(data);

        Assert.Equal(Scores(onTeacher, data), Scores(model, data));
    }

    [Fact]
    public void SoftTarget_AlphaZero_SameModelAsTrainingOnTheLabel()
    {
        var ml = new MLContext(1);
        var data = Rows(ml);
        var onLabel = Sdca(ml).Fit(ml.Transforms.CopyColumns(DataColumnNames.Target, "Label").Fit(data).Transform(data));

        var model = ml.Regression.Trainers.SoftTarget(Sdca(ml), new SoftTargetOptions { Alpha = 0f }).Fit(data);

        Assert.Equal(Scores(onLabel, data), Scores(model, data));
        Assert.NotEqual(Scores(onLabel, data), Scores(ml.Regression.Trainers.SoftTarget(Sdca(ml), new SoftTargetOptions { Alpha = 1f }).Fit(data), data));
    }

    [Fact]
    public void SoftTarget_OptionsChangedAfterBuilding_TrainsAsBuilt()
    {
        var ml = new MLContext(1);
        var data = Rows(ml);
        var reference = ml.Regression.Trainers.SoftTarget(Sdca(ml), new SoftTargetOptions { Alpha = 0.25f }).Fit(data);
        var options = new SoftTargetOptions { Alpha = 0.25f };
        var trainer = ml.Regression.Trainers.SoftTarget(Sdca(ml), options);

        options.Alpha = 1f;
        options.TeacherScoreColumnName = "Missing";
        options.LabelColumnName = "Other";

        Assert.Equal(Scores(reference, data), Scores(trainer.Fit(data), data));
    }

    [Fact]
    public void SoftTarget_Building_DoesNotChangeTheCallersOptions()
    {
        var ml = new MLContext(1);
        var options = new SoftTargetOptions { Alpha = 0.8f, LabelColumnName = "T", SourceLabelColumnName = "Y", TeacherScoreColumnName = "P" };

        ml.Regression.Trainers.SoftTarget(Sdca(ml), options);

        Assert.Equal((0.8f, "T", "Y", "P"), (options.Alpha, options.LabelColumnName, options.SourceLabelColumnName, options.TeacherScoreColumnName));
    }

    [Fact]
    public void Defaults_ComeFromDataColumnNames()
    {
        var options = new SoftTargetOptions();

        Assert.Equal((DataColumnNames.Target, DataColumnNames.Label, DataColumnNames.TeacherScore, 0.5f),
            (options.LabelColumnName, options.SourceLabelColumnName, options.TeacherScoreColumnName, options.Alpha));
    }

    [Theory]
    [InlineData(nameof(SoftTargetOptions.LabelColumnName))]
    [InlineData(nameof(SoftTargetOptions.SourceLabelColumnName))]
    [InlineData(nameof(SoftTargetOptions.TeacherScoreColumnName))]
    public void SoftTarget_BlankColumnName_ThrowsNamingTheOption(string option)
    {
        var ml = new MLContext(1);
        var options = new SoftTargetOptions();
        typeof(SoftTargetOptions).GetProperty(option)!.SetValue(options, " ");

        var ex = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.SoftTarget(Sdca(ml), options));

        Assert.Equal(option, ex.ParamName);
        Assert.Contains("cannot be an empty string or composed entirely of whitespace", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SoftTarget_TargetOverwritesTeacherColumn_ThrowsNamingBoth()
    {
        var ml = new MLContext(1);

        var ex = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.SoftTarget(Sdca(ml), new SoftTargetOptions { LabelColumnName = "TeacherScore" }));

        Assert.Equal(nameof(SoftTargetOptions.LabelColumnName), ex.ParamName);
        Assert.Contains("LabelColumnName and TeacherScoreColumnName are both 'TeacherScore'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_TeacherScoreMissing_ThrowsNamingColumnAndFix()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, [[1f]]);

        var ex = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.SoftTarget(Sdca(ml)).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("The teacher prediction column 'TeacherScore' is not in the data", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Task = TeacherTask.Regression", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_TeacherScoreVector_ThrowsNamingType()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new VectorTeacherRow()]);

        var ex = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.SoftTarget(Sdca(ml)).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));

        Assert.Contains("The teacher prediction column 'TeacherScore' holds Vector<Single>; a regression teacher's prediction must be a Single", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_DoubleLabel_ThrowsInsteadOfIgnoringIt()
    {
        // StudentTargets.Mix reads only a Single label; a Double one would silently leave every row teacher-only.
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new DoubleLabelRow()]);

        var ex = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.SoftTarget(Sdca(ml)).Fit(data));

        Assert.Contains("The label column 'Label' holds Double; a regression label must be a Single", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ConvertType(\"Label\", outputKind: DataKind.Single)", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A deterministic SDCA (one thread, no shuffling), so two fits on the same rows give the same model.</summary>
    private static SdcaRegressionTrainer Sdca(MLContext ml) => ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options
    {
        LabelColumnName = DataColumnNames.Target, NumberOfThreads = 1, Shuffle = false, MaximumNumberOfIterations = 20,
    });

    private static float[] Scores(ITransformer model, IDataView data) => model.Transform(data).GetColumn<float>("Score").ToArray();

    /// <summary>Thirty rows: feature x, teacher 2 x + 1, label the teacher plus a deterministic wiggle.</summary>
    private static IDataView Rows(MLContext ml) => ml.Data.LoadFromEnumerable(Enumerable.Range(0, 30).Select(i =>
    {
        float x = i / 10f;
        float teacher = (2 * x) + 1;
        return new RegressionRow { Features = [x], TeacherScore = teacher, Label = teacher + ((i % 5) - 2) * 0.3f + (i % 2 == 0 ? 0.5f * x : 0f) };
    }).ToArray());

    private sealed class RegressionRow
    {
        [VectorType(1)]
        public float[] Features { get; set; } = [];

        public float TeacherScore { get; set; }

        public float Label { get; set; }
    }

    private sealed class VectorTeacherRow
    {
        [VectorType(1)]
        public float[] Features { get; set; } = new float[1];

        [VectorType(2)]
        public float[] TeacherScore { get; set; } = new float[2];
    }

    private sealed class DoubleLabelRow
    {
        [VectorType(1)]
        public float[] Features { get; set; } = new float[1];

        public float TeacherScore { get; set; }

        public double Label { get; set; }
    }
}
