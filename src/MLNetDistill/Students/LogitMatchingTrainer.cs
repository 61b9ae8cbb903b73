using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Students.Mlp;
using MLNetDistill.MlNet;

namespace MLNetDistill.Students;

/// <summary>
/// Logit matching (Ba and Caruana 2014, "Do Deep Nets Really Need to be Deep?"): one regression model per class
/// fitted to the teacher's logit of that class (mean squared error on logits), predicting the class with the largest
/// predicted logit. The result is a chain of ML.NET's own regression models and column transforms, so it saves and
/// loads with <c>mlContext.Model.Save/Load</c>; its <c>Score</c> column holds the K predicted logits and
/// <c>PredictedLabel</c> is a key over the classes (their values as key values, so <c>MapKeyToValue</c> works).
/// </summary>
/// <remarks>
/// The predicted class is the arg-max of <c>Score</c>, computed by ML.NET's <c>CustomMapping</c>: load a saved model
/// with <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly)</c> called first. A key-typed
/// <c>Label</c> column must number the classes as the teacher does (<c>MapValueToKey(..., keyOrdinality: ByValue)</c>);
/// otherwise <see cref="Fit"/> throws.
/// </remarks>
public sealed class LogitMatchingTrainer : IEstimator<TransformerChain<ITransformer>>
{
    private const string Target = "MLNetDistillLogitTarget";
    private readonly TransformsCatalog _transforms;
    private readonly Func<string, IEstimator<ITransformer>> _regressionTrainer;
    private readonly string _logitsColumn;

    internal LogitMatchingTrainer(TransformsCatalog transforms, Func<string, IEstimator<ITransformer>> regressionTrainer, string logitsColumn)
    {
        ArgumentNullException.ThrowIfNull(regressionTrainer);
        ArgumentException.ThrowIfNullOrWhiteSpace(logitsColumn);
        _transforms = transforms;
        _regressionTrainer = regressionTrainer;
        _logitsColumn = logitsColumn;
    }

    /// <inheritdoc/>
    public TransformerChain<ITransformer> Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var logits = input.Schema.GetColumnOrNull(_logitsColumn)
            ?? throw new ArgumentException($"Teacher logits column '{_logitsColumn}' is not in the data; score it with ScoreWithTeacher or read a teacher cache.");
        int count = logits.Type is VectorDataViewType { Size: >= 2 } v ? v.Size
            : throw new ArgumentException($"Teacher logits column '{_logitsColumn}' holds {logits.Type}; it must be a vector of at least 2 floats.");
        var classes = ClassValues.Resolve(input.Schema, DataColumnNames.Label, DataColumnNames.TeacherPredictedLabel, classes: count);
        var parts = new List<ITransformer>();
        var slotNames = new string[count];
        for (int k = 0; k < count; k++)
        {
            var model = _regressionTrainer(Target).Fit(StudentTargets.Slot(input, _logitsColumn, k, Target));
            slotNames[k] = $"StudentLogit{k}";
            parts.Add(model);
            parts.Add(_transforms.CopyColumns(slotNames[k], DataColumnNames.Score).Fit(model.Transform(input)));
        }

        var chainSoFar = new TransformerChain<ITransformer>(parts.ToArray());
        var concatenate = _transforms.Concatenate(StudentOutputMapping.ScoreColumn, slotNames).Fit(chainSoFar.Transform(input));
        parts.Add(concatenate);
        parts.AddRange(StudentOutputMapping.Multiclass(_transforms, concatenate.GetOutputSchema(chainSoFar.GetOutputSchema(input.Schema)), classes));
        return new TransformerChain<ITransformer>(parts.ToArray());
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.Where(c => c.Name != StudentOutputMapping.ScoreColumn && c.Name != StudentOutputMapping.PredictedLabelColumn).ToList();
        columns.Add(SchemaColumns.Create(StudentOutputMapping.ScoreColumn, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false));
        columns.Add(SchemaColumns.Create(StudentOutputMapping.PredictedLabelColumn, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true));
        return new SchemaShape(columns);
    }
}
