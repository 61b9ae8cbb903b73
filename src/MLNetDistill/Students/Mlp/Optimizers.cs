using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MLNetDistill.Numerics;

namespace MLNetDistill.Students.Mlp;

/// <summary>Updates a <see cref="ParameterStore"/> from its gradients, one step at a time.</summary>
internal interface IOptimizer
{
    /// <summary>Applies one update with learning rate <paramref name="learningRate"/>.</summary>
    /// <param name="learningRate">The step's learning rate (after any schedule).</param>
    void Step(float learningRate);
}

/// <summary>
/// AdamW exactly as PyTorch 1.13's torch.optim.AdamW (single-tensor path): p *= 1 - lr wd; m = b1 m + (1 - b1) g;
/// v = b2 v + (1 - b2) g^2; p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps). Weight decay applies to the
/// store's decayed range (weight matrices) only. One fused, vectorised pass, split over threads by element ranges.
/// </summary>
internal sealed class AdamWOptimizer : IOptimizer
{
    private const int Chunk = 16384;
    private readonly ParameterStore _store;
    private readonly ComputePool _pool;
    private readonly float _beta1;
    private readonly float _beta2;
    private readonly float _epsilon;
    private readonly float _weightDecay;
    private readonly float[] _m;
    private readonly float[] _v;
    private readonly Action<int, int> _body;
    private int _step;
    private float _decayFactor;
    private float _stepSize;
    private float _invSqrtBias2;

    /// <summary>Creates the optimizer and its moment buffers.</summary>
    /// <param name="store">The parameters.</param>
    /// <param name="pool">Threads for the update.</param>
    /// <param name="weightDecay">The decoupled weight decay.</param>
    /// <param name="beta1">The first-moment decay.</param>
    /// <param name="beta2">The second-moment decay.</param>
    /// <param name="epsilon">The denominator's epsilon.</param>
    public AdamWOptimizer(ParameterStore store, ComputePool pool, float weightDecay = 0.01f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        _store = store;
        _pool = pool;
        _weightDecay = weightDecay;
        _beta1 = beta1;
        _beta2 = beta2;
        _epsilon = epsilon;
        _m = new float[store.Length];
        _v = new float[store.Length];
        _body = UpdateChunks;
    }

    /// <summary>Steps taken so far.</summary>
    public int StepCount => _step;

    /// <inheritdoc />
    public void Step(float learningRate)
    {
        _step++;
        double bias1 = 1 - Math.Pow(_beta1, _step);
        double bias2 = 1 - Math.Pow(_beta2, _step);
        _decayFactor = 1f - (learningRate * _weightDecay);
        _stepSize = (float)(learningRate / bias1);
        _invSqrtBias2 = (float)(1 / Math.Sqrt(bias2));
        _ = _store.Gradients;
        int chunks = (_store.Length + Chunk - 1) / Chunk;
        _pool.For(chunks, 4, _body);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void UpdateChunks(int first, int end)
    {
        int start = first * Chunk;
        int stop = Math.Min(_store.Length, end * Chunk);
        int decayed = Math.Clamp(_store.DecayedLength, start, stop);
        Update(start, decayed, _decayFactor);
        Update(decayed, stop, 1f);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Update(int start, int end, float decay)
    {
        if (end <= start)
        {
            return;
        }

        Span<float> p = _store.Values.AsSpan(start, end - start);
        ReadOnlySpan<float> g = _store.Gradients.AsSpan(start, end - start);
        Span<float> m = _m.AsSpan(start, end - start);
        Span<float> v = _v.AsSpan(start, end - start);
        float b1 = _beta1, b2 = _beta2, c1 = 1f - _beta1, c2 = 1f - _beta2;
        float stepSize = _stepSize, invSqrtBias2 = _invSqrtBias2, eps = _epsilon;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref float pr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(p);
            ref float gr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(g);
            ref float mr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(m);
            ref float vr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(v);
            for (; i <= p.Length - 16; i += 16)
            {
                nuint o = (nuint)i;
                Vector512<float> gv = Vector512.LoadUnsafe(ref gr, o);
                Vector512<float> mv = (Vector512.LoadUnsafe(ref mr, o) * b1) + (gv * c1);
                Vector512<float> vv = (Vector512.LoadUnsafe(ref vr, o) * b2) + (gv * gv * c2);
                Vector512<float> denom = (Vector512.Sqrt(vv) * invSqrtBias2) + Vector512.Create(eps);
                Vector512<float> pv = Vector512.LoadUnsafe(ref pr, o) * decay;
                pv -= stepSize * (mv / denom);
                mv.StoreUnsafe(ref mr, o);
                vv.StoreUnsafe(ref vr, o);
                pv.StoreUnsafe(ref pr, o);
            }
        }

        for (; i < p.Length; i++)
        {
            UpdateOne(ref p[i], g[i], ref m[i], ref v[i], decay, b1, c1, b2, c2, stepSize, invSqrtBias2, eps);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateOne(ref float p, float g, ref float m, ref float v, float decay, float b1, float c1, float b2, float c2,
        float stepSize, float invSqrtBias2, float eps)
    {
        m = (m * b1) + (g * c1);
        v = (v * b2) + (g * g * c2);
        float denom = (MathF.Sqrt(v) * invSqrtBias2) + eps;
        p = (p * decay) - (stepSize * (m / denom));
    }
}

/// <summary>
/// SGD as PyTorch 1.13's torch.optim.SGD (no dampening): d = g + wd p (coupled L2, on the decayed range only);
/// buf = d on the first step, then buf = mu buf + d; d = d + mu buf with Nesterov, else d = buf; p -= lr d.
/// </summary>
internal sealed class SgdOptimizer : IOptimizer
{
    private const int Chunk = 16384;
    private readonly ParameterStore _store;
    private readonly ComputePool _pool;
    private readonly float _momentum;
    private readonly bool _nesterov;
    private readonly float _weightDecay;
    private readonly float[] _buffer;
    private readonly Action<int, int> _body;
    private bool _first = true;
    private float _lr;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="store">The parameters.</param>
    /// <param name="pool">Threads for the update.</param>
    /// <param name="momentum">The momentum, in [0, 1); 0 for plain SGD.</param>
    /// <param name="nesterov">Whether to use Nesterov momentum.</param>
    /// <param name="weightDecay">The L2 penalty added to the gradient of weight matrices.</param>
    public SgdOptimizer(ParameterStore store, ComputePool pool, float momentum = 0.9f, bool nesterov = false, float weightDecay = 0f)
    {
        _store = store;
        _pool = pool;
        _momentum = momentum;
        _nesterov = nesterov;
        _weightDecay = weightDecay;
        _buffer = momentum > 0f ? new float[store.Length] : [];
        _body = UpdateChunks;
    }

    /// <inheritdoc />
    public void Step(float learningRate)
    {
        _lr = learningRate;
        _ = _store.Gradients;
        int chunks = (_store.Length + Chunk - 1) / Chunk;
        _pool.For(chunks, 4, _body);
        _first = false;
    }

    private void UpdateChunks(int first, int end)
    {
        int start = first * Chunk;
        int stop = Math.Min(_store.Length, end * Chunk);
        int decayed = Math.Clamp(_store.DecayedLength, start, stop);
        Update(start, decayed, _weightDecay);
        Update(decayed, stop, 0f);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Update(int start, int end, float weightDecay)
    {
        if (end <= start)
        {
            return;
        }

        Span<float> p = _store.Values.AsSpan(start, end - start);
        ReadOnlySpan<float> g = _store.Gradients.AsSpan(start, end - start);
        Span<float> buf = _momentum > 0f ? _buffer.AsSpan(start, end - start) : default;
        float mu = _momentum, lr = _lr;
        bool first = _first, nesterov = _nesterov, momentum = mu > 0f;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref float pr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(p);
            ref float gr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(g);
            ref float br = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(buf);
            for (; i <= p.Length - 16; i += 16)
            {
                nuint o = (nuint)i;
                Vector512<float> pv = Vector512.LoadUnsafe(ref pr, o);
                Vector512<float> d = Vector512.LoadUnsafe(ref gr, o) + (weightDecay * pv);
                if (momentum)
                {
                    Vector512<float> b = first ? d : (mu * Vector512.LoadUnsafe(ref br, o)) + d;
                    b.StoreUnsafe(ref br, o);
                    d = nesterov ? d + (mu * b) : b;
                }

                (pv - (lr * d)).StoreUnsafe(ref pr, o);
            }
        }

        for (; i < p.Length; i++)
        {
            float d = g[i] + (weightDecay * p[i]);
            if (momentum)
            {
                float b = first ? d : (mu * buf[i]) + d;
                buf[i] = b;
                d = nesterov ? d + (mu * b) : b;
            }

            p[i] -= lr * d;
        }
    }
}

/// <summary>
/// The learning rate at each step: linear warm-up from lr / warmup to lr over the first <c>warmupSteps</c> steps, then
/// constant or cosine decay to 0 at <c>totalSteps</c> (as SGDR / torch's CosineAnnealingLR with eta_min = 0).
/// </summary>
internal sealed class LearningRateSchedule
{
    private readonly float _baseRate;
    private readonly int _warmupSteps;
    private readonly int _totalSteps;
    private readonly bool _cosine;

    /// <summary>Creates a schedule.</summary>
    /// <param name="baseRate">The peak learning rate.</param>
    /// <param name="warmupSteps">Steps of linear warm-up (0 for none).</param>
    /// <param name="totalSteps">All steps of the run.</param>
    /// <param name="cosine">Whether to decay along a half cosine after warm-up.</param>
    public LearningRateSchedule(float baseRate, int warmupSteps, int totalSteps, bool cosine)
    {
        _baseRate = baseRate;
        _warmupSteps = Math.Max(0, warmupSteps);
        _totalSteps = Math.Max(1, totalSteps);
        _cosine = cosine;
    }

    /// <summary>The learning rate for step <paramref name="step"/> (0-based).</summary>
    /// <param name="step">The step.</param>
    /// <returns>The rate.</returns>
    public float At(int step)
    {
        if (step < _warmupSteps)
        {
            return _baseRate * (step + 1) / _warmupSteps;
        }

        if (!_cosine)
        {
            return _baseRate;
        }

        double progress = Math.Min(1.0, (double)(step - _warmupSteps) / Math.Max(1, _totalSteps - _warmupSteps));
        return (float)(_baseRate * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
