using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.MlNet;

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
    private readonly SoftTargetOptions _options;

    internal SoftTargetTrainer(IEstimator<TTransformer> baseTrainer, SoftTargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(baseTrainer);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
        _baseTrainer = baseTrainer;
    }

    /// <inheritdoc/>
    public TTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInput(SchemaShapeChecks.Shape(input.Schema));
        return _baseTrainer.Fit(StudentTargets.Mix(input, _options.TeacherScoreColumnName, _options.SourceLabelColumnName, _options.LabelColumnName, _options.Alpha));
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckInput(inputSchema);
        var columns = inputSchema.Where(c => c.Name != _options.LabelColumnName).ToList();
        columns.Add(SchemaColumns.Create(_options.LabelColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false));
        return _baseTrainer.GetOutputSchema(new SchemaShape(columns));
    }

    private void CheckInput(SchemaShape inputSchema)
    {
        SchemaShapeChecks.RequireTeacherScore(inputSchema, _options.TeacherScoreColumnName);
        if (_options.SourceLabelColumnName != _options.LabelColumnName)
        {
            SchemaShapeChecks.CheckOptionalRegressionLabel(inputSchema, _options.SourceLabelColumnName);
        }
    }
}
