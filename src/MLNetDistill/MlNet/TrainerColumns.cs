using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace MLNetDistill.MlNet;

/// <summary>
/// Reads the label and example-weight column names an ML.NET trainer was made with. ML.NET trainers keep them in
/// <c>LabelColumn</c>/<c>WeightColumn</c> fields (public on <see cref="TrainerEstimatorBase{TTransformer, TModel}"/>,
/// internal on others); meta trainers (OneVersusAll, PairwiseCoupling) keep the label and hold the binary trainer in a
/// non-public <c>Trainer</c> field, which holds the weight column. Fields are found by name on the trainer's own type
/// hierarchy, so any trainer that follows ML.NET's convention works.
/// </summary>
internal static class TrainerColumns
{
    private const BindingFlags Fields = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    /// <summary>The ML.NET internals this class uses, each with whether this ML.NET has it (on the base types that declare them today).</summary>
    public static IEnumerable<(string Member, bool Found)> Lookups() =>
    [
        ("Microsoft.ML.Trainers.TrainerEstimatorBase<,>.LabelColumn", FindField(typeof(TrainerEstimatorBase<,>), "LabelColumn") is not null),
        ("Microsoft.ML.Trainers.TrainerEstimatorBase<,>.WeightColumn", FindField(typeof(TrainerEstimatorBase<,>), "WeightColumn") is not null),
        ("Microsoft.ML.Trainers.MetaMulticlassTrainer<,>.LabelColumn", FindField(typeof(MetaMulticlassTrainer<,>), "LabelColumn") is not null),
        ("Microsoft.ML.Trainers.MetaMulticlassTrainer<,>.Trainer", FindField(typeof(MetaMulticlassTrainer<,>), "Trainer") is not null),
    ];

    /// <summary>The label and weight column names of <paramref name="trainer"/>; null where it keeps none (or this ML.NET hides it).</summary>
    public static (string? Label, string? Weight) Read(object trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        string? label = ColumnName(trainer, "LabelColumn");
        string? weight = ColumnName(trainer, "WeightColumn") ?? (FieldValue(trainer, "Trainer") is { } inner ? ColumnName(inner, "WeightColumn") : null);
        return (label, weight);
    }

    private static FieldInfo? FindField(Type? type, string name)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.GetField(name, Fields) is { } field)
            {
                return field;
            }
        }

        return null;
    }

    private static object? FieldValue(object target, string name) => FindField(target.GetType(), name)?.GetValue(target);

    private static string? ColumnName(object target, string field) => FieldValue(target, field) is SchemaShape.Column column ? column.Name : null;
}
