using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace MLNetDistill.Evaluation;

/// <summary>
/// Times an ONNX model in ONNX Runtime the way a service runs it: one row per <c>Run</c> (p50/p99 after warm-up) and
/// in batches (rows per second). One <see cref="InferenceSession"/>, disposed with the timer; the input tensors are
/// <see cref="OrtValue"/>s over buffers made once and bound once (<see cref="OrtIoBinding"/>), so the timed loop copies a row in and runs, with no managed allocation.
/// </summary>
internal sealed class OnnxLatencyTimer : IDisposable
{
    /// <summary>The rows per <c>Run</c> of the throughput pass.</summary>
    internal const int BatchRows = 256;

    /// <summary>The least wall time of the throughput pass, so a few small batches of a fast model are not one timer tick.</summary>
    private static readonly long MinimumThroughputTicks = Stopwatch.Frequency / 20;

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string _inputName = "";
    private readonly string[] _outputNames;
    private readonly long[] _rowShape;
    private readonly int _width;

    /// <summary>Opens the model; its single float input must hold <paramref name="width"/> values per row (any fixed shape after the batch dimension).</summary>
    /// <param name="model">The ONNX model's bytes.</param>
    /// <param name="name">What the model is, for messages (<c>the teacher</c>, <c>student 'sdca'</c>).</param>
    /// <param name="width">The features per row.</param>
    /// <param name="outputNames">The outputs to compute, or <see langword="null"/> for every output.</param>
    /// <exception cref="InvalidDataException">The model does not load, or its inputs do not take one row of <paramref name="width"/> floats.</exception>
    public OnnxLatencyTimer(byte[] model, string name, int width, IReadOnlyList<string>? outputNames = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        _width = width;
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = Environment.ProcessorCount };
        try
        {
            _session = new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            _runOptions.Dispose();
            throw new InvalidDataException($"ONNX Runtime cannot load {name} to time it: {FirstLine(e.Message)}", e);
        }

        try
        {
            if (_session.InputMetadata.Count != 1)
            {
                throw new InvalidDataException(
                    $"{name} has {_session.InputMetadata.Count} inputs ({string.Join(", ", _session.InputMetadata.Keys)}); it is timed in ONNX Runtime only when it has one input, the features.");
            }

            var (inputName, meta) = _session.InputMetadata.First();
            if (meta.ElementType != typeof(float))
            {
                throw new InvalidDataException($"{name}'s input '{inputName}' holds {meta.ElementType.Name}, not float: it cannot be fed the feature rows to time it.");
            }

            _inputName = inputName;
            _rowShape = RowShape(meta.Dimensions, width, name, inputName);
            _outputNames = outputNames is null ? [.. _session.OutputNames] : [.. outputNames];
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Times the model on <paramref name="rows"/> (row-major, <c>width</c> floats a row), cycling through them.</summary>
    /// <param name="rows">The feature rows.</param>
    /// <param name="warmupRows">Rows run one at a time, untimed, first.</param>
    /// <param name="latencyRows">Rows timed one at a time.</param>
    /// <returns>The single-row p50 and p99 in µs and the batch throughput in rows/s.</returns>
    public OnnxRuntimeCost Measure(ReadOnlySpan<float> rows, int warmupRows, int latencyRows)
    {
        int count = rows.Length / _width;
        if (count == 0 || rows.Length % _width != 0)
        {
            throw new ArgumentException(
                $"The rows to time hold {rows.Length.ToString(CultureInfo.InvariantCulture)} floats, not a positive multiple of the {_width.ToString(CultureInfo.InvariantCulture)} features a row.", nameof(rows));
        }

        var single = new float[_width];
        var times = new long[latencyRows];
        using (var value = OrtValue.CreateTensorValueFromMemory(single, Shape(1)))
        using (var binding = Bind(value))
        {
            for (int i = -warmupRows; i < latencyRows; i++)
            {
                int row = (i + warmupRows) % count;
                long start = Stopwatch.GetTimestamp();
                rows.Slice(row * _width, _width).CopyTo(single);
                // ONNX Runtime has computed every output asked for when the run returns; a service reads them from the binding.
                _session.RunWithBinding(_runOptions, binding);
                long elapsed = Stopwatch.GetTimestamp() - start;
                if (i >= 0)
                {
                    times[i] = elapsed;
                }
            }
        }

        Array.Sort(times);
        double p50 = DistillationCostEvaluator.Percentile(times, 0.50);
        double p99 = DistillationCostEvaluator.Percentile(times, 0.99);

        int batch = Math.Min(BatchRows, count);
        var buffer = new float[batch * _width];
        rows[..buffer.Length].CopyTo(buffer);
        using var batchValue = OrtValue.CreateTensorValueFromMemory(buffer, Shape(batch));
        using var batchBinding = Bind(batchValue);
        _session.RunWithBinding(_runOptions, batchBinding); // warm-up at this batch size
        long done = 0;
        long begin = Stopwatch.GetTimestamp(), now = begin;
        int next = batch % count;
        while (done < count || now - begin < MinimumThroughputTicks)
        {
            _session.RunWithBinding(_runOptions, batchBinding);

            done += batch;
            // The next rows in the buffer, as a service copies each request's rows in.
            for (int r = 0; r < batch; r++, next = (next + 1) % count)
            {
                rows.Slice(next * _width, _width).CopyTo(buffer.AsSpan(r * _width, _width));
            }

            now = Stopwatch.GetTimestamp();
        }

        double seconds = Math.Max((now - begin) / (double)Stopwatch.Frequency, 1e-9);
        return new OnnxRuntimeCost(p50, p99, done / seconds);
    }

    /// <summary>The input bound over <paramref name="input"/>'s buffer, the outputs to CPU memory ONNX Runtime allocates: no managed allocation per run.</summary>
    private OrtIoBinding Bind(OrtValue input)
    {
        var binding = _session.CreateIoBinding();
        binding.BindInput(_inputName, input);
        foreach (string output in _outputNames)
        {
            binding.BindOutputToDevice(output, OrtMemoryInfo.DefaultInstance);
        }

        return binding;
    }

    public void Dispose()
    {
        _session?.Dispose();
        _runOptions.Dispose();
    }

    private long[] Shape(int batch)
    {
        var shape = (long[])_rowShape.Clone();
        shape[0] = batch;
        return shape;
    }

    /// <summary>The input's shape with the batch dimension first (set per run) and fixed dimensions after it that hold one row.</summary>
    private static long[] RowShape(int[] dimensions, int width, string name, string inputName)
    {
        var shape = new long[Math.Max(dimensions.Length, 1)];
        long perRow = 1;
        for (int i = 1; i < dimensions.Length; i++)
        {
            shape[i] = dimensions[i];
            perRow *= dimensions[i];
        }

        if (dimensions.Length < 2 || dimensions.Skip(1).Any(d => d <= 0) || perRow != width)
        {
            throw new InvalidDataException(
                $"{name}'s input '{inputName}' has shape [{string.Join(", ", dimensions)}], which does not take rows of {width.ToString(CultureInfo.InvariantCulture)} features (batch first, then fixed dimensions whose product is {width.ToString(CultureInfo.InvariantCulture)}).");
        }

        return shape;
    }

    private static string FirstLine(string message)
    {
        int nl = message.IndexOf('\n');
        return (nl < 0 ? message : message[..nl]).Trim();
    }
}

/// <summary>What <see cref="OnnxLatencyTimer"/> measured.</summary>
/// <param name="LatencyP50Microseconds">The median time of one row through ONNX Runtime, in µs (the row copied in, <c>Run</c>, the outputs released).</param>
/// <param name="LatencyP99Microseconds">The 99th percentile (nearest rank) of the same times.</param>
/// <param name="ThroughputRowsPerSecond">Rows per second in batches of <see cref="OnnxLatencyTimer.BatchRows"/> (or all the rows when fewer).</param>
internal sealed record OnnxRuntimeCost(double LatencyP50Microseconds, double LatencyP99Microseconds, double ThroughputRowsPerSecond);
