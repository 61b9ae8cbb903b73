using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Data;
using MLNetDistill.Students.Export;
using MLNetDistill.Teachers;

namespace MLNetDistill.Evaluation;

/// <summary>
/// Times models in both served forms on the same feature rows: the ML.NET model through its row-to-row mapper (as a
/// <c>PredictionEngine</c> calls it, <see cref="DistillationCostEvaluator"/>) and its ONNX graph in ONNX Runtime
/// (<see cref="OnnxLatencyTimer"/>), one row at a time after warm-up and in batches.
/// </summary>
internal sealed class ServingCostMeter
{
    private readonly MLContext _mlContext;
    private readonly float[] _rows;
    private readonly IDataView _view;
    private readonly int _width;
    private readonly int _warmupRows;
    private readonly int _latencyRows;

    private ServingCostMeter(MLContext mlContext, float[] rows, IDataView view, int width, int warmupRows, int latencyRows)
    {
        _mlContext = mlContext;
        _rows = rows;
        _view = view;
        _width = width;
        _warmupRows = warmupRows;
        _latencyRows = latencyRows;
    }

    /// <summary>Gets the feature rows the models are timed on.</summary>
    public int Rows => _rows.Length / _width;

    /// <summary>Gets whether the rows are texts (text students and teachers): ONNX Runtime timing on feature vectors does not apply then.</summary>
    private bool IsText => _width == 0;

    /// <summary>Takes the first <paramref name="latencyRows"/> texts of <paramref name="textColumn"/> into memory, for text students (and a text teacher) timed through ML.NET.</summary>
    /// <exception cref="InvalidDataException">The data has no rows, or no text column of that name.</exception>
    public static ServingCostMeter FromTextRows(MLContext mlContext, IDataView data, string textColumn, int warmupRows, int latencyRows)
    {
        if (data.Schema.GetColumnOrNull(textColumn) is not { Type: TextDataViewType } column)
        {
            throw new InvalidDataException($"The rows to time the models on have no text column '{textColumn}'; latency cannot be measured (set MeasureLatency to false to skip it).");
        }

        var texts = new List<TextRow>();
        using (var cursor = data.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> value = default;
            while (texts.Count < latencyRows && cursor.MoveNext())
            {
                getter(ref value);
                texts.Add(new TextRow { Text = value.ToString() });
            }
        }

        if (texts.Count == 0)
        {
            throw new InvalidDataException("The test rows are empty, so there is nothing to time the models on; give test rows, or set MeasureLatency to false.");
        }

        var definition = SchemaDefinition.Create(typeof(TextRow));
        definition[0].ColumnName = textColumn;
        var view = mlContext.Data.LoadFromEnumerable(texts.ToArray(), definition);
        return new ServingCostMeter(mlContext, [], view, 0, warmupRows, latencyRows);
    }

    /// <summary>Takes the first <paramref name="latencyRows"/> rows' <c>Features</c> (a fixed-size float vector) into memory; the timing cycles through them.</summary>
    /// <exception cref="InvalidDataException">The data has no rows, or no fixed-size float <c>Features</c> column.</exception>
    public static ServingCostMeter FromRows(MLContext mlContext, IDataView data, int warmupRows, int latencyRows)
    {
        var column = data.Schema.GetColumnOrNull(DataColumnNames.Features);
        if (column is not { Type: VectorDataViewType { ItemType: var item, Size: > 0 and var width } } features || item != NumberDataViewType.Single)
        {
            throw new InvalidDataException($"The rows to time the models on have no '{DataColumnNames.Features}' column of a fixed number of floats; latency cannot be measured (set MeasureLatency to false to skip it).");
        }

        var rows = new List<float[]>();
        using (var cursor = data.GetRowCursor([features]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(features);
            VBuffer<float> value = default;
            while (rows.Count < latencyRows && cursor.MoveNext())
            {
                getter(ref value);
                var dense = new float[width];
                value.CopyTo(dense);
                rows.Add(dense);
            }
        }

        if (rows.Count == 0)
        {
            throw new InvalidDataException("The test rows are empty, so there is nothing to time the models on; give test rows, or set MeasureLatency to false.");
        }

        var flat = new float[rows.Count * width];
        for (int i = 0; i < rows.Count; i++)
        {
            rows[i].CopyTo(flat.AsSpan(i * width, width));
        }

        var definition = SchemaDefinition.Create(typeof(FeaturesRow));
        definition[0].ColumnName = DataColumnNames.Features;
        definition[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        var view = mlContext.Data.LoadFromEnumerable(rows.Select(r => new FeaturesRow { Features = r }).ToArray(), definition);
        return new ServingCostMeter(mlContext, flat, view, width, warmupRows, latencyRows);
    }

    /// <summary>Times a student: the ML.NET model, and its ONNX export where its family converts.</summary>
    /// <param name="model">The trained student.</param>
    /// <param name="inputSchema">The schema it was trained on (for the export).</param>
    /// <param name="modelBytes">Its deployable size, already known.</param>
    /// <param name="parameters">Its parameter count, already known.</param>
    public ServingCost MeasureStudent(ITransformer model, DataViewSchema inputSchema, long modelBytes, long? parameters)
    {
        long start = Stopwatch.GetTimestamp();
        var (cost, mlNetNote) = TimeMlNet(model, modelBytes, parameters);
        if (IsText)
        {
            return new ServingCost(cost, null, "not timed in ONNX Runtime: a text student's FeaturizeText has no ONNX export here; its ML.NET model takes the raw text", mlNetNote, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        var export = StudentOnnxExporter.Export(_mlContext, model, inputSchema);
        OnnxRuntimeCost? onnx = null;
        string? note = export.Note;
        if (export.Converted)
        {
            string[] outputs = [.. new[] { export.ScoreOutputName, export.PredictedLabelOutputName }.OfType<string>()];
            (onnx, note) = TimeOnnx(export.Model!, "the student's ONNX export", outputs.Length > 0 ? outputs : null);
        }

        return new ServingCost(cost, onnx, note, mlNetNote, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>Times the teacher: its scoring transformer through ML.NET's <c>ApplyOnnxModel</c> twin, and its own <c>.onnx</c> file in ONNX Runtime.</summary>
    /// <param name="teacher">The fitted teacher.</param>
    /// <param name="modelBytes">The size of its file.</param>
    public ServingCost MeasureTeacher(TeacherScoringTransformer teacher, long modelBytes)
    {
        long start = Stopwatch.GetTimestamp();
        var (cost, note) = TimeMlNet(teacher, modelBytes, null);
        if (IsText)
        {
            return new ServingCost(cost, null, "not timed in ONNX Runtime on feature rows: a text teacher takes token ids (its batched scorer tokenizes)", note, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        string file = teacher.Options.ModelFile;
        byte[] bytes = File.Exists(file) ? File.ReadAllBytes(file) : teacher.GetScoringGraph();
        var (onnx, onnxNote) = TimeOnnx(bytes, "the teacher", null);
        return new ServingCost(cost, onnx, onnxNote, note, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>The ML.NET form, or why it could not be timed (a model that reads more than the features, a mapper that fails).</summary>
    private (DistillationCost? Cost, string? Note) TimeMlNet(ITransformer model, long modelBytes, long? parameters)
    {
        try
        {
            var cost = DistillationCostEvaluator.Measure(_mlContext.Model, model, _view, Options(modelBytes, parameters));
            return (cost, double.IsNaN(cost.LatencyP50Microseconds) ? "single-row latency not measured through ML.NET: the model has no row-to-row mapper (a PredictionEngine cannot run it)" : null);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            return (null, $"not timed through ML.NET on the feature rows alone: {e.Message.Trim()}");
        }
    }

    private DistillationCostOptions Options(long modelBytes, long? parameters) => new()
    {
        WarmupRows = _warmupRows,
        LatencyRows = _latencyRows,
        ModelBytes = modelBytes,
        ParameterCount = parameters,
    };

    private (OnnxRuntimeCost? Cost, string? Note) TimeOnnx(byte[] model, string name, IReadOnlyList<string>? outputs)
    {
        try
        {
            using var timer = new OnnxLatencyTimer(model, name, _width, outputs);
            return (timer.Measure(_rows, _warmupRows, _latencyRows), null);
        }
        catch (InvalidDataException e)
        {
            return (null, "not timed in ONNX Runtime: " + e.Message);
        }
        catch (OnnxRuntimeException e)
        {
            return (null, "not timed in ONNX Runtime: the graph failed on a row: " + e.Message.Trim());
        }
    }

    /// <summary>The row type of the text timing view.</summary>
    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    /// <summary>The row type of the timing view.</summary>
    private sealed class FeaturesRow
    {
        public float[] Features { get; set; } = [];
    }
}

/// <summary>One model's cost in both served forms (see <see cref="ServingCostMeter"/>).</summary>
/// <param name="MlNet">The ML.NET form (size, parameters, PredictionEngine latency, throughput), or null when it could not be timed (<paramref name="MlNetNote"/>).</param>
/// <param name="Onnx">The ONNX Runtime form, or null when the model has no ONNX graph that runs on the rows (<paramref name="OnnxNote"/>).</param>
/// <param name="OnnxNote">Why there is no ONNX form, or null.</param>
/// <param name="MlNetNote">Why there is no ML.NET form, or null.</param>
/// <param name="Seconds">The wall time the measurement took, the export included.</param>
internal sealed record ServingCost(DistillationCost? MlNet, OnnxRuntimeCost? Onnx, string? OnnxNote, string? MlNetNote, double Seconds)
{
    /// <summary>The ML.NET form's p50, µs (NaN when not measured).</summary>
    public double LatencyP50 => MlNet?.LatencyP50Microseconds ?? double.NaN;
}
