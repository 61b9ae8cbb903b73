using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLNetDistill.Teachers;

/// <summary>
/// Owns the ONNX Runtime session of a prepared teacher graph and runs it on batches whose input and output
/// tensors are <see cref="OrtValue"/>s over the caller's pinned buffers, so no tensor is copied or allocated per row.
/// </summary>
/// <remarks>
/// Thread safety: ONNX Runtime allows concurrent <c>Run</c> calls on one session, and every cursor brings its own
/// buffers, so any number of threads run batches at once without a lock between them. Only <see cref="Dispose"/> is
/// exclusive: it waits for the batches already running, and later runs throw <see cref="ObjectDisposedException"/>
/// (releasing the native session under a running batch would crash the process).
/// </remarks>
internal sealed class TeacherSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();

    /// <summary>Runs share it (read lock); Dispose takes it alone (write lock), so it never frees a session in use.</summary>
    private readonly ReaderWriterLockSlim _gate = new(LockRecursionPolicy.NoRecursion);
    private bool _disposed;

    private readonly string _modelName;

    private TeacherSession(InferenceSession session, string device, string modelName)
    {
        _session = session;
        Device = device;
        _modelName = modelName;
    }

    /// <summary>Gets where the session runs: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device { get; }

    /// <summary>Creates a session, on the GPU when asked and possible.</summary>
    /// <param name="graph">The model bytes.</param>
    /// <param name="gpuDeviceId">The CUDA device, or null for the CPU.</param>
    /// <param name="fallbackToCpu">Whether a GPU that cannot be used falls back to the CPU.</param>
    /// <param name="intraOpThreads">Threads per operator, or null for ONNX Runtime's default.</param>
    /// <param name="warn">Receives the fallback warning.</param>
    /// <param name="modelName">The teacher's file, for error messages.</param>
    public static TeacherSession Create(byte[] graph, int? gpuDeviceId, bool fallbackToCpu, int? intraOpThreads, Action<string>? warn, string modelName)
    {
        if (gpuDeviceId is int device)
        {
            SessionOptions? gpuOptions = null;
            try
            {
                gpuOptions = NewOptions(intraOpThreads);
                gpuOptions.AppendExecutionProvider_CUDA(device);
                var session = CreateSession(graph, gpuOptions, modelName);
                return new TeacherSession(session, $"cuda:{device}", modelName);
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or TypeInitializationException)
            {
                string why = CudaProviderMessage.Describe(device, e);
                if (!fallbackToCpu)
                {
                    throw new InvalidOperationException(why + " Set FallbackToCpu (CLI: --device auto) to run on the CPU instead, or use the CPU (--device cpu).", e);
                }

                warn?.Invoke(why + " Falling back to the CPU.");
            }
            finally
            {
                gpuOptions?.Dispose();
            }
        }

        using var cpuOptions = NewOptions(intraOpThreads);
        return new TeacherSession(CreateSession(graph, cpuOptions, modelName), "cpu", modelName);
    }

    /// <summary>Runs one zero-filled row through a graph and returns the per-row element count of each output.</summary>
    public static int[] ProbeRowSizes(byte[] graph, IReadOnlyList<TeacherGraphInput> inputs, IReadOnlyList<string> outputs, string modelName)
    {
        using var options = NewOptions(1);
        using var session = CreateSession(graph, options, modelName);
        var values = new List<OrtValue>();
        try
        {
            foreach (var input in inputs)
            {
                values.Add(ZeroBatch(input));
            }

            using var results = session.Run(new RunOptions(), inputs.Select(i => i.Name).ToArray(), values, outputs.ToArray());
            var sizes = new int[outputs.Count];
            for (int i = 0; i < sizes.Length; i++)
            {
                long[] shape = results[i].GetTensorTypeAndShape().Shape;
                long batch = inputs[0].FixedBatch ?? 1;
                if (shape.Length == 0 || shape[0] != batch)
                {
                    throw new ArgumentException($"Teacher tensor '{outputs[i]}' does not keep the batch as its first dimension (shape [{string.Join(", ", shape)}] for a batch of {batch}); the scorer needs per-row outputs.");
                }

                long size = 1;
                for (int d = 1; d < shape.Length; d++)
                {
                    size *= shape[d];
                }

                sizes[i] = checked((int)size);
            }

            return sizes;
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"Teacher '{modelName}' could not run on a test row: {OrtMessage(e.Message)}. Check that the inputs' shapes and element types match the columns (`mlnet-distill inspect` lists them).", e);
        }
        finally
        {
            foreach (var v in values)
            {
                v.Dispose();
            }
        }
    }

    /// <summary>Runs <paramref name="rows"/> rows. Buffers hold at least rows x per-row elements; outputs are written in place.</summary>
    public void Run(int rows, IReadOnlyList<string> inputNames, IReadOnlyList<TeacherInputBuffer> inputs, IReadOnlyList<string> outputNames, float[][] outputs, int[] outputSizes)
    {
        _gate.EnterReadLock();
        try
        {
            if (_disposed)
            {
                throw new ObjectDisposedException(nameof(TeacherSession),
                    "The teacher scorer was disposed, but data it scores is lazy and was read afterwards (for example through mlContext.Data.Cache, which fills columns when first read, or on another thread). Keep the transformer alive while its output is used.");
            }

            RunCore(rows, inputNames, inputs, outputNames, outputs, outputSizes);
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>Runs one batch on tensors the caller made over its own buffers (outputs written in place).</summary>
    internal void RunValues(int rows, string[] inputNames, OrtValue[] inputs, string[] outputNames, OrtValue[] outputs)
    {
        _gate.EnterReadLock();
        try
        {
            if (_disposed)
            {
                throw new ObjectDisposedException(nameof(TeacherSession),
                    "The teacher scorer was disposed, but data it scores is lazy and was read afterwards (for example through mlContext.Data.Cache, which fills columns when first read, or on another thread). Keep the transformer alive while its output is used.");
            }

            _session.Run(_runOptions, inputNames, inputs, outputNames, outputs);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"Teacher '{_modelName}' failed on a batch of {rows} rows: {OrtMessage(e.Message)}", e);
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>
    /// Binds tensors the caller prepared once and reuses (a <see cref="TeacherBatchScorer"/>'s pinned buffers) to the
    /// session's inputs and outputs; <see cref="RunBound"/> then runs them with no managed allocation per call.
    /// </summary>
    internal OrtIoBinding Bind(string[] inputNames, OrtValue[] inputs, string[] outputNames, OrtValue[] outputs)
    {
        _gate.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var binding = _session.CreateIoBinding();
            for (int i = 0; i < inputs.Length; i++)
            {
                binding.BindInput(inputNames[i], inputs[i]);
            }

            for (int o = 0; o < outputs.Length; o++)
            {
                binding.BindOutput(outputNames[o], outputs[o]);
            }

            return binding;
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>
    /// Binds input tensors the caller prepared, and the outputs to a device's memory (<paramref name="outputMemory"/>: CUDA
    /// pinned host memory on a GPU, the CPU's otherwise), where ONNX Runtime allocates them at each run; read them with
    /// <see cref="OrtIoBinding.GetOutputValues"/> after <see cref="RunBound"/>.
    /// </summary>
    internal OrtIoBinding BindToDevice(string[] inputNames, OrtValue[] inputs, string[] outputNames, OrtMemoryInfo outputMemory)
    {
        _gate.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var binding = _session.CreateIoBinding();
            for (int i = 0; i < inputs.Length; i++)
            {
                binding.BindInput(inputNames[i], inputs[i]);
            }

            for (int o = 0; o < outputNames.Length; o++)
            {
                binding.BindOutputToDevice(outputNames[o], outputMemory);
            }

            return binding;
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>
    /// Runs one batch through a binding made by <see cref="Bind"/>: the outputs land in the bound buffers. Concurrent calls
    /// (on different bindings) share the session as <see cref="Run"/> does.
    /// </summary>
    internal void RunBound(int rows, OrtIoBinding binding)
    {
        _gate.EnterReadLock();
        try
        {
            if (_disposed)
            {
                throw new ObjectDisposedException(nameof(TeacherSession),
                    "The teacher scorer was disposed while a student was still scoring batches through it on the fly. Keep the teacher alive until training ends.");
            }

            _session.RunWithBinding(_runOptions, binding);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"Teacher '{_modelName}' failed on a batch of {rows} rows: {OrtMessage(e.Message)}", e);
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>Waits for the batches running on other threads, then releases the session; later runs throw.</summary>
    public void Dispose()
    {
        _gate.EnterWriteLock();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _runOptions.Dispose();
            _session.Dispose();
        }
        finally
        {
            _gate.ExitWriteLock();
        }

        // The gate itself is not disposed: a thread may still be about to enter it, and it then sees _disposed.
    }

    private void RunCore(int rows, IReadOnlyList<string> inputNames, IReadOnlyList<TeacherInputBuffer> inputs, IReadOnlyList<string> outputNames, float[][] outputs, int[] outputSizes)
    {
        var inputValues = new OrtValue[inputs.Count];
        var outputValues = new OrtValue[outputs.Length];
        try
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                inputValues[i] = inputs[i].CreateValue(rows);
            }

            for (int o = 0; o < outputs.Length; o++)
            {
                outputValues[o] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, outputs[o].AsMemory(0, rows * outputSizes[o]), [rows, outputSizes[o]]);
            }

            _session.Run(_runOptions, (IReadOnlyCollection<string>)inputNames, inputValues, (IReadOnlyCollection<string>)outputNames, outputValues);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"Teacher '{_modelName}' failed on a batch of {rows} rows: {OrtMessage(e.Message)}", e);
        }
        finally
        {
            foreach (var v in inputValues)
            {
                v?.Dispose();
            }

            foreach (var v in outputValues)
            {
                v?.Dispose();
            }
        }
    }

    internal static string FirstLine(string message)
    {
        int nl = message.IndexOf('\n');
        return (nl < 0 ? message : message[..nl]).Trim();
    }

    private static SessionOptions NewOptions(int? intraOpThreads)
    {
        var options = new SessionOptions
        {
            // The library never prints: ONNX Runtime's own warnings and errors would go to stderr from native code; its
            // errors reach the caller as exceptions anyway (with the file named), so only fatal ones are logged.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = intraOpThreads ?? Environment.ProcessorCount,
        };
        // ONNX Runtime's intra-op threads spin between runs by default. Measured here (scale benchmark, ways table), the
        // spinning thread takes a core from the reader and the writer: the trivial teacher's 1M rows went from 3.6 to
        // 0.96 us a row without it. MLNETDISTILL_ORT_SPIN=1 turns it back on.
        if (Environment.GetEnvironmentVariable("MLNETDISTILL_ORT_SPIN") != "1")
        {
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        }

        return options;
    }

    /// <summary>The first line of an ONNX Runtime message without its <c>[ErrorCode:...]</c> prefix: what went wrong, in words.</summary>
    /// <remarks>
    /// Also drops the C++ source locations and function signatures ONNX Runtime puts in its messages
    /// (<c>/onnxruntime_src/...model.cc:256 onnxruntime::Model::Model(...)</c>) and its <c>[ONNXRuntimeError] : 1 : FAIL :</c> prefixes.
    /// </remarks>
    internal static string OrtMessage(string message)
    {
        string text = Regex.Replace(FirstLine(message), @"\[ErrorCode:[A-Za-z_]+\]\s*", string.Empty);
        text = Regex.Replace(text, @"\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:\s*", string.Empty);
        text = Regex.Replace(text, @"\S+\.(?:cc|cpp|h):\d+\s+(?:[\w:<>,~*&\s]+?\([^()]*\)\s*(?:const\s+)?)?", string.Empty);
        return text.Trim().TrimEnd('.');
    }

    private static InferenceSession CreateSession(byte[] graph, SessionOptions options, string modelName)
    {
        try
        {
            return new InferenceSession(graph, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException(
                $"ONNX Runtime cannot load teacher '{modelName}': {OrtMessage(e.Message)}. The model is damaged, or uses operators or an opset this ONNX Runtime does not support: export it again (for example torch.onnx.export with opset 13 or later).",
                e);
        }
    }

    /// <summary>A zero-filled batch (of the input's fixed batch size, else 1 row) for probing shapes.</summary>
    internal static OrtValue ZeroBatch(TeacherGraphInput input)
    {
        long batch = input.FixedBatch ?? 1;
        long[] shape = [batch, .. input.RowShape];
        long perRow = input.ElementsPerRow;
        if (perRow < 0 || perRow > TeacherGraph.MaxElementsPerRow || batch > Array.MaxLength / Math.Max(perRow, 1))
        {
            throw new InvalidDataException(
                $"Teacher input '{input.TeacherName}' of shape [{batch}, {string.Join(", ", input.RowShape)}] holds more values than one buffer can: the model's input shape is damaged. Re-export the model with its real input shape ([batch, ...]).");
        }

        int count = (int)(batch * perRow);
        return OnnxZeroTensor.TryCreate(input.ElementType, shape, count, out var value)
            ? value!
            : throw new ArgumentException($"Teacher input '{input.Name}' has element type {input.ElementType}, which the scorer cannot feed; supported: {OnnxZeroTensor.SupportedTypes}.");
    }
}
