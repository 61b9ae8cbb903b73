using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetDistill.Data;
using MLNetDistill.Onnx;
using MLNetDistill.MlNet;

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
    private readonly TextTeacher? _text;

    internal TeacherScoringEstimator(TransformsCatalog catalog, TeacherScoringOptions options)
        : this(catalog, options, null)
    {
    }

    /// <summary>Builds the estimator over a model file, or over model bytes held in memory (a student just trained).</summary>
    internal TeacherScoringEstimator(TransformsCatalog catalog, TeacherScoringOptions options, byte[]? modelBytes)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);

        // A copy: the caller's object is neither changed here nor able to change the estimator later.
        _options = options.Clone();
        if (modelBytes is not null && string.IsNullOrWhiteSpace(_options.ModelFile))
        {
            _options.ModelFile = "(in memory)";
        }

        if (_options.GpuDeviceId is null && CatalogEnvironment.GpuSettings(catalog) is { GpuDeviceId: int device } context)
        {
            // As ML.NET's ApplyOnnxModel: MLContext.GpuDeviceId and FallbackToCpuIfGpuFail apply when the options leave the device unset.
            _options.GpuDeviceId = device;
            _options.FallbackToCpu = context.FallbackToCpu;
        }

        _options.Validate();
        _catalog = catalog;
        _model = modelBytes is null ? OnnxModelInfo.Load(_options.ModelFile) : OnnxModelInfo.FromBytes(modelBytes, _options.ModelFile);
        if (_options.TextColumnName is not null)
        {
            // A text teacher: the tokenizer makes its token inputs, so the graph is built for them now, whatever the data.
            _text = TextTeacher.Create(_model, _options);
            _graph = TeacherGraph.Build(_model, TextTeacher.GraphOptions(_model, _options), TextTeacher.GraphColumnLengths(_model));
        }
        else if (_options.Inputs.Count == 0 && _model.Inputs.Count > 1 && _model.Inputs.Any(i => i.Name.Contains("input_ids", StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException(
                $"Teacher '{_options.ModelFile}' takes token ids ({string.Join(", ", _model.Inputs.Select(i => $"{i.Name} {i.ElementType} {i.ShapeText}"))}): it is a text teacher. " +
                "Set TextColumnName to the text column (CLI: --text COLUMN; catalog: ScoreTextWithTeacher) to tokenize it, or map each input to a column of token ids with Inputs.");
        }
        else if (!NeedsColumnLengths(_model))
        {
            _graph = TeacherGraph.Build(_model, _options, null);
        }
    }

    /// <summary>Gets the teacher model's description.</summary>
    public OnnxModelInfo Teacher => _model;

    /// <inheritdoc/>
    public TeacherScoringTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var graph = _graph ?? TeacherGraph.Build(_model, _options, ColumnLengths(input.Schema));
        if (_text is not null)
        {
            TextTeacher.CheckColumn(_text.TextColumn, input.Schema);
        }
        else
        {
            foreach (var graphInput in graph.Inputs)
            {
                TeacherInputBuffer.CheckColumn(graphInput, input.Schema);
            }
        }

        if (graph.Task != TeacherTask.Regression && _options.LabelColumnName is { } label
            && input.Schema.GetColumnOrNull(label) is { Type: KeyDataViewType key } && (int)key.Count != graph.Classes)
        {
            throw new ArgumentException(
                $"The teacher has {graph.Classes} classes but label column '{label}' has {key.Count}. Use a teacher trained on the same classes, or the matching label column.");
        }

        var session = TeacherSession.Create(graph.Bytes, _options.GpuDeviceId, _options.FallbackToCpu, _options.IntraOpNumThreads, Warn, _options.ModelFile);
        return new TeacherScoringTransformer(_catalog, _options, graph, session, input.Schema, _text);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        if (_text is not null)
        {
            TextTeacher.CheckColumn(_text.TextColumn, inputSchema);
        }

        foreach (var (column, teacherInput, elementType, perRow) in _text is null ? InputItems() : [])
        {
            if (!columns.TryGetValue(column, out var found))
            {
                throw new ArgumentException($"Column '{column}' for teacher input '{teacherInput}' is not in the data. Columns present: {SchemaShapeChecks.Names(inputSchema)}.");
            }

            var expected = TeacherInputBuffer.ItemType(elementType)
                ?? throw new ArgumentException($"Teacher input '{teacherInput}' has element type {elementType}, which the scorer cannot feed; supported: float, double, int64, int32, bool, uint8.");
            if (found.IsKey || found.ItemType != expected)
            {
                throw new ArgumentException(TeacherInputBuffer.TypeMismatch(column, SchemaShapeChecks.Describe(found), teacherInput, elementType));
            }

            if (found.Kind == SchemaShape.Column.VectorKind.Scalar && perRow is > 1)
            {
                throw new ArgumentException($"Column '{column}' holds one {found.ItemType} per row, but teacher input '{teacherInput}' takes {perRow} values per row. Pass a vector column of {perRow} values (a flat vector is reshaped), or the right teacher.");
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

    /// <summary>Each teacher input's column, name, element type and per-row element count (null while unknown).</summary>
    private IEnumerable<(string Column, string TeacherInput, string ElementType, long? PerRow)> InputItems()
    {
        if (_graph is not null)
        {
            return _graph.Inputs.Select(i => (i.ColumnName, i.TeacherName, i.ElementType, (long?)i.ElementsPerRow));
        }

        // Symbolic row dimensions: the graph is built at Fit from the columns' lengths; the element types are known now.
        return _model.Inputs.Select(i => (
            _options.Inputs.FirstOrDefault(m => m.InputName == i.Name)?.ColumnName ?? _options.FeatureColumnName,
            i.Name,
            i.ElementType,
            (long?)null));
    }

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
