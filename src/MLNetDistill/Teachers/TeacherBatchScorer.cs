using Microsoft.ML.OnnxRuntime;

namespace MLNetDistill.Teachers;

/// <summary>
/// Scores rows held in memory (n x features floats) with a fitted teacher and writes its logits (n x K): what a student
/// trainer that makes new inputs on the fly (mixup) uses to ask the teacher about exactly those inputs.
/// </summary>
/// <remarks>
/// <para>It runs the transformer's own session and rewritten graph (so the logits are the ones
/// <see cref="TeacherScoringTransformer.Transform"/> gives for the same rows), through input and output buffers allocated
/// once for the largest batch and ONNX Runtime tensors over them made once per distinct row count (the
/// full batch and a last, shorter one), bound to the session once (ONNX Runtime's I/O binding): scoring step after step
/// allocates nothing.</para>
/// <para>Thread safety: one scorer's buffers serve one call at a time (a lock); several scorers run on the one session
/// at once, as cursors do. Disposing the scorer releases its tensors, not the teacher's session.</para>
/// </remarks>
internal sealed class TeacherBatchScorer : IDisposable
{
    private readonly TeacherScoringTransformer _teacher;
    private readonly float[] _input;
    private readonly float[] _output;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly long[] _rowShape;
    private readonly Lock _sync = new();
    private readonly Slot _full = new();
    private readonly Slot _tail = new();
    private bool _disposed;

    /// <summary>Creates a scorer for batches of up to <paramref name="batchSize"/> rows.</summary>
    /// <param name="teacher">The fitted teacher; it must take one float input and classify. It is not owned.</param>
    /// <param name="batchSize">The most rows per call.</param>
    /// <exception cref="ArgumentException">The teacher has several or non-float inputs, a fixed batch, or is a regression teacher.</exception>
    public TeacherBatchScorer(TeacherScoringTransformer teacher, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var graph = teacher.Graph;
        if (graph.Task == TeacherTask.Regression)
        {
            throw new ArgumentException($"Teacher '{teacher.Options.ModelFile}' is a regression teacher; on-the-fly teaching (mixup) needs a classifier's logits.", nameof(teacher));
        }

        if (graph.Inputs.Count != 1 || graph.Inputs[0].ElementType != "float")
        {
            throw new ArgumentException(
                $"On-the-fly teaching feeds the teacher one float feature vector per row, but teacher '{teacher.Options.ModelFile}' takes {graph.Inputs.Count} input(s) ({string.Join(", ", graph.Inputs.Select(i => $"{i.TeacherName}: {i.ElementType}"))}). Train on its fixed soft labels instead (no augment).",
                nameof(teacher));
        }

        var input = graph.Inputs[0];
        if (input.FixedBatch is long fixedBatch)
        {
            throw new ArgumentException(
                $"Teacher '{teacher.Options.ModelFile}' has a fixed batch of {fixedBatch} rows; on-the-fly teaching needs a dynamic batch dimension. Re-export it with dynamic_axes={{'{input.TeacherName}': {{0: 'batch'}}}}.",
                nameof(teacher));
        }

        _teacher = teacher;
        FeatureCount = checked((int)input.ElementsPerRow);
        ClassCount = graph.Classes;
        BatchSize = batchSize;
        _rowShape = input.RowShape;
        _input = new float[checked(batchSize * FeatureCount)];
        _output = new float[checked(batchSize * ClassCount)];
        _inputNames = [input.Name];
        _outputNames = [teacher.Options.LogitsColumnName];
    }

    /// <summary>Gets the floats per row the teacher takes.</summary>
    public int FeatureCount { get; }

    /// <summary>Gets the teacher's class count K.</summary>
    public int ClassCount { get; }

    /// <summary>Gets the most rows per call.</summary>
    public int BatchSize { get; }

    /// <summary>Scores <paramref name="count"/> rows.</summary>
    /// <param name="rows">count x <see cref="FeatureCount"/> features, row-major.</param>
    /// <param name="count">The rows, 1 to <see cref="BatchSize"/>.</param>
    /// <param name="logits">Receives count x <see cref="ClassCount"/> logits.</param>
    public void Score(ReadOnlySpan<float> rows, int count, Span<float> logits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, BatchSize);
        int n = count * FeatureCount;
        int k = count * ClassCount;
        if (rows.Length < n || logits.Length < k)
        {
            throw new ArgumentException($"Scoring {count} rows needs {n} features and room for {k} logits, but got {rows.Length} and {logits.Length}.");
        }

        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            rows[..n].CopyTo(_input);
            var slot = Values(count);
            _teacher.Session.RunBound(count, slot.Binding!);
            _output.AsSpan(0, k).CopyTo(logits);
        }

        _teacher.CountScoredRows(count);
    }

    /// <summary>Releases the tensors (not the teacher).</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _full.Release();
            _tail.Release();
        }
    }

    /// <summary>The tensors for <paramref name="count"/> rows: made on first use of that count, then reused.</summary>
    private Slot Values(int count)
    {
        var slot = count == BatchSize ? _full : _tail;
        if (slot.Rows != count)
        {
            slot.Release();
            long[] shape = [count, .. _rowShape];
            slot.Inputs[0] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, count * FeatureCount), shape);
            slot.Outputs[0] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, count * ClassCount), [count, ClassCount]);
            slot.Binding = _teacher.Session.Bind(_inputNames, slot.Inputs, _outputNames, slot.Outputs);
            slot.Rows = count;
        }

        return slot;
    }

    /// <summary>Input and output tensors for one row count.</summary>
    private sealed class Slot
    {
        public OrtValue[] Inputs { get; } = new OrtValue[1];

        public OrtValue[] Outputs { get; } = new OrtValue[1];

        public OrtIoBinding? Binding { get; set; }

        public int Rows { get; set; }

        public void Release()
        {
            Binding?.Dispose();
            Binding = null;
            Inputs[0]?.Dispose();
            Outputs[0]?.Dispose();
            Inputs[0] = null!;
            Outputs[0] = null!;
            Rows = 0;
        }
    }
}
