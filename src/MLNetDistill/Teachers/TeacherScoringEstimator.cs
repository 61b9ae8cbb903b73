using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetDistill.Data;
using MLNetDistill.Onnx;

namespace MLNetDistill.Teachers;

/// <summary>
/// Estimator for <see cref="TeacherScoringTransformer"/>: runs an ONNX teacher over an <see cref="IDataView"/> in
/// batches and adds <c>TeacherLogits</c>, <c>SoftLabels</c> (softmax at a temperature) and <c>TeacherPredictedLabel</c>,
/// plus any intermediate tensors asked for. Made by <c>mlContext.Transforms.ScoreWithTeacher(...)</c>.
/// </summary>
/// <remarks>
/// The teacher graph is read and rewritten when the estimator is built, so a bad model, a missing input or output
/// and a bad option are reported at once. <see cref="Fit"/> checks the data's columns and opens the ONNX Runtime session.
/// </remarks>
public sealed class TeacherScoringEstimator : IEstimator<TeacherScoringTransformer>
{
    private readonly TransformsCatalog _catalog;
    private readonly TeacherScoringOptions _options;
    private readonly OnnxModelInfo _model;
    private readonly TeacherGraph? _graph;

    internal TeacherScoringEstimator(TransformsCatalog catalog, TeacherScoringOptions options)
        : this(catalog, options, null)
    {
    }

    /// <summary>Builds the estimator over a model file, or over model bytes held in memory (a student just trained).</summary>
    internal TeacherScoringEstimator(TransformsCatalog catalog, TeacherScoringOptions options, byte[]? modelBytes)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        if (modelBytes is not null && string.IsNullOrWhiteSpace(options.ModelFile))
        {
            options.ModelFile = "(in memory)";
        }

        options.Validate();
        _catalog = catalog;
        _options = options;
        _model = modelBytes is null ? OnnxModelInfo.Load(options.ModelFile) : OnnxModelInfo.FromBytes(modelBytes, options.ModelFile);
        if (!NeedsColumnLengths(_model))
        {
            _graph = TeacherGraph.Build(_model, options, null);
        }
    }

    /// <summary>Gets the teacher model's description.</summary>
    public OnnxModelInfo Teacher => _model;

    /// <inheritdoc/>
    public TeacherScoringTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var graph = _graph ?? TeacherGraph.Build(_model, _options, ColumnLengths(input.Schema));
        foreach (var graphInput in graph.Inputs)
        {
            TeacherInputBuffer.CheckColumn(graphInput, input.Schema);
        }

        if (graph.Task != TeacherTask.Regression && _options.LabelColumnName is { } label
            && input.Schema.GetColumnOrNull(label) is { Type: KeyDataViewType key } && (int)key.Count != graph.Classes)
        {
            throw new ArgumentException(
                $"The teacher has {graph.Classes} classes but label column '{label}' has {key.Count}. Use a teacher trained on the same classes, or the matching label column.");
        }

        var session = TeacherSession.Create(graph.Bytes, _options.GpuDeviceId, _options.FallbackToCpu, _options.IntraOpNumThreads, Warn);
        return new TeacherScoringTransformer(_catalog, _options, graph, session, input.Schema);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var input in _graph?.Inputs.Select(i => i.ColumnName) ?? InputColumns())
        {
            if (!columns.ContainsKey(input))
            {
                throw new ArgumentException($"Column '{input}' for the teacher's input is not in the data. Columns present: {ColumnNameList.Format(columns.Keys)}.");
            }
        }

        var task = _graph?.Task ?? _options.Task;
        if (task == TeacherTask.Regression)
        {
            columns[_options.ScoreColumnName] = SchemaColumns.Create(_options.ScoreColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false);
        }
        else
        {
            columns[_options.LogitsColumnName] = SchemaColumns.Create(_options.LogitsColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
            columns[_options.SoftLabelsColumnName] = SchemaColumns.Create(_options.SoftLabelsColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
            columns[_options.PredictedLabelColumnName] = SchemaColumns.Create(_options.PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true);
        }

        foreach (var hint in _options.Hints)
        {
            columns[hint.ColumnName] = SchemaColumns.Create(hint.ColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
        }

        return new SchemaShape(columns.Values);
    }

    private static bool NeedsColumnLengths(OnnxModelInfo model) =>
        model.Inputs.Any(i => i.Dimensions is { Count: > 1 } d && d.Skip(1).Any(x => !long.TryParse(x, out long v) || v <= 0));

    private IEnumerable<string> InputColumns() =>
        _options.Inputs.Count == 0 ? [_options.FeatureColumnName] : _options.Inputs.Select(i => i.ColumnName);

    private Dictionary<string, int> ColumnLengths(DataViewSchema schema)
    {
        var lengths = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string name in InputColumns())
        {
            if (schema.GetColumnOrNull(name) is { } column)
            {
                lengths[name] = column.Type is VectorDataViewType v ? v.Size : 1;
            }
        }

        return lengths;
    }

    private void Warn(string message) => CatalogEnvironment.Warn(_catalog, message);
}
