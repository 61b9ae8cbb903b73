using Microsoft.ML;
using Microsoft.ML.Trainers;
using MLNetDistill.Data;

namespace MLNetDistill.Students;

/// <summary>
/// <c>lbfgs[:iterations=auto|N,l1=X,l2=X,normalize=auto|0|1]</c>: ML.NET's LbfgsMaximumEntropy (a linear softmax model) on soft labels, one thread.
/// <c>iterations=auto</c> (the default): a text student runs L-BFGS until ML.NET's own convergence test stops it (what a
/// plain ML.NET pipeline gets); a student of numeric features makes at most <see cref="NumericIterations"/> iterations,
/// the default every tabular and image figure was measured with. An explicit <c>iterations=N</c> is at most N either way.
/// <c>l1</c> and <c>l2</c> are the L1 and L2 regularization weights. Left at <c>auto</c>, a numeric student keeps ML.NET's
/// own 1 and 1; a text student uses <see cref="TextRegularization"/> for both: on FeaturizeText's sparse, L2-normalized
/// n-grams ML.NET's L1 weight of 1 zeroes most of the useful words (SpamAssassin, 300 labeled + 3,177 transfer emails:
/// 0.9487 at 1 and 1, 0.9735 with l1=0, 0.9793 at 0.1 and 0.1, against 0.9752 for plain ML.NET's SdcaMaximumEntropy on the
/// teacher's arg-max labels).
/// </summary>
internal sealed class LbfgsStudent : IStudentFamily
{
    /// <summary>The iterations <c>iterations=auto</c> makes over numeric features.</summary>
    internal const int NumericIterations = 100;

    /// <summary>The L1 and L2 weights <c>l1=auto</c> and <c>l2=auto</c> give a text student.</summary>
    internal const float TextRegularization = 0.1f;

    public string Name => "lbfgs";

    public IReadOnlyList<StudentOption> Options { get; } =
    [
        new("iterations", 0, 1, 100_000, Automatic: "auto"),
        new("l1", -1, 0, 1e6, Automatic: "auto") { OmitWhenDefault = true },
        new("l2", -1, 0, 1e6, Automatic: "auto") { OmitWhenDefault = true },
        FeatureNormalization.Option,
    ];

    public StudentTrainers Build(StudentSpec spec, StudentBuildContext context) => FeatureNormalization.Apply(new(
        context.MLContext.MulticlassClassification.Trainers.SoftLabel(Trainer(spec, context, DataColumnNames.Weight), new SoftLabelOptions { Alpha = context.Alpha }),
        new HardLabelTrainer(context.MLContext, Trainer(spec, context, weightColumn: null), context.Classes)), spec, context, numericByDefault: false);

    /// <summary>An explicit weight as given; <c>auto</c>: <see cref="TextRegularization"/> for text, ML.NET's 1 otherwise.</summary>
    private static float Regularization(double value, StudentSpec spec, StudentBuildContext context) =>
        value >= 0 ? (float)value : context.IsText(spec) ? TextRegularization : 1f;

    private static LbfgsMaximumEntropyMulticlassTrainer Trainer(StudentSpec spec, StudentBuildContext context, string? weightColumn) =>
        context.MLContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
        {
            LabelColumnName = DataColumnNames.Label,
            ExampleWeightColumnName = weightColumn,
            MaximumNumberOfIterations = spec["iterations"] >= 1 ? (int)spec["iterations"] : context.IsText(spec) ? int.MaxValue : NumericIterations,
            L1Regularization = Regularization(spec["l1"], spec, context),
            L2Regularization = Regularization(spec["l2"], spec, context),
            NumberOfThreads = 1,
        });
}
