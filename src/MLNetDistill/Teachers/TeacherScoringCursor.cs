using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Onnx;
using MLNetDistill.SoftLabels;

namespace MLNetDistill.Teachers;

/// <summary>
/// Reads up to a batch of rows from the source, runs the teacher once on all of them, then serves them one by one.
/// Pass-through columns are captured per slot; the teacher's outputs are read from the batch's output buffers.
/// </summary>
/// <remarks>
/// Over one of our readers (IDX, Parquet, a shard of either: an <see cref="IFeatureBlockCursor"/>) feeding a single float
/// input, with no pass-through column but <c>Features</c> and <c>Label</c>, the rows go through a
/// <see cref="TeacherScoringPipeline"/> instead: decoded in blocks straight into the ONNX Runtime input buffer, read and
/// scored on their own threads ahead of the rows being served. The values and their order are the same.
/// </remarks>
internal sealed class TeacherScoringCursor : DataViewRowCursor, IScoredBlockCursor
{
    private readonly TeacherScoredDataView _view;
    private readonly TeacherScoringTransformer _parent;
    private readonly DataViewRowCursor _source;
    private readonly bool[] _active;
    private readonly int _inputCount;
    private readonly int _batchSize;
    private readonly TeacherInputBuffer[] _inputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private float[][] _outputs;
    private readonly int[] _outputSizes;
    private readonly ColumnSlots?[] _slots;
    private readonly ValueGetter<DataViewRowId> _sourceId;
    private readonly DataViewRowId[] _ids;
    private readonly ValueGetter<float>? _label;
    private readonly int _classes;
    private readonly TeacherScoringPipeline? _pipeline;
    private TeacherScoringPipeline.Slot? _slot;
    private int _count;
    private int _index = -1;
    private long _position = -1;
    private long _sourceRow = -1;
    private bool _sourceDone;

    public TeacherScoringCursor(TeacherScoredDataView view, bool[] active)
    {
        _view = view;
        _parent = view.Parent;
        _active = active;
        var graph = _parent.Graph;
        var inputSchema = view.Source.Schema;
        _inputCount = inputSchema.Count;
        _batchSize = (int)(graph.Inputs[0].FixedBatch ?? _parent.Options.BatchSize);
        if (graph.Inputs[0].FixedBatch is null && view.Source.GetRowCount() is long rows && rows < _batchSize)
        {
            // No batch needs more rows than the data has: 20 rows at BatchSize 1,000,000 allocate buffers for 20.
            _batchSize = (int)Math.Max(rows, 1);
        }
        _classes = graph.Classes;

        var needed = new List<DataViewSchema.Column>();
        foreach (var input in graph.Inputs)
        {
            needed.Add(inputSchema[input.ColumnName]);
        }

        var labelColumn = _parent.LabelColumn(inputSchema);
        if (labelColumn is { } lc)
        {
            needed.Add(lc);
        }

        for (int i = 0; i < _inputCount; i++)
        {
            if (active[i])
            {
                needed.Add(inputSchema[i]);
            }
        }

        _source = view.Source.GetRowCursor(needed);
        _pipeline = TryPipeline(graph, inputSchema, labelColumn);
        if (_pipeline is not null)
        {
            _inputs = [];
            _inputNames = [];
            _outputNames = new string[graph.Outputs.Count];
            _outputSizes = new int[graph.Outputs.Count];
            for (int o = 0; o < _outputNames.Length; o++)
            {
                _outputNames[o] = graph.Outputs[o].Name;
                _outputSizes[o] = graph.Outputs[o].Size;
            }

            _outputs = [];
            _slots = new ColumnSlots?[_inputCount];
            _sourceId = (ref DataViewRowId id) => id = default;
            _ids = [];
            return;
        }

        _inputs = new TeacherInputBuffer[graph.Inputs.Count];
        _inputNames = new string[graph.Inputs.Count];
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = TeacherInputBuffer.Create(graph.Inputs[i], _source, _batchSize);
            _inputNames[i] = graph.Inputs[i].Name;
        }

        _outputNames = new string[graph.Outputs.Count];
        _outputSizes = new int[graph.Outputs.Count];
        _outputs = new float[graph.Outputs.Count][];
        for (int o = 0; o < _outputs.Length; o++)
        {
            _outputNames[o] = graph.Outputs[o].Name;
            _outputSizes[o] = graph.Outputs[o].Size;
            _outputs[o] = new float[checked(_batchSize * _outputSizes[o])];
        }

        _slots = new ColumnSlots?[_inputCount];
        for (int i = 0; i < _inputCount; i++)
        {
            if (active[i])
            {
                _slots[i] = ColumnSlots.Create(_source, inputSchema[i], _batchSize);
            }
        }

        _sourceId = _source.GetIdGetter();
        _ids = new DataViewRowId[_batchSize];
        if (labelColumn is { } label)
        {
            _label = LabelReader.Create(_source, label);
        }
    }

    public override long Position => _position;

    public override long Batch => 0;

    public override DataViewSchema Schema => _view.Schema;

    public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

    public override bool MoveNext()
    {
        if (_index + 1 < _count)
        {
            _index++;
            _position++;
            return true;
        }

        if (_sourceDone || !FillBatch())
        {
            _count = 0;
            return false;
        }

        _index = 0;
        _position++;
        return true;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => _pipeline is null
        ? (ref DataViewRowId id) => id = _ids[_index]
        : (ref DataViewRowId id) => id = new DataViewRowId((ulong)_slot!.Ids[_index], 0);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_active[column.Index])
        {
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was made.");
        }

        if (column.Index < _inputCount)
        {
            return _pipeline is null ? (ValueGetter<TValue>)_slots[column.Index]!.GetGetter(() => _index) : PipelineInputGetter<TValue>(column);
        }

        // The output buffers are read at each call: a pipeline serves every batch from another slot's buffers.
        string name = column.Name;
        if (name == _parent.Options.PredictedLabelColumnName && _parent.Graph.Task != TeacherTask.Regression)
        {
            ValueGetter<uint> predicted = (ref uint value) =>
                value = (uint)SoftLabelMath.ArgMax(_outputs[0].AsSpan(_index * _classes, _classes)) + 1;
            return (ValueGetter<TValue>)(Delegate)predicted;
        }

        int o = Array.IndexOf(_outputNames, name);
        int size = _outputSizes[o];
        if (typeof(TValue) == typeof(float))
        {
            ValueGetter<float> scalar = (ref float value) => value = _outputs[o][_index];
            return (ValueGetter<TValue>)(Delegate)scalar;
        }

        ValueGetter<VBuffer<float>> vector = (ref VBuffer<float> value) =>
        {
            var editor = VBufferEditor.Create(ref value, size);
            _outputs[o].AsSpan(_index * size, size).CopyTo(editor.Values);
            value = editor.Commit();
        };
        return (ValueGetter<TValue>)(Delegate)vector;
    }

    public int BlockRows => _count;

    public bool CanReadBlock(DataViewSchema.Column column)
    {
        if (!_active[column.Index])
        {
            return false;
        }

        if (column.Index < _inputCount)
        {
            return _pipeline is not null && column.Name == DataColumnNames.Label;
        }

        return Array.IndexOf(_outputNames, column.Name) >= 0;
    }

    public bool MoveNextBlock()
    {
        if (_sourceDone || !FillBatch())
        {
            _count = 0;
            return false;
        }

        _index = _count - 1;
        _position += _count;
        return true;
    }

    public ReadOnlySpan<float> BlockColumn(DataViewSchema.Column column)
    {
        if (column.Index < _inputCount)
        {
            return _slot!.Labels.AsSpan(0, _count);
        }

        int o = Array.IndexOf(_outputNames, column.Name);
        return _outputs[o].AsSpan(0, _count * _outputSizes[o]);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // The pipeline's threads read the source: they stop before it is released.
            _pipeline?.Dispose();
            _source.Dispose();
        }

        base.Dispose(disposing);
    }

    private bool FillBatch()
    {
        if (_pipeline is not null)
        {
            return NextSlot();
        }

        int n = 0;
        while (n < _batchSize)
        {
            if (!_source.MoveNext())
            {
                _sourceDone = true;
                break;
            }

            _sourceRow++;
            int bad = -1;
            string? badColumn = null;
            for (int i = 0; i < _inputs.Length && bad < 0; i++)
            {
                bad = _inputs[i].ReadRow(n);
                badColumn = _inputs[i].Input.ColumnName;
            }

            if (bad >= 0)
            {
                if (_parent.Options.SkipInvalidRows)
                {
                    _parent.CountSkippedRow();
                    continue;
                }

                throw new InvalidDataException(
                    $"Row {_sourceRow} of column '{badColumn}' has a NaN or infinite value (at index {bad}). Clean the data, or set SkipInvalidRows (CLI: --skip-invalid) to skip such rows and count them.");
            }

            if (_label is not null)
            {
                CheckLabel();
            }

            for (int i = 0; i < _slots.Length; i++)
            {
                _slots[i]?.Capture(n);
            }

            _sourceId(ref _ids[n]);
            n++;
        }

        if (n == 0)
        {
            if (_position < 0 && _sourceRow < 0)
            {
                throw new InvalidDataException("The input data has no rows, so there is nothing for the teacher to score. Check the data file and any filter before the teacher.");
            }

            return false;
        }

        int run = n;
        if (_parent.Graph.Inputs[0].FixedBatch is long fixedBatch && n < fixedBatch)
        {
            foreach (var input in _inputs)
            {
                input.Clear(n);
            }

            run = (int)fixedBatch;
        }

        _parent.Session.Run(run, _inputNames, _inputs, _outputNames, _outputs, _outputSizes);
        _parent.CountScoredRows(n);
        _count = n;
        return true;
    }

    private bool NextSlot()
    {
        _slot = _pipeline!.Next();
        if (_slot is null)
        {
            _sourceDone = true;
            if (_position < 0)
            {
                throw new InvalidDataException("The input data has no rows, so there is nothing for the teacher to score. Check the data file and any filter before the teacher.");
            }

            return false;
        }

        _outputs = _slot.Outputs;
        _count = _slot.Count;
        return true;
    }

    /// <summary>A pipeline when the source reads blocks and nothing but <c>Features</c> and <c>Label</c> passes through; else null.</summary>
    private TeacherScoringPipeline? TryPipeline(TeacherGraph graph, DataViewSchema inputSchema, DataViewSchema.Column? labelColumn)
    {
        if (_parent.Pipeline == TeacherPipelineMode.Off || graph.Inputs.Count != 1 || graph.Inputs[0].ElementType != "float"
            || graph.Inputs[0].ColumnName != DataColumnNames.Features || _source is not IFeatureBlockCursor { CanReadBlocks: true } block
            || block.FeatureCount != graph.Inputs[0].ElementsPerRow)
        {
            return null;
        }

        for (int i = 0; i < _inputCount; i++)
        {
            string name = inputSchema[i].Name;
            if (_active[i] && name != DataColumnNames.Features && !(name == DataColumnNames.Label && block.HasLabel))
            {
                return null;
            }
        }

        if (labelColumn is { } label && (label.Name != DataColumnNames.Label || !block.HasLabel))
        {
            return null;
        }

        var mode = _parent.Pipeline switch
        {
            TeacherPipelineMode.Blocks => TeacherRunMode.Run,
            TeacherPipelineMode.Bound => TeacherRunMode.BoundBuffers,
            TeacherPipelineMode.BoundDevice => TeacherRunMode.BoundDevice,
            _ => _parent.Device.StartsWith("cuda", StringComparison.Ordinal) ? TeacherRunMode.BoundDevice : TeacherRunMode.BoundBuffers,
        };
        return new TeacherScoringPipeline(_parent, block, _batchSize, labelColumn is not null, threads: _parent.Pipeline is TeacherPipelineMode.Threads or TeacherPipelineMode.BoundDevice, mode);
    }

    private ValueGetter<TValue> PipelineInputGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Name == DataColumnNames.Label)
        {
            ValueGetter<float> label = (ref float value) => value = _slot!.Labels[_index];
            return (ValueGetter<TValue>)(Delegate)label;
        }

        int size = ((VectorDataViewType)_view.Source.Schema[column.Index].Type).Size;
        ValueGetter<VBuffer<float>> features = (ref VBuffer<float> value) =>
        {
            var editor = VBufferEditor.Create(ref value, size);
            _slot!.Input.AsSpan(_index * size, size).CopyTo(editor.Values);
            value = editor.Commit();
        };
        return (ValueGetter<TValue>)(Delegate)features;
    }

    private void CheckLabel()
    {
        float label = 0;
        _label!(ref label);
        if (float.IsNaN(label))
        {
            return;
        }

        if (label < 0 || label >= _classes || label != MathF.Floor(label))
        {
            throw new InvalidDataException(
                $"Label {label} at row {_sourceRow} is not a class of the teacher: the teacher has {_classes} classes (0 to {_classes - 1}) but the labels go beyond that. Use a teacher trained on these classes, or check the label column.");
        }
    }
}
