using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;

namespace MLNetDistill.Students;

/// <summary>
/// <c>logits:fasttree[:trees=N,leaves=N]</c>: logit matching (Ba and Caruana 2014), one FastTree regression per class fitted to
/// the teacher's logits; its hard-label twin is one-versus-all FastTree with the same trees and leaves.
/// </summary>
internal sealed class LogitMatchingStudent : IStudentFamily
{
    private const string Regressor = "fasttree";

    public string Name => "logits";

    public string Usage => $"{Name}:{Regressor}";

    /// <summary>Gets false: the regressions fit the raw logits, so no temperature reaches them.</summary>
    public bool UsesTemperature => false;

    /// <summary>Gets false: the regressions fit the teacher's logits alone, with no hard-label term to weigh them against.</summary>
    public bool UsesAlpha => false;

    public IReadOnlyList<StudentOption> Options { get; } =
    [
        new("trees", 100, 1, 100_000),
        new("leaves", 20, 2, 131_072),
    ];

    public int ParseArguments(string[] parts, string spec, List<int> hiddenLayers)
    {
        if (parts.Length < 2 || parts[1].Trim().ToLowerInvariant() != Regressor)
        {
            throw new ArgumentException($"Logit matching is spelled logits:fasttree[:trees=N,leaves=N] (one FastTree regression per class fitted to the teacher's logits); '{spec}' is not.", nameof(spec));
        }

        return 2;
    }

    public string FormatArguments(StudentSpec spec) => ":" + Regressor;

    public StudentTrainers Build(StudentSpec spec, StudentBuildContext context)
    {
        var ml = context.MLContext;
        var distilled = ml.MulticlassClassification.Trainers.LogitMatching(label => ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
        {
            LabelColumnName = label,
            NumberOfTrees = (int)spec["trees"],
            NumberOfLeaves = (int)spec["leaves"],
            Seed = context.Seed,
            NumberOfThreads = 1,
        }));
        return new StudentTrainers(distilled, new HardLabelTrainer(ml, FastTreeStudent.OneVersusAll(spec, context, weightColumn: null), context.Classes), ScoresAreLogits: true);
    }
}
