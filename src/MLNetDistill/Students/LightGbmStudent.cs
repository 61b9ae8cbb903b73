using Microsoft.ML;
using Microsoft.ML.Trainers.LightGbm;
using MLNetDistill.Data;

namespace MLNetDistill.Students;

/// <summary>
/// <c>lightgbm[:trees=N,leaves=N,lr=X,minleaf=N]</c>: ML.NET's LightGbm multiclass trainer on soft labels (deterministic, one thread).
/// <c>minleaf</c> is LightGbm's <c>min_data_in_leaf</c>; left at <c>auto</c>, ML.NET picks it from the row, leaf and class counts.
/// </summary>
internal sealed class LightGbmStudent : IStudentFamily
{
    public string Name => "lightgbm";

    public IReadOnlyList<StudentOption> Options { get; } =
    [
        new("trees", 200, 1, 100_000),
        new("leaves", 31, 2, 131_072),
        new("lr", 0.1, 1e-6, 1),
        new("minleaf", 0, 1, 1_000_000, Automatic: "auto") { OmitWhenDefault = true },
    ];

    public StudentTrainers Build(StudentSpec spec, StudentBuildContext context) => new(
        context.MLContext.MulticlassClassification.Trainers.SoftLabel(Trainer(spec, context, DataColumnNames.Weight), new SoftLabelOptions { Alpha = context.Alpha }),
        new HardLabelTrainer(context.MLContext, Trainer(spec, context, weightColumn: null), context.Classes));

    private static LightGbmMulticlassTrainer Trainer(StudentSpec spec, StudentBuildContext context, string? weightColumn) =>
        context.MLContext.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
        {
            LabelColumnName = DataColumnNames.Label,
            ExampleWeightColumnName = weightColumn,
            NumberOfIterations = (int)spec["trees"],
            NumberOfLeaves = (int)spec["leaves"],
            LearningRate = spec["lr"],
            MinimumExampleCountPerLeaf = spec["minleaf"] >= 1 ? (int)spec["minleaf"] : null,
            Seed = context.Seed,
            Deterministic = true,
            NumberOfThreads = 1,
            ForceColumnWise = true,
            Silent = true,
        });
}
