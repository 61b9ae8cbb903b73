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
internal sealed class TeacherScoringCursor : TeacherBatchCursor, IScoredBlockCursor
{
    private readonly TeacherScoredDataView _view;
    private readonly DataViewRowCursor _source;
    private readonly int _batchSize;
    private readonly TeacherInputBuffer[] _inputs;
    private readonly string[] _inputNames;
    private readonly TeacherScoringPipeline? _pipeline;
    private TeacherScoringPipeline.Slot? _slot;

    public TeacherScoringCursor(TeacherScoredDataView view, bool[] active)
        : base(view, active)
    {
        _view = view;
        var graph = Parent.Graph;
        var inputSchema = view.Source.Schema;
        _batchSize = (int)(graph.Inputs[0].FixedBatch ?? Parent.Options.BatchSize);
        if (graph.Inputs[0].FixedBatch is null && view.Source.GetRowCount() is long rows && rows < _batchSize)
        {
            // No batch needs more rows than the data has: 20 rows at BatchSize 1,000,000 allocate buffers for 20.
            _batchSize = (int)Math.Max(rows, 1);
        }

        var teacherInputs = new List<DataViewSchema.Column>(graph.Inputs.Count);
        foreach (var input in graph.Inputs)
        {
            teacherInputs.Add(inputSchema[input.ColumnName]);
        }

        _source = view.Source.GetRowCursor(NeededColumns(teacherInputs, out var labelColumn));
        _pipeline = TryPipeline(graph, inputSchema, labelColumn);
        if (_pipeline is not null)
        {
            _inputs = [];
            _inputNames = [];
            return;
        }

        _inputs = new TeacherInputBuffer[graph.Inputs.Count];
        _inputNames = new string[graph.Inputs.Count];
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = TeacherInputBuffer.Create(graph.Inputs[i], _source, _batchSize);
            _inputNames[i] = graph.Inputs[i].Name;
        }

        var outputs = new float[graph.Outputs.Count][];
        for (int o = 0; o < outputs.Length; o++)
        {
            outputs[o] = new float[checked(_batchSize * OutputSizes[o])];
        }

        Outputs = outputs;
        CreateSlots(_source, labelColumn, _batchSize);
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => _pipeline is null
        ? base.GetIdGetter()
        : (ref DataViewRowId id) => id = new DataViewRowId((ulong)_slot!.Ids[Index], 0);

    public int BlockRows => Count;

    public bool CanReadBlock(DataViewSchema.Column column)
    {
        if (!IsColumnActive(column))
        {
            return false;
        }

        if (column.Index < InputCount)
        {
            return _pipeline is not null && column.Name == DataColumnNames.Label;
        }

        return Array.IndexOf(OutputNames, column.Name) >= 0;
    }

    public bool MoveNextBlock()
    {
        if (SourceDone || !FillBatch())
        {
            Count = 0;
            return false;
        }

        Index = Count - 1;
        RowPosition += Count;
        return true;
    }

    public ReadOnlySpan<float> BlockColumn(DataViewSchema.Column column)
    {
        if (column.Index < InputCount)
        {
            return _slot!.Labels.AsSpan(0, Count);
        }

        int o = Array.IndexOf(OutputNames, column.Name);
        return Outputs[o].AsSpan(0, Count * OutputSizes[o]);
    }

    protected override ValueGetter<TValue> InputGetter<TValue>(DataViewSchema.Column column) =>
        _pipeline is null ? base.InputGetter<TValue>(column) : PipelineInputGetter<TValue>(column);

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

    protected override bool FillBatch()
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
                SourceDone = true;
                break;
            }

            SourceRow++;
            int bad = -1;
            string? badColumn = null;
            for (int i = 0; i < _inputs.Length && bad < 0; i++)
            {
                bad = _inputs[i].ReadRow(n);
                badColumn = _inputs[i].Input.ColumnName;
            }

            if (bad >= 0)
            {
                if (Parent.Options.SkipInvalidRows)
                {
                    Parent.CountSkippedRow();
                    continue;
                }

                throw new InvalidDataException(
                    $"Row {SourceRow} of column '{badColumn}' has a NaN or infinite value (at index {bad}). Clean the data, or set SkipInvalidRows (CLI: --skip-invalid) to skip such rows and count them.");
            }

            KeepRow(n);
            n++;
        }

        if (n == 0)
        {
            return NoMoreRows();
        }

        int run = n;
        if (Parent.Graph.Inputs[0].FixedBatch is long fixedBatch && n < fixedBatch)
        {
            foreach (var input in _inputs)
            {
                input.Clear(n);
            }

            run = (int)fixedBatch;
        }

        Parent.Session.Run(run, _inputNames, _inputs, OutputNames, Outputs, OutputSizes);
        Parent.CountScoredRows(n);
        Count = n;
        return true;
    }

    private bool NextSlot()
    {
        _slot = _pipeline!.Next();
        if (_slot is null)
        {
            SourceDone = true;
            return NoMoreRows();
        }

        Outputs = _slot.Outputs;
        Count = _slot.Count;
        return true;
    }

    /// <summary>A pipeline when the source reads blocks and nothing but <c>Features</c> and <c>Label</c> passes through; else null.</summary>
    private TeacherScoringPipeline? TryPipeline(TeacherGraph graph, DataViewSchema inputSchema, DataViewSchema.Column? labelColumn)
    {
        if (Parent.Pipeline == TeacherPipelineMode.Off || graph.Inputs.Count != 1 || graph.Inputs[0].ElementType != "float"
            || graph.Inputs[0].ColumnName != DataColumnNames.Features || _source is not IFeatureBlockCursor { CanReadBlocks: true } block
            || block.FeatureCount != graph.Inputs[0].ElementsPerRow)
        {
            return null;
        }

        for (int i = 0; i < InputCount; i++)
        {
            string name = inputSchema[i].Name;
            if (IsActive(i) && name != DataColumnNames.Features && !(name == DataColumnNames.Label && block.HasLabel))
            {
                return null;
            }
        }

        if (labelColumn is { } label && (label.Name != DataColumnNames.Label || !block.HasLabel))
        {
            return null;
        }

        var mode = Parent.Pipeline switch
        {
            TeacherPipelineMode.Blocks => TeacherRunMode.Run,
            TeacherPipelineMode.Bound => TeacherRunMode.BoundBuffers,
            TeacherPipelineMode.BoundDevice => TeacherRunMode.BoundDevice,
            _ => Parent.Device.StartsWith("cuda", StringComparison.Ordinal) ? TeacherRunMode.BoundDevice : TeacherRunMode.BoundBuffers,
        };
        return new TeacherScoringPipeline(Parent, block, _batchSize, labelColumn is not null, threads: Parent.Pipeline is TeacherPipelineMode.Threads or TeacherPipelineMode.BoundDevice, mode);
    }

    private ValueGetter<TValue> PipelineInputGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Name == DataColumnNames.Label)
        {
            ValueGetter<float> label = (ref float value) => value = _slot!.Labels[Index];
            return (ValueGetter<TValue>)(Delegate)label;
        }

        int size = ((VectorDataViewType)_view.Source.Schema[column.Index].Type).Size;
        ValueGetter<VBuffer<float>> features = (ref VBuffer<float> value) =>
        {
            var editor = VBufferEditor.Create(ref value, size);
            _slot!.Input.AsSpan(Index * size, size).CopyTo(editor.Values);
            value = editor.Commit();
        };
        return (ValueGetter<TValue>)(Delegate)features;
    }
}
