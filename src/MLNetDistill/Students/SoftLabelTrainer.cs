using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.MlNet;

namespace MLNetDistill.Students;

/// <summary>
/// Trains any ML.NET multiclass trainer that accepts example weights (SdcaMaximumEntropy, LbfgsMaximumEntropy,
/// LightGbm, OneVersusAll, ...) on a teacher's soft labels by weighted expansion, and returns that trainer's own
/// model: an ordinary ML.NET transformer with <c>PredictedLabel</c> and <c>Score</c> that saves and loads with
/// <c>mlContext.Model.Save/Load</c> and needs no teacher at prediction time.
/// </summary>
/// <remarks>
/// Each row with target distribution p becomes one row per kept class k with label k and weight p_k, so the
/// trainer's weighted cross-entropy is sum_k p_k · −log q_k, the distillation loss (Hinton et al. 2015, at the
/// soft labels' temperature). Targets mix the soft labels with the hard label when one is known:
/// p = α·soft + (1 − α)·onehot(label). Pruning keeps the TopK most probable classes at or above MinProbability and
/// renormalises: fewer expanded rows, so training costs less, at the price of dropping the smallest "dark knowledge".
/// The expanded label carries the classes' values (the teacher's class names, or the label's values) as key values, so
/// the model's <c>PredictedLabel</c> has them and <c>MapKeyToValue</c> works. A key-typed label must number the classes
/// as the teacher does (<c>MapValueToKey(..., keyOrdinality: ByValue)</c>); otherwise <see cref="Fit"/> throws.
/// </remarks>
/// <typeparam name="TTransformer">The base trainer's model type.</typeparam>
public sealed class SoftLabelTrainer<TTransformer> : IEstimator<TTransformer>
    where TTransformer : class, ITransformer
{
    private readonly TransformsCatalog _transforms;
    private readonly IEstimator<TTransformer> _baseTrainer;
    private readonly SoftLabelOptions _options;
    private readonly string _labelName;
    private readonly string _weightName;

    private readonly bool _binary;

    internal SoftLabelTrainer(TransformsCatalog transforms, IEstimator<TTransformer> baseTrainer, SoftLabelOptions options, bool binary = false)
    {
        _binary = binary;
        ArgumentNullException.ThrowIfNull(baseTrainer);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
        _transforms = transforms;
        _baseTrainer = baseTrainer;
        (_labelName, _weightName) = TrainerColumns(baseTrainer);
    }

    /// <inheritdoc/>
    public TTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var expanded = new SoftLabelExpansionDataView(input, _options, _labelName, _weightName, message => CatalogEnvironment.Warn(_transforms, message), _binary);
        return _baseTrainer.Fit(expanded);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        SchemaShapeChecks.RequireSingleVector(inputSchema, _options.SoftLabelsColumnName, "soft-label",
            "Score the data with mlContext.Transforms.ScoreWithTeacher(...) or read a teacher cache (TeacherCache.Read) first.");
        SchemaShapeChecks.CheckOptionalLabel(inputSchema, _options.SourceLabelColumnName);
        var columns = inputSchema.Where(c => c.Name != _labelName && c.Name != _weightName).ToList();
        columns.Add(_binary
            ? SchemaColumns.Create(_labelName, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false)
            : SchemaColumns.Create(_labelName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true));
        columns.Add(SchemaColumns.Create(_weightName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false));
        return _baseTrainer.GetOutputSchema(new SchemaShape(columns));
    }

    /// <summary>
    /// Reads the label and example-weight column names the base trainer was configured with. ML.NET trainers keep them
    /// in <c>LabelColumn</c>/<c>WeightColumn</c> fields; meta trainers (OneVersusAll, PairwiseCoupling) keep the label
    /// and hold the binary trainer, which holds the weight column.
    /// </summary>
    private static (string Label, string Weight) TrainerColumns(object trainer)
    {
        var type = trainer.GetType();
        var (label, weight) = MlNet.TrainerColumns.Read(trainer);
        if (label is null)
        {
            throw new ArgumentException($"The base trainer {type.Name} does not say which label column it reads, so it cannot be trained on soft labels. Use an ML.NET multiclass trainer that takes example weights (SdcaMaximumEntropy, LbfgsMaximumEntropy, LightGbm, OneVersusAll over a weighted binary trainer).");
        }

        if (string.IsNullOrEmpty(weight))
        {
            throw new ArgumentException(
                $"The base trainer {type.Name} was made without an example weight column, and soft-label training needs one. Make it with exampleWeightColumnName: \"Weight\" (for example mlContext.MulticlassClassification.Trainers.LightGbm(exampleWeightColumnName: \"Weight\"), or OneVersusAll over FastTree(exampleWeightColumnName: \"Weight\")).");
        }

        return (label, weight);
    }
}
