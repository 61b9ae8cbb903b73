using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Students;

/// <summary>
/// <c>normalize=auto</c> for a numeric student: when fitted, looks at the <c>Features</c> it is given and puts ML.NET's
/// <c>NormalizeMinMax</c> before the trainer only when some value lies outside [-1, 1] (raw tabular columns such as
/// wine's proline, in the hundreds). Features already scaled (image pixels in [0, 1]) go to the trainer as they are:
/// there the normalizer changed no prediction and made the Fashion-MNIST SDCA student 4.4 times slower per row
/// (6.6 µs against 1.5 µs at p50) and 23 % larger.
/// </summary>
internal sealed class AutoMinMaxEstimator(MLContext mlContext, IEstimator<ITransformer> trainer) : IEstimator<ITransformer>
{
    public ITransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return NeedsScaling(input)
            ? mlContext.Transforms.NormalizeMinMax(DataColumnNames.Features).Append(trainer).Fit(input)
            : trainer.Fit(input);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => trainer.GetOutputSchema(inputSchema);

    /// <summary>Whether any <c>Features</c> value of the data lies outside [-1, 1] (one pass, stopping at the first such value).</summary>
    /// <param name="data">The training rows.</param>
    /// <returns>Whether min-max normalization changes the scale the trainer sees.</returns>
    internal static bool NeedsScaling(IDataView data)
    {
        var column = data.Schema.GetColumnOrNull(DataColumnNames.Features);
        if (column is null || column.Value.Type is not VectorDataViewType { ItemType: NumberDataViewType })
        {
            return false; // the trainer reports a missing or unusable Features column itself
        }

        using var cursor = data.GetRowCursor([column.Value]);
        var getter = cursor.GetGetter<VBuffer<float>>(column.Value);
        var row = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref row);
            foreach (float v in row.GetValues())
            {
                if (v is > 1f or < -1f)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
