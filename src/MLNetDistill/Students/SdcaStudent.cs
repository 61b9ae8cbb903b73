using Microsoft.ML;
using Microsoft.ML.Trainers;
using MLNetDistill.Data;

namespace MLNetDistill.Students;

/// <summary><c>sdca[:iterations=N]</c>: ML.NET's SdcaMaximumEntropy (a linear softmax model) on soft labels, one thread.</summary>
internal sealed class SdcaStudent : IStudentFamily
{
    public string Name => "sdca";

    public IReadOnlyList<StudentOption> Options { get; } = [new("iterations", 20, 1, 10_000)];

    public StudentTrainers Build(StudentSpec spec, StudentBuildContext context) => new(
        context.MLContext.MulticlassClassification.Trainers.SoftLabel(Trainer(spec, context, DataColumnNames.Weight), new SoftLabelOptions { Alpha = context.Alpha }),
        new HardLabelTrainer(context.MLContext, Trainer(spec, context, weightColumn: null), context.Classes));

    private static SdcaMaximumEntropyMulticlassTrainer Trainer(StudentSpec spec, StudentBuildContext context, string? weightColumn) =>
        context.MLContext.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
        {
            LabelColumnName = DataColumnNames.Label,
            ExampleWeightColumnName = weightColumn,
            MaximumNumberOfIterations = (int)spec["iterations"],
            NumberOfThreads = 1,
        });
}
