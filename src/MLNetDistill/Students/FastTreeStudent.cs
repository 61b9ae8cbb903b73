using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using MLNetDistill.Data;

namespace MLNetDistill.Students;

/// <summary><c>fasttree[:trees=N,leaves=N]</c>: one-versus-all over ML.NET's FastTree binary trainer, on soft labels.</summary>
internal sealed class FastTreeStudent : IStudentFamily
{
    public string Name => "fasttree";


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
