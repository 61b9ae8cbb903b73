using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Data;
using MLNetDistill.Onnx;

namespace MLNetDistill.Teachers;

/// <summary>How a <see cref="TeacherScoringPipeline"/> hands its batches to ONNX Runtime.</summary>
internal enum TeacherRunMode
{
    /// <summary>A plain <c>Run</c> with tensors made over the slot's buffers for each batch.</summary>
    Run,

    /// <summary>I/O binding to tensors over the slot's buffers, made once per row count: nothing is allocated per batch.</summary>
    BoundBuffers,

    /// <summary>
    /// I/O binding with the outputs bound to a device's memory (CUDA: pinned host memory), copied to the slot after each
    /// batch: the GPU path, which on the CPU runs through the same code with the CPU's memory.
    /// </summary>
    BoundDevice,
}

/// <summary>
/// The scoring pipeline of a <see cref="TeacherScoringCursor"/> over a source that reads blocks of rows
/// (<see cref="IFeatureBlockCursor"/>): a reader thread decodes batch i+1 straight into a slot's ONNX Runtime input buffer
/// while a scorer thread runs the teacher on batch i and the consumer (the cursor's caller, e.g. the cache writer)
/// serves batch i-1. Three slots, so at most two batches are in flight ahead of the one being read by the consumer; the
/// order of rows is the source's.
/// </summary>
/// <remarks>
/// With <see cref="Threads"/> off the same stages run one after the other on the consumer's thread. Errors of a stage
/// (a NaN row, a damaged file, ONNX Runtime) reach the consumer at the batch where they happened, as the same exception.
/// <see cref="Dispose"/> stops both threads and waits for them before the source cursor is released.
/// </remarks>
internal sealed class TeacherScoringPipeline : IDisposable
{
    private const int SlotCount = 3;

    /// <summary>Rows a slot holds at least (whole ONNX Runtime batches): a hand-off between threads costs a wake-up, paid per slot.</summary>
    private const int SlotRows = 2048;

    private readonly TeacherScoringTransformer _parent;
    private readonly IFeatureBlockCursor _source;
    private readonly int _batchSize;
    private readonly int _slotRows;
    private readonly int _perRow;
    private readonly long? _fixedBatch;
    private readonly bool _checkLabels;
    private readonly int _classes;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int[] _outputSizes;
    private readonly long[] _rowShape;
    private readonly TeacherRunMode _mode;
    private readonly OrtMemoryInfo? _deviceMemory;
    private readonly Slot[] _slots;
    private readonly BlockingCollection<Slot> _free = new(SlotCount);
    private readonly BlockingCollection<Slot> _toScore = new(SlotCount);
    private readonly BlockingCollection<Slot> _ready = new(SlotCount);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread? _reader;
    private readonly Thread? _scorer;
    private ExceptionDispatchInfo? _fault;
    private Slot? _current;
    private long _sourceRow = -1;
    private bool _sourceDone;
    private bool _disposed;

    public TeacherScoringPipeline(TeacherScoringTransformer parent, IFeatureBlockCursor source, int batchSize, bool checkLabels, bool threads, TeacherRunMode mode)
    {
        _parent = parent;
        _source = source;
        _batchSize = batchSize;
        var graph = parent.Graph;
        var input = graph.Inputs[0];

        // A slot is several ONNX Runtime batches (one for a fixed-batch teacher, whose padding is per slot).
        _slotRows = input.FixedBatch is null ? batchSize * Math.Max(1, SlotRows / batchSize) : batchSize;
        _perRow = checked((int)input.ElementsPerRow);
        _fixedBatch = input.FixedBatch;
        _rowShape = input.RowShape;
        _checkLabels = checkLabels;
        _classes = graph.Classes;
        _inputNames = [input.Name];
        _outputNames = new string[graph.Outputs.Count];
        _outputSizes = new int[graph.Outputs.Count];
        for (int o = 0; o < _outputNames.Length; o++)
        {
            _outputNames[o] = graph.Outputs[o].Name;
            _outputSizes[o] = graph.Outputs[o].Size;
        }

        _mode = mode;
        if (mode == TeacherRunMode.BoundDevice)
        {
            _deviceMemory = DeviceMemory(parent.Device);
        }

        _slots = new Slot[SlotCount];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new Slot(input, _slotRows, _slotRows / batchSize, source.HasLabel, _outputSizes);
            _free.Add(_slots[i]);
        }

        Threads = threads;
        if (threads)
        {
            _reader = new Thread(ReadLoop) { IsBackground = true, Name = "teacher reader" };
            _scorer = new Thread(ScoreLoop) { IsBackground = true, Name = "teacher scorer" };
            _reader.Start();
            _scorer.Start();
        }
    }

    /// <summary>Gets whether reading and scoring run on their own threads.</summary>
    public bool Threads { get; }

    /// <summary>
    /// Gives back the slot served last and returns the next scored one, or null at the end. A stage's error is thrown
    /// here, as it was thrown there.
    /// </summary>
    public Slot? Next()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_current is not null)
        {
            _current.Count = 0;
            if (Threads)
            {
                _free.Add(_current);
            }

            _current = null;
        }

        if (!Threads)
        {
            var slot = _slots[0];
            if (_sourceDone || !Fill(slot))
            {
                return null;
            }

            Score(slot);
            _current = slot;
            return slot;
        }

        if (_ready.TryTake(out var next, Timeout.Infinite))
        {
            _current = next;
            return next;
        }

        _fault?.Throw();
        return null;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stop.Cancel();
        _reader?.Join();
        _scorer?.Join();
        foreach (var slot in _slots)
        {
            slot.Release();
        }

        _stop.Dispose();
        _free.Dispose();
        _toScore.Dispose();
        _ready.Dispose();
        _deviceMemory?.Dispose();
    }

    private static OrtMemoryInfo DeviceMemory(string device) =>
        device.StartsWith("cuda:", StringComparison.Ordinal)
            ? new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA_PINNED, OrtAllocatorType.DeviceAllocator, int.Parse(device.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture), OrtMemType.CpuOutput)
            : new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);

    private void ReadLoop()
    {
        try
        {
            while (!_sourceDone)
            {
                var slot = _free.Take(_stop.Token);
                if (!Fill(slot))
                {
                    break;
                }

                _toScore.Add(slot, _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _fault, ExceptionDispatchInfo.Capture(e), null);
        }
        finally
        {
            _toScore.CompleteAdding();
        }
    }

    private void ScoreLoop()
    {
        try
        {
            foreach (var slot in _toScore.GetConsumingEnumerable(_stop.Token))
            {
                if (_fault is not null)
                {
                    break;
                }

                Score(slot);
                _ready.Add(slot, _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _fault, ExceptionDispatchInfo.Capture(e), null);
        }
        finally
        {
            _ready.CompleteAdding();
        }
    }

    /// <summary>Reads up to a batch of valid rows into <paramref name="slot"/>; false when the source had none left.</summary>
    private bool Fill(Slot slot)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return FillCore(slot);
        }
        finally
        {
            Interlocked.Add(ref _parent.ReadTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
        }
    }

    private bool FillCore(Slot slot)
    {
        int n = 0;
        Span<float> input = slot.Input;
        Span<float> labels = slot.Labels;
        while (n < _slotRows)
        {
            int got = _source.ReadBlock(input[(n * _perRow)..], labels.IsEmpty ? [] : labels[n..], _slotRows - n);
            if (got == 0)
            {
                _sourceDone = true;
                break;
            }

            // Check the rows read; a row skipped as invalid is overwritten by the ones after it.
            int kept = n;
            for (int r = n; r < n + got; r++)
            {
                _sourceRow++;
                int bad = Numerics.SpanMath.FirstNonFinite(input.Slice(r * _perRow, _perRow));
                if (bad >= 0)
                {
                    if (_parent.Options.SkipInvalidRows)
                    {
                        _parent.CountSkippedRow();
                        continue;
                    }

                    throw new InvalidDataException(
                        $"Row {_sourceRow} of column '{_parent.Graph.Inputs[0].ColumnName}' has a NaN or infinite value (at index {bad}). Clean the data, or set SkipInvalidRows (CLI: --skip-invalid) to skip such rows and count them.");
                }

                if (_checkLabels && !labels.IsEmpty)
                {
                    CheckLabel(labels[r]);
                }

                if (kept != r)
                {
                    input.Slice(r * _perRow, _perRow).CopyTo(input[(kept * _perRow)..]);
                    if (!labels.IsEmpty)
                    {
                        labels[kept] = labels[r];
                    }
                }

                slot.Ids[kept] = _sourceRow;
                kept++;
            }

            n = kept;
        }

        slot.Count = n;
        return n > 0;
    }

    private void Score(Slot slot)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            ScoreCore(slot);
        }
        finally
        {
            Interlocked.Add(ref _parent.ScoreTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
        }
    }

    private void ScoreCore(Slot slot)
    {
        int n = slot.Count;
        if (_fixedBatch is long fixedBatch && n < fixedBatch)
        {
            slot.Input.AsSpan(n * _perRow).Clear();
            ScoreBatch(slot, 0, (int)fixedBatch, n);
        }
        else
        {
            for (int batch = 0, start = 0; start < n; batch++, start += _batchSize)
            {
                int rows = Math.Min(_batchSize, n - start);
                ScoreBatch(slot, batch, rows, rows);
            }
        }

        _parent.CountScoredRows(n);
    }

    /// <summary>Runs ONNX Runtime on batch <paramref name="batch"/> of the slot: <paramref name="run"/> rows, of which <paramref name="real"/> are data.</summary>
    private void ScoreBatch(Slot slot, int batch, int run, int real)
    {
        int first = batch * _batchSize;
        switch (_mode)
        {
            case TeacherRunMode.Run:
                {
                    var inputs = new[] { InputValue(slot, first, run) };
                    var outputs = new OrtValue[_outputNames.Length];
                    try
                    {
                        for (int o = 0; o < outputs.Length; o++)
                        {
                            outputs[o] = OutputValue(slot, o, first, run);
                        }

                        _parent.Session.RunValues(run, _inputNames, inputs, _outputNames, outputs);
                    }
                    finally
                    {
                        inputs[0].Dispose();
                        foreach (var v in outputs)
                        {
                            v?.Dispose();
                        }
                    }

                    break;
                }

            case TeacherRunMode.BoundBuffers:
                _parent.Session.RunBound(run, slot.Binding(batch, run, this));
                break;
            default:
                {
                    var binding = slot.Binding(batch, run, this);
                    _parent.Session.RunBound(run, binding);
                    using var values = binding.GetOutputValues();
                    for (int o = 0; o < _outputNames.Length; o++)
                    {
                        int size = _outputSizes[o];
                        values[o].GetTensorDataAsSpan<float>()[..(real * size)].CopyTo(slot.Outputs[o].AsSpan(first * size));
                    }

                    break;
                }
        }
    }

    private OrtValue InputValue(Slot slot, int first, int rows) =>
        OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, slot.Input.AsMemory(first * _perRow, rows * _perRow), [rows, .. _rowShape]);

    private OrtValue OutputValue(Slot slot, int output, int first, int rows)
    {
        int size = _outputSizes[output];
        return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, slot.Outputs[output].AsMemory(first * size, rows * size), [rows, size]);
    }

    /// <summary>Binds batch <paramref name="batch"/> of a slot, <paramref name="rows"/> rows, to the session; the tensors go into <paramref name="values"/>.</summary>
    private OrtIoBinding Bind(Slot slot, int batch, int rows, List<OrtValue> values)
    {
        int first = batch * _batchSize;
        var input = InputValue(slot, first, rows);
        values.Add(input);
        if (_mode == TeacherRunMode.BoundBuffers)
        {
            var outputs = new OrtValue[_outputNames.Length];
            for (int o = 0; o < outputs.Length; o++)
            {
                outputs[o] = OutputValue(slot, o, first, rows);
                values.Add(outputs[o]);
            }

            return _parent.Session.Bind(_inputNames, [input], _outputNames, outputs);
        }

        return _parent.Session.BindToDevice(_inputNames, [input], _outputNames, _deviceMemory!);
    }

    private void CheckLabel(float label)
    {
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

    /// <summary>
    /// Some batches of rows: their input, labels, row ids and outputs, and the bound tensors over them (made once per batch
    /// and row count, so a run of full slots allocates nothing).
    /// </summary>
    internal sealed class Slot
    {
        private readonly OrtIoBinding?[] _bindings;
        private readonly int[] _boundRows;
        private readonly List<OrtValue>[] _values;

        public Slot(TeacherGraphInput input, int rows, int batches, bool hasLabel, int[] outputSizes)
        {
            Input = new float[checked(rows * input.ElementsPerRow)];
            Labels = hasLabel ? new float[rows] : [];
            Ids = new long[rows];
            Outputs = new float[outputSizes.Length][];
            for (int o = 0; o < Outputs.Length; o++)
            {
                Outputs[o] = new float[checked(rows * outputSizes[o])];
            }

            _bindings = new OrtIoBinding?[batches];
            _boundRows = new int[batches];
            _values = new List<OrtValue>[batches];
            for (int b = 0; b < batches; b++)
            {
                _values[b] = [];
            }
        }

        public float[] Input { get; }

        public float[] Labels { get; }

        /// <summary>The source row of each slot row (its position in the source cursor).</summary>
        public long[] Ids { get; }

        public float[][] Outputs { get; }

        public int Count { get; set; }

        public OrtIoBinding Binding(int batch, int rows, TeacherScoringPipeline pipeline)
        {
            if (_bindings[batch] is not { } binding || _boundRows[batch] != rows)
            {
                Release(batch);
                binding = pipeline.Bind(this, batch, rows, _values[batch]);
                _bindings[batch] = binding;
                _boundRows[batch] = rows;
            }

            return binding;
        }

        public void Release()
        {
            for (int b = 0; b < _bindings.Length; b++)
            {
                Release(b);
            }
        }

        private void Release(int batch)
        {
            _bindings[batch]?.Dispose();
            _bindings[batch] = null;
            foreach (var v in _values[batch])
            {
                v.Dispose();
            }

            _values[batch].Clear();
            _boundRows[batch] = 0;
        }
    }
}
