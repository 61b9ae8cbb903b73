using System.Collections;
using System.Reflection;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers;

namespace MLNetDistill.MlNet;

/// <summary>
/// The parts of ML.NET model parameters that ML.NET does not expose through a type a caller can name: the per-class
/// models of one-versus-all (<c>SubModelParameters</c> is internal) and the sub-model of a calibrated model (a generic
/// <see cref="CalibratedModelParametersBase{TSubModel, TCalibrator}"/> whose type arguments the caller does not know).
/// </summary>
internal static class ModelParameterParts
{
    private static readonly PropertyInfo? SubModelParameters =
        typeof(OneVersusAllModelParameters).GetProperty("SubModelParameters", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    /// <summary>The ML.NET internals this class uses, each with whether this ML.NET has it.</summary>
    public static IEnumerable<(string Member, bool Found)> Lookups() =>
    [
        ("Microsoft.ML.Trainers.OneVersusAllModelParameters.SubModelParameters", SubModelParameters is not null),
        ("Microsoft.ML.Calibrators.CalibratedModelParametersBase<,>.SubModel", typeof(CalibratedModelParametersBase<,>).GetProperty("SubModel", BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly) is not null),
    ];

    /// <summary>The per-class models of a one-versus-all model, or null when this ML.NET hides them.</summary>
    public static IEnumerable? OneVersusAllModels(OneVersusAllModelParameters model) => SubModelParameters?.GetValue(model) as IEnumerable;

    /// <summary>The <c>SubModel</c> of a calibrated model (the most derived one, as the generic base hides a weakly typed one); null for other models.</summary>
    public static object? CalibratedSubModel(object model)
    {
        for (var type = model.GetType(); type is not null; type = type.BaseType)
        {
            if (type.GetProperty("SubModel", BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly) is { } property)
            {
                return property.GetValue(model);
            }
        }

        return null;
    }
}
