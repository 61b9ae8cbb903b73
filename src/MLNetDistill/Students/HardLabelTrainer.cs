using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.MlNet;

namespace MLNetDistill.Students;

/// <summary>
/// Trains an ML.NET multiclass trainer on the hard labels alone, the twin a distilled student is compared with: the
/// class index <c>Label</c> becomes a key in the teacher's class order (0..K-1), rows without a label are left out,
/// and the result is the base trainer's own model.
/// </summary>
internal sealed class HardLabelTrainer : IEstimator<ITransformer>
{
    private readonly MLContext _mlContext;
    private readonly IEstimator<ITransformer> _baseTrainer;
    private readonly int _classes;

    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="baseTrainer">A multiclass trainer reading a key label <c>Label</c>, without example weights.</param>
    /// <param name="classes">The class count K: keys are made for 0..K-1 so the scores follow the teacher's class order.</param>
    public HardLabelTrainer(MLContext mlContext, IEstimator<ITransformer> baseTrainer, int classes)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(baseTrainer);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        _mlContext = mlContext;
        _baseTrainer = baseTrainer;
        _classes = classes;
    }

    /// <inheritdoc/>
    public ITransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var keyed = KeyMapping().Fit(input).Transform(input);
        return _baseTrainer.Fit(_mlContext.Data.FilterRowsByMissingValues(keyed, DataColumnNames.Label));
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.Where(c => c.Name != DataColumnNames.Label).ToList();
        columns.Add(SchemaColumns.Create(DataColumnNames.Label, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true));
        return _baseTrainer.GetOutputSchema(new SchemaShape(columns));
    }

    private IEstimator<ITransformer> KeyMapping()
    {
        var keyData = _mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, _classes).Select(c => new ClassValue { Label = c }));
        return _mlContext.Transforms.Conversion.MapValueToKey(DataColumnNames.Label, keyData: keyData);
    }

    private sealed class ClassValue
    {
        public float Label { get; set; }
    }
}
