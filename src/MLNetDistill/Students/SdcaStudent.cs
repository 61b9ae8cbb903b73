using Microsoft.ML;
using Microsoft.ML.Trainers;
using MLNetDistill.Data;

namespace MLNetDistill.Students;

/// <summary>
/// <c>sdca[:iterations=auto|N,normalize=auto|0|1]</c>: ML.NET's SdcaMaximumEntropy (a linear softmax model) on soft labels, one thread.
/// <c>iterations=auto</c> (the default): a text student (FeaturizeText's hundreds of thousands of sparse n-grams, where
/// 20 passes leave SDCA far from converged) leaves the number of passes to ML.NET's own heuristic
/// (<c>MaximumNumberOfIterations = null</c>, what a plain ML.NET pipeline gets, stopping on its duality gap); a student
/// of numeric features makes at most <see cref="NumericPasses"/> passes, the default every tabular and image figure was
/// measured with. An explicit <c>iterations=N</c> is at most N passes either way. Numeric features outside [-1, 1] are min-max normalized
/// first (<c>normalize=auto</c>; see <see cref="FeatureNormalization"/>).
/// </summary>
internal sealed class SdcaStudent : IStudentFamily
{
    /// <summary>The passes <c>iterations=auto</c> makes over numeric features.</summary>
    internal const int NumericPasses = 20;

    public string Name => "sdca";

    public IReadOnlyList<StudentOption> Options { get; } = [new("iterations", 0, 1, 10_000, Automatic: "auto"), FeatureNormalization.Option];

    public StudentTrainers Build(StudentSpec spec, StudentBuildContext context) => FeatureNormalization.Apply(new(
        context.MLContext.MulticlassClassification.Trainers.SoftLabel(Trainer(spec, context, DataColumnNames.Weight), new SoftLabelOptions { Alpha = context.Alpha }),
        new HardLabelTrainer(context.MLContext, Trainer(spec, context, weightColumn: null), context.Classes)), spec, context, numericByDefault: true);

    private static SdcaMaximumEntropyMulticlassTrainer Trainer(StudentSpec spec, StudentBuildContext context, string? weightColumn) =>
        context.MLContext.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
        {
            LabelColumnName = DataColumnNames.Label,
            ExampleWeightColumnName = weightColumn,
            MaximumNumberOfIterations = spec["iterations"] >= 1 ? (int)spec["iterations"] : context.IsText(spec) ? null : NumericPasses,
            NumberOfThreads = 1,
        });
}
