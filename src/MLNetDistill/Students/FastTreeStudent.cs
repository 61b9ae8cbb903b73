using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using MLNetDistill.Data;

namespace MLNetDistill.Students;

/// <summary>
/// <c>fasttree[:trees=N,leaves=N]</c>: one-versus-all over ML.NET's FastTree binary trainer, on soft labels. A text student
/// whose spec gives no <c>text=</c> settings keeps only the n-grams found in at least <see cref="TextMinRows"/> training
/// texts (<c>text=word2,char3,rows=10</c>): FastTree bins every feature slot before its first tree, and on FeaturizeText's
/// full vocabulary (about 534,000 slots for 3,477 SpamAssassin emails) it had not finished one student in 19 minutes.
/// </summary>
internal sealed class FastTreeStudent : IStudentFamily
{
    /// <summary>The fewest training texts an n-gram must appear in for the default text featurization to keep it.</summary>
    internal const int TextMinRows = 10;

    public string Name => "fasttree";

    public TextFeaturization DefaultText { get; } = TextFeaturization.Default with { MinRows = TextMinRows };

    public IReadOnlyList<StudentOption> Options { get; } =
    [
        new("trees", 100, 1, 100_000),
        new("leaves", 20, 2, 131_072),
    ];

    public StudentTrainers Build(StudentSpec spec, StudentBuildContext context) => new(
        context.MLContext.MulticlassClassification.Trainers.SoftLabel(OneVersusAll(spec, context, DataColumnNames.Weight), new SoftLabelOptions { Alpha = context.Alpha }),
        new HardLabelTrainer(context.MLContext, OneVersusAll(spec, context, weightColumn: null), context.Classes));

    /// <summary>One-versus-all over FastTree with the spec's <c>trees</c> and <c>leaves</c> (also the logit-matching student's hard-label twin).</summary>
    internal static IEstimator<ITransformer> OneVersusAll(StudentSpec spec, StudentBuildContext context, string? weightColumn) =>
        context.MLContext.MulticlassClassification.Trainers.OneVersusAll(
            context.MLContext.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
            {
                ExampleWeightColumnName = weightColumn,
                NumberOfTrees = (int)spec["trees"],
                NumberOfLeaves = (int)spec["leaves"],
                Seed = context.Seed,
                NumberOfThreads = 1,
            }),
            labelColumnName: DataColumnNames.Label);
}
