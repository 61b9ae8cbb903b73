using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Students;

namespace MLNetDistill.Tests.Students;

/// <summary>The linear families' <c>normalize=auto|0|1</c>: min-max scaling before the trainer, on the real breast-cancer teacher.</summary>
public sealed class FeatureNormalizationTests
{
    private readonly MLContext _ml = new(seed: 0);

    [Fact]
    public void Run_DefaultSdcaOnUnscaledColumns_NormalizesAndBeatsTheUnnormalizedStudent()
    {
        // Breast-cancer columns run from about 0.001 (fractal dimension) to about 4,000 (worst area).
        var train = DataSourceReader.Load(TestPaths.Fixture("breast_cancer_train.csv"), "label");
        var test = DataSourceReader.Load(TestPaths.Fixture("breast_cancer_test.csv"), "label");
        var options = new DistillationExperimentOptions { TeacherModelFile = TestPaths.Fixture("breast_cancer_teacher.onnx"), PseudoBaseline = true };
        options.Students.Add(DistillationStudent.FromSpec("sdca"));
        options.Students.Add(DistillationStudent.FromSpec("sdca:normalize=0"));
        options.Students.Add(DistillationStudent.FromSpec("lbfgs"));

        using var result = new DistillationExperiment(_ml, options).Run(train, test);

        var (normalized, unscaled, lbfgs) = (result.Students[0], result.Students[1], result.Students[2]);
        Assert.True(HasNormalizer(normalized.Distilled.Model));
        Assert.True(HasNormalizer(normalized.PseudoBaseline!.Model));
        Assert.False(HasNormalizer(unscaled.Distilled.Model));
        Assert.False(HasNormalizer(lbfgs.Distilled.Model)); // lbfgs: auto leaves numeric features as they are

        // Measured: 0.9298 normalized against 0.8816 (228 test rows); the pseudo-label twin is normalized too.
        Assert.True(normalized.Distilled.Metrics.Accuracy >= unscaled.Distilled.Metrics.Accuracy + 0.03,
            $"normalized {normalized.Distilled.Metrics.Accuracy}, unscaled {unscaled.Distilled.Metrics.Accuracy}");
        Assert.True(normalized.PseudoBaseline.Metrics.Accuracy >= unscaled.PseudoBaseline!.Metrics.Accuracy + 0.03);
    }

    [Fact]
    public void Run_DefaultSdcaOnPixelsInTheUnitRange_LeavesThemAsTheyAre()
    {
        // Fashion-MNIST pixels are in [0, 1]: normalizing changed no prediction and made the student 4.4x slower per row.
        var images = _ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 400);
        var options = new DistillationExperimentOptions { TeacherModelFile = TestPaths.FashionTeacher };
        options.Students.Add(DistillationStudent.FromSpec("sdca:iterations=3"));
        options.Students.Add(DistillationStudent.FromSpec("sdca:iterations=3,normalize=1"));

        using var result = new DistillationExperiment(_ml, options).Run(images);

        Assert.False(HasNormalizer(result.Students[0].Distilled.Model));
        Assert.True(HasNormalizer(result.Students[1].Distilled.Model));
    }

    [Fact]
    public void NeedsScaling_ValuesInOrOutOfTheUnitRange_OnlyOutsideIt()
    {
        Assert.False(AutoMinMaxEstimator.NeedsScaling(_ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 200)));
        Assert.True(AutoMinMaxEstimator.NeedsScaling(DataSourceReader.Load(TestPaths.Fixture("breast_cancer_train.csv"), "label")));
        Assert.True(AutoMinMaxEstimator.NeedsScaling(_ml.Data.LoadFromEnumerable(new[] { new Row { Features = [0.5f, -1.5f] } })));
        Assert.False(AutoMinMaxEstimator.NeedsScaling(_ml.Data.LoadFromEnumerable(new[] { new Row { Features = [1f, -1f] } })));
    }

    [Theory]
    [InlineData("sdca", "sdca:iterations=auto")]
    [InlineData("sdca:normalize=0", "sdca:iterations=auto,normalize=0")]
    [InlineData("lbfgs:normalize=1", "lbfgs:iterations=auto,normalize=1")]
    public void Parse_NormalizeOption_AutoIsLeftOutAndExplicitValuesStay(string text, string canonical) =>
        Assert.Equal(canonical, StudentSpec.Parse(text).ToString());

    [Fact]
    public void Parse_NormalizeOutOfRange_ThrowsNamingTheRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => StudentSpec.Parse("sdca:normalize=2"));
        Assert.Contains("normalize", ex.Message, StringComparison.Ordinal);
        Assert.Contains("from 0 to 1", ex.Message, StringComparison.Ordinal);
    }

    private static bool HasNormalizer(ITransformer model) =>
        model is TransformerChain<ITransformer> chain
            ? chain.Any(HasNormalizer)
            : model is NormalizingTransformer || (model.GetType().IsGenericType && model is IEnumerable<ITransformer> inner && inner.Any(HasNormalizer));

    private sealed class Row
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];
    }
}
