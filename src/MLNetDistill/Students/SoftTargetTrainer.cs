using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Students;

/// <summary>
/// Trains an ML.NET regression trainer on a regression teacher's predictions mixed with the labels:
/// target = α·teacher + (1 − α)·label, the teacher alone where no label is known. The result is the trainer's own model.
/// Made by <c>mlContext.Regression.Trainers.SoftTarget(...)</c>.
/// </summary>
/// <typeparam name="TTransformer">The base trainer's model type.</typeparam>
public sealed class SoftTargetTrainer<TTransformer> : IEstimator<TTransformer>
    where TTransformer : class, ITransformer
{
    private readonly IEstimator<TTransformer> _baseTrainer;
    private readonly string _target;
    private readonly string _label;
    private readonly string _teacher;
    private readonly float _alpha;

    internal SoftTargetTrainer(IEstimator<TTransformer> baseTrainer, string targetColumn, string labelColumn, string teacherColumn, float alpha)
    {
        ArgumentNullException.ThrowIfNull(baseTrainer);
        if (!(alpha >= 0f && alpha <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"Alpha must be in [0, 1] (the weight of the teacher's prediction) but was {alpha}.");
        }

        _baseTrainer = baseTrainer;
        _target = targetColumn;
        _label = labelColumn;
        _teacher = teacherColumn;
        _alpha = alpha;
    }

    /// <inheritdoc/>
    public TTransformer Fit(IDataView input) => _baseTrainer.Fit(StudentTargets.Mix(input, _teacher, _label, _target, _alpha));

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.Where(c => c.Name != _target).ToList();
        columns.Add(SchemaColumns.Create(_target, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false));
        return _baseTrainer.GetOutputSchema(new SchemaShape(columns));
    }
}
