using Microsoft.ML;
using Microsoft.ML.Trainers;
using MLNetDistill.Data;

namespace MLNetDistill.Students;

/// <summary><c>lbfgs[:iterations=N]</c>: ML.NET's LbfgsMaximumEntropy (a linear softmax model) on soft labels, one thread.</summary>
internal sealed class LbfgsStudent : IStudentFamily
{
    public string Name => "lbfgs";

    public IReadOnlyList<StudentOption> Options { get; } = [new("iterations", 100, 1, 100_000)];

    public StudentTrainers Build(StudentSpec spec, StudentBuildContext context) => new(
        context.MLContext.MulticlassClassification.Trainers.SoftLabel(Trainer(spec, context, DataColumnNames.Weight), new SoftLabelOptions { Alpha = context.Alpha }),
        new HardLabelTrainer(context.MLContext, Trainer(spec, context, weightColumn: null), context.Classes));

    private static LbfgsMaximumEntropyMulticlassTrainer Trainer(StudentSpec spec, StudentBuildContext context, string? weightColumn) =>
        context.MLContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
        {
            LabelColumnName = DataColumnNames.Label,
            ExampleWeightColumnName = weightColumn,
            MaximumNumberOfIterations = (int)spec["iterations"],
            NumberOfThreads = 1,
        });
}
