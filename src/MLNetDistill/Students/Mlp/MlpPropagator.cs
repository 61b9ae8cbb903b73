using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

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
        _layers = model.Layers;
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

            Span<float> pre = _pre[l].AsSpan(0, n);
            if (layer.LayerNormScale is { } scale)
            {
                LayerNormForward(z, rows, layer.OutputSize, scale.Values, layer.LayerNormBias!.Values, _xhat[l], _rstd[l], pre);
            }

            Span<float> act = _act[l].AsSpan(0, n);
            if (layer.Activation == MlpActivation.ReLU)
            {
                Activations.Relu(pre, act);
            }
            else
            {
                Activations.Gelu(pre, act);
            }

            _droppedOut[l] = dropoutRate > 0f;
            if (_droppedOut[l])
            {
                DropoutForward(act, _mask[l].AsSpan(0, n), _out[l].AsSpan(0, n), dropoutRate, DeterministicRandom.Mix(dropoutKey + (ulong)l));
                x = _out[l].AsSpan(0, n);
            }
            else
            {
                x = act;
            }
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
            if (!layer.IsOutput)
            {
                if (_droppedOut[l])
                {
                    SpanMath.Multiply(dz, _mask[l].AsSpan(0, n), dz);
                }

                if (_hiddenGrad[l] is { } extra)
                {
                    SpanMath.AddInPlace(dz, extra.AsSpan(0, n));
                }

                if (layer.Activation == MlpActivation.ReLU)
                {
                    Activations.ReluBackward(_act[l].AsSpan(0, n), dz);
                }
                else
                {
                    Activations.GeluBackward(_pre[l].AsSpan(0, n), dz);
                }

                if (layer.LayerNormScale is { } scale)
                {
                    LayerNormBackward(dz, rows, width, _xhat[l], _rstd[l], scale.Values, scale.Gradients, layer.LayerNormBias!.Gradients);
                }
            }

            ReadOnlySpan<float> x = l == 0
                ? input[..(rows * layer.InputSize)]
                : (_droppedOut[l - 1] ? _out[l - 1] : _act[l - 1]).AsSpan(0, rows * layer.InputSize);

            // dW = dz^T x, db = column sums of dz, dx = dz W (not needed for the first layer).
            Gemm.MultiplyTransposeA(dz, x, layer.Weight.Gradients, width, rows, layer.InputSize, context: _gemm);
            ColumnSums(dz, rows, width, layer.Bias.Gradients);
            if (l > 0)
            {
                Gemm.Multiply(dz, layer.Weight.Values, _grad[l - 1].AsSpan(0, rows * layer.InputSize), rows, width, layer.InputSize, context: _gemm);
            }
        }
    }

    private int CheckHidden(int layer)
    {
        if ((uint)layer >= (uint)(_layers.Count - 1))
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"The student has hidden layers 0 to {_layers.Count - 2}, so layer {layer} does not exist.");
        }

        return layer;
    }

    /// <summary>sums[j] = sum over rows r of values[r, j], rows in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ColumnSums(ReadOnlySpan<float> values, int rows, int width, Span<float> sums)
    {
        values[..width].CopyTo(sums);
        for (int r = 1; r < rows; r++)
        {
            SpanMath.AddInPlace(sums, values.Slice(r * width, width));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LayerNormForward(ReadOnlySpan<float> z, int rows, int width, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> xhat, Span<float> rstd, Span<float> pre)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> zr = z.Slice(r * width, width);
            Span<float> xr = xhat.Slice(r * width, width);
            float mean = TensorPrimitives.Sum(zr) / width;
            TensorPrimitives.Subtract(zr, mean, xr);
            float variance = TensorPrimitives.SumOfSquares(xr) / width;
            float inv = 1f / MathF.Sqrt(variance + MlpLayer.LayerNormEpsilon);
            rstd[r] = inv;
            TensorPrimitives.Multiply(xr, inv, xr);
            TensorPrimitives.FusedMultiplyAdd(xr, gamma, beta, pre.Slice(r * width, width));
        }
    }

    /// <summary>In place: d pre -> d z, accumulating d gamma and d beta (which are first cleared).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LayerNormBackward(Span<float> grad, int rows, int width, ReadOnlySpan<float> xhat, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> gamma, Span<float> dGamma, Span<float> dBeta)
    {
        dGamma.Clear();
        dBeta.Clear();
        for (int r = 0; r < rows; r++)
        {
            Span<float> g = grad.Slice(r * width, width);
            ReadOnlySpan<float> xr = xhat.Slice(r * width, width);
            TensorPrimitives.FusedMultiplyAdd(g, xr, dGamma, dGamma);
            TensorPrimitives.Add(dBeta, g, dBeta);
            TensorPrimitives.Multiply(g, gamma, g); // d xhat
            float meanG = TensorPrimitives.Sum(g) / width;
            float meanGx = TensorPrimitives.Dot(g, xr) / width;
            TensorPrimitives.Subtract(g, meanG, g);
            TensorPrimitives.FusedMultiplyAdd(xr, -meanGx, g, g);
            TensorPrimitives.Multiply(g, rstd[r], g);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DropoutForward(ReadOnlySpan<float> act, Span<float> mask, Span<float> output, float rate, ulong key)
    {
        uint threshold = (uint)Math.Min(uint.MaxValue, (double)rate * 4294967296.0);
        float keep = 1f / (1f - rate);
        for (int i = 0; i < act.Length; i++)
        {
            mask[i] = DeterministicRandom.Hash(key, (ulong)i) >= threshold ? keep : 0f;
        }

        SpanMath.Multiply(act, mask, output);
    }
}
