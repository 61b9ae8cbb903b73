using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using MLNetDistill.Numerics;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// Forward and backward passes of an <see cref="MlpModel"/> over batches of up to <see cref="MaxRows"/> rows, with every
/// activation and gradient buffer allocated once, here, so that a training step allocates nothing.
/// </summary>
/// <remarks>
/// Per hidden layer: z = x W^T + b; with layer norm, xhat = (z - mean) / sqrt(var + 1e-5) over the row and
/// pre = gamma xhat + beta (else pre = z); a = act(pre); while training with dropout, out = a * mask / (1 - p)
/// (inverted dropout, mask drawn from a counter-based hash of the seed, step, layer and element). The output layer is
/// z = x W^T + b, the logits. Backward writes (does not add) every layer's parameter gradients.
/// </remarks>
internal sealed class MlpPropagator
{
    private readonly MlpModel _model;
    private readonly GemmContext _gemm;
    private readonly IReadOnlyList<MlpLayer> _layers;
    private readonly float[][] _z;
    private readonly float[][] _pre;
    private readonly float[][] _act;
    private readonly float[][] _out;
    private readonly float[][] _xhat;
    private readonly float[][] _rstd;
    private readonly float[][] _mask;
    private readonly float[][] _grad;
    private readonly float[]?[] _hiddenGrad;
    private readonly bool[] _droppedOut;
    private readonly ComputePool _pool;
    private readonly Action<int, int> _forwardRows;
    private readonly Action<int, int> _backwardRows;
    private readonly Action<int, int> _layerNormRows;
    private readonly Action<int, int> _layerNormColumns;
    private readonly Action<int, int> _biasColumns;

    // The layer and batch the element-wise bodies above work on.
    private int _jobLayer;
    private int _jobRows;
    private float _jobDropout;
    private ulong _jobKey;

    /// <summary>Allocates the buffers for batches of up to <paramref name="maxRows"/> rows.</summary>
    /// <param name="model">The model.</param>
    /// <param name="maxRows">The largest batch.</param>
    /// <param name="gemm">The threads and packing buffers for the matrix products.</param>
    /// <param name="training">Whether <see cref="Backward"/> and dropout will be used (allocates gradient buffers).</param>
    public MlpPropagator(MlpModel model, int maxRows, GemmContext gemm, bool training)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        _model = model;
        _gemm = gemm;
        _pool = gemm.Pool;
        _layers = model.Layers;
        _forwardRows = ForwardRows;
        _backwardRows = BackwardRows;
        _layerNormRows = LayerNormBackwardRows;
        _layerNormColumns = LayerNormGradientColumns;
        _biasColumns = BiasGradientColumns;
        MaxRows = maxRows;
        int count = _layers.Count;
        _z = new float[count][];
        _pre = new float[count][];
        _act = new float[count][];
        _out = new float[count][];
        _xhat = new float[count][];
        _rstd = new float[count][];
        _mask = new float[count][];
        _grad = new float[count][];
        _hiddenGrad = new float[count][];
        _droppedOut = new bool[count];
        bool dropout = training && model.DropoutRate > 0f;
        for (int l = 0; l < count; l++)
        {
            var layer = _layers[l];

            // Packing buffers for this layer's products (forward x W^T; backward dz^T x and dz W), reserved now.
            gemm.Reserve(maxRows, layer.InputSize, layer.OutputSize);
            if (training)
            {
                gemm.Reserve(layer.OutputSize, maxRows, layer.InputSize);
                gemm.Reserve(maxRows, layer.OutputSize, layer.InputSize);
            }

            int size = checked(maxRows * layer.OutputSize);
            _z[l] = new float[size];
            _grad[l] = training ? new float[size] : [];
            if (layer.IsOutput)
            {
                _pre[l] = _act[l] = _out[l] = _z[l];
                _xhat[l] = _rstd[l] = _mask[l] = [];
                continue;
            }

            bool norm = layer.LayerNormScale is not null;
            _xhat[l] = norm ? new float[size] : [];
            _rstd[l] = norm ? new float[maxRows] : [];
            _pre[l] = norm ? new float[size] : _z[l];

            // ReLU's backward needs only its output, so it runs in place; GELU's needs its input.
            _act[l] = layer.Activation == MlpActivation.ReLU ? _pre[l] : new float[size];
            _mask[l] = dropout ? new float[size] : [];
            _out[l] = dropout ? new float[size] : _act[l];
        }
    }

    /// <summary>The largest batch.</summary>
    public int MaxRows { get; }

    /// <summary>The model.</summary>
    public MlpModel Model => _model;

    /// <summary>The logits of the last forward pass, rows x classes.</summary>
    /// <param name="rows">The rows of that pass.</param>
    /// <returns>The logits.</returns>
    public Span<float> Logits(int rows) => _z[^1].AsSpan(0, rows * _model.OutputSize);

    /// <summary>Where the loss writes d loss / d logits before <see cref="Backward"/>, rows x classes.</summary>
    /// <param name="rows">The rows of the batch.</param>
    /// <returns>The gradient buffer.</returns>
    public Span<float> LogitGradients(int rows) => _grad[^1].AsSpan(0, rows * _model.OutputSize);

    /// <summary>Hidden layer <paramref name="layer"/>'s activations (after the activation, before dropout), rows x width.</summary>
    /// <param name="layer">The hidden layer index.</param>
    /// <param name="rows">The rows of the last pass.</param>
    /// <returns>The activations.</returns>
    public ReadOnlySpan<float> HiddenOutput(int layer, int rows) => _act[CheckHidden(layer)].AsSpan(0, rows * _layers[layer].OutputSize);

    /// <summary>
    /// An extra gradient with respect to <see cref="HiddenOutput"/> that <see cref="Backward"/> adds in (for hint losses);
    /// the buffer is allocated on the first call, so call it once while setting up.
    /// </summary>
    /// <param name="layer">The hidden layer index.</param>
    /// <param name="rows">The rows of the batch.</param>
    /// <returns>The gradient buffer, which the caller fills every step.</returns>
    public Span<float> HiddenGradient(int layer, int rows)
    {
        CheckHidden(layer);
        float[] buffer = _hiddenGrad[layer] ??= new float[MaxRows * _layers[layer].OutputSize];
        return buffer.AsSpan(0, rows * _layers[layer].OutputSize);
    }

    /// <summary>Runs the network on <paramref name="rows"/> rows.</summary>
    /// <param name="input">rows x inputs, row-major.</param>
    /// <param name="rows">The rows, at most <see cref="MaxRows"/>.</param>
    /// <param name="training">Whether to apply dropout.</param>
    /// <param name="dropoutKey">Distinct for every step (and seed), so that each step draws fresh masks.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(ReadOnlySpan<float> input, int rows, bool training, ulong dropoutKey)
    {
        if ((uint)rows > (uint)MaxRows || rows == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"A batch must have 1 to {MaxRows} rows but had {rows}.");
        }

        ReadOnlySpan<float> x = input[..(rows * _model.InputSize)];
        float dropoutRate = training ? _model.DropoutRate : 0f;
        for (int l = 0; l < _layers.Count; l++)
        {
            var layer = _layers[l];
            int n = rows * layer.OutputSize;
            Span<float> z = _z[l].AsSpan(0, n);
            Gemm.MultiplyTransposeB(x, layer.Weight.Values, z, rows, layer.InputSize, layer.OutputSize, layer.Bias.Values, context: _gemm);
            if (layer.IsOutput)
            {
                break;
            }

            // Layer norm, activation and dropout: row by row, rows split over the threads.
            _jobLayer = l;
            _jobRows = rows;
            _jobDropout = dropoutRate;
            _jobKey = DeterministicRandom.Mix(dropoutKey + (ulong)l);
            _droppedOut[l] = dropoutRate > 0f;
            _pool.For(rows, RowsPerPart(layer.OutputSize), _forwardRows);
            x = (_droppedOut[l] ? _out[l] : _act[l]).AsSpan(0, n);
        }
    }

    /// <summary>
    /// Back-propagates <see cref="LogitGradients"/> (and any <see cref="HiddenGradient"/>) through the last forward pass,
    /// writing every layer's weight, bias and layer-norm gradients into the model's parameter store.
    /// </summary>
    /// <param name="input">The same input as the forward pass.</param>
    /// <param name="rows">The same rows as the forward pass.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Backward(ReadOnlySpan<float> input, int rows)
    {
        if (_grad[^1].Length == 0)
        {
            throw new InvalidOperationException("This propagator was created for inference only.");
        }

        for (int l = _layers.Count - 1; l >= 0; l--)
        {
            var layer = _layers[l];
            int width = layer.OutputSize;
            int n = rows * width;
            Span<float> dz = _grad[l].AsSpan(0, n);
            _jobLayer = l;
            _jobRows = rows;
            if (!layer.IsOutput)
            {
                // Dropout mask, hint gradient and activation derivative, row by row; then layer norm, whose gain and
                // shift gradients are column sums (split by columns, each summed over rows in order).
                _pool.For(rows, RowsPerPart(width), _backwardRows);
                if (layer.LayerNormScale is not null)
                {
                    _pool.For(width, ColumnsPerPart(rows), _layerNormColumns);
                    _pool.For(rows, RowsPerPart(width), _layerNormRows);
                }
            }

            ReadOnlySpan<float> x = l == 0
                ? input[..(rows * layer.InputSize)]
                : (_droppedOut[l - 1] ? _out[l - 1] : _act[l - 1]).AsSpan(0, rows * layer.InputSize);

            // dW = dz^T x, db = column sums of dz, dx = dz W (not needed for the first layer).
            Gemm.MultiplyTransposeA(dz, x, layer.Weight.Gradients, width, rows, layer.InputSize, context: _gemm);
            _pool.For(width, ColumnsPerPart(rows), _biasColumns);
            if (l > 0)
            {
                Gemm.Multiply(dz, layer.Weight.Values, _grad[l - 1].AsSpan(0, rows * layer.InputSize), rows, width, layer.InputSize, context: _gemm);
            }
        }
    }

    private static int RowsPerPart(int width) => Math.Max(1, 32768 / width);

    private static int ColumnsPerPart(int rows) => Math.Max(16, 32768 / Math.Max(1, rows)) & ~15;

    private int CheckHidden(int layer)
    {
        if ((uint)layer >= (uint)(_layers.Count - 1))
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"The student has hidden layers 0 to {_layers.Count - 2}, so layer {layer} does not exist.");
        }

        return layer;
    }

    /// <summary>Forward, rows [start, end) of the current hidden layer: layer norm, activation, dropout.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardRows(int start, int end)
    {
        int l = _jobLayer;
        var layer = _layers[l];
        int width = layer.OutputSize;
        int from = start * width;
        int count = (end - start) * width;
        Span<float> pre = _pre[l].AsSpan(from, count);
        if (layer.LayerNormScale is { } scale)
        {
            ReadOnlySpan<float> gamma = scale.Values;
            ReadOnlySpan<float> beta = layer.LayerNormBias!.Values;
            for (int r = start; r < end; r++)
            {
                ReadOnlySpan<float> z = _z[l].AsSpan(r * width, width);
                Span<float> xhat = _xhat[l].AsSpan(r * width, width);
                float mean = SpanMath.Sum(z) / width;
                for (int j = 0; j < width; j++)
                {
                    xhat[j] = z[j] - mean;
                }

                float inv = 1f / MathF.Sqrt((SpanMath.Dot(xhat, xhat) / width) + MlpLayer.LayerNormEpsilon);
                _rstd[l][r] = inv;
                Span<float> p = _pre[l].AsSpan(r * width, width);
                for (int j = 0; j < width; j++)
                {
                    float v = xhat[j] * inv;
                    xhat[j] = v;
                    p[j] = MathF.FusedMultiplyAdd(v, gamma[j], beta[j]);
                }
            }
        }

        Span<float> act = _act[l].AsSpan(from, count);
        if (layer.Activation == MlpActivation.ReLU)
        {
            Activations.Relu(pre, act);
        }
        else
        {
            Activations.Gelu(pre, act);
        }

        if (_droppedOut[l])
        {
            DropoutForward(act, _mask[l].AsSpan(from, count), _out[l].AsSpan(from, count), _jobDropout, _jobKey, (uint)from);
        }
    }

    /// <summary>Backward, rows [start, end) of the current hidden layer: dropout mask, hint gradient, activation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BackwardRows(int start, int end)
    {
        int l = _jobLayer;
        var layer = _layers[l];
        int from = start * layer.OutputSize;
        int count = (end - start) * layer.OutputSize;
        Span<float> dz = _grad[l].AsSpan(from, count);
        if (_droppedOut[l])
        {
            SpanMath.Multiply(dz, _mask[l].AsSpan(from, count), dz);
        }

        if (_hiddenGrad[l] is { } extra)
        {
            SpanMath.AddInPlace(dz, extra.AsSpan(from, count));
        }

        if (layer.Activation == MlpActivation.ReLU)
        {
            Activations.ReluBackward(_act[l].AsSpan(from, count), dz);
        }
        else
        {
            Activations.GeluBackward(_pre[l].AsSpan(from, count), dz);
        }
    }

    /// <summary>d gamma[j] = sum_r dpre[r, j] xhat[r, j] and d beta[j] = sum_r dpre[r, j], columns [start, end), rows in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LayerNormGradientColumns(int start, int end)
    {
        int l = _jobLayer;
        var layer = _layers[l];
        int width = layer.OutputSize;
        Span<float> dGamma = layer.LayerNormScale!.Gradients[start..end];
        Span<float> dBeta = layer.LayerNormBias!.Gradients[start..end];
        dGamma.Clear();
        dBeta.Clear();
        for (int r = 0; r < _jobRows; r++)
        {
            ReadOnlySpan<float> g = _grad[l].AsSpan((r * width) + start, end - start);
            ReadOnlySpan<float> xhat = _xhat[l].AsSpan((r * width) + start, end - start);
            SpanMath.FusedMultiplyAddInPlace(dGamma, g, xhat);
            SpanMath.AddInPlace(dBeta, g);
        }
    }

    /// <summary>Layer norm backward, rows [start, end): d pre -> d z in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LayerNormBackwardRows(int start, int end)
    {
        int l = _jobLayer;
        var layer = _layers[l];
        int width = layer.OutputSize;
        ReadOnlySpan<float> gamma = layer.LayerNormScale!.Values;
        for (int r = start; r < end; r++)
        {
            Span<float> g = _grad[l].AsSpan(r * width, width);
            ReadOnlySpan<float> xhat = _xhat[l].AsSpan(r * width, width);
            SpanMath.Multiply(g, gamma, g); // d xhat
            float meanG = SpanMath.Sum(g) / width;
            float meanGx = SpanMath.Dot(g, xhat) / width;
            float inv = _rstd[l][r];
            for (int j = 0; j < width; j++)
            {
                g[j] = (g[j] - meanG - (xhat[j] * meanGx)) * inv;
            }
        }
    }

    /// <summary>d bias[j] = sum_r dz[r, j], columns [start, end), rows in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BiasGradientColumns(int start, int end)
    {
        int l = _jobLayer;
        int width = _layers[l].OutputSize;
        Span<float> sums = _layers[l].Bias.Gradients[start..end];
        _grad[l].AsSpan(start, end - start).CopyTo(sums);
        for (int r = 1; r < _jobRows; r++)
        {
            SpanMath.AddInPlace(sums, _grad[l].AsSpan((r * width) + start, end - start));
        }
    }

    /// <summary>
    /// Inverted dropout: mask = 1 / (1 - rate) where hash(key, element) >= rate * 2^32, else 0; output = act * mask.
    /// Elements are numbered from <paramref name="firstElement"/> so any split over threads draws the same masks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DropoutForward(ReadOnlySpan<float> act, Span<float> mask, Span<float> output, float rate, ulong key, uint firstElement)
    {
        uint threshold = (uint)Math.Min(uint.MaxValue, (double)rate * 4294967296.0);
        float keep = 1f / (1f - rate);
        uint keyLow = (uint)key, keyHigh = (uint)(key >> 32);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<uint> lanes = Vector512.Create(0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 15u);
            Vector512<uint> limit = Vector512.Create(threshold);
            Vector512<float> keepV = Vector512.Create(keep);
            ref float mr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(mask);
            for (; i <= act.Length - 16; i += 16)
            {
                Vector512<uint> h = DeterministicRandom.Hash(lanes + Vector512.Create(firstElement + (uint)i), keyLow, keyHigh);
                Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(h, limit).AsSingle(), keepV, Vector512<float>.Zero)
                    .StoreUnsafe(ref mr, (nuint)i);
            }
        }

        for (; i < act.Length; i++)
        {
            mask[i] = DeterministicRandom.Hash(key, firstElement + (uint)i) >= threshold ? keep : 0f;
        }

        SpanMath.Multiply(act, mask, output);
    }
}
