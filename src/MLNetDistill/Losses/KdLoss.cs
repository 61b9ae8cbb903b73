using System.Runtime.CompilerServices;
using MLNetDistill.Numerics;

namespace MLNetDistill.Losses;

/// <summary>
/// Knowledge-distillation loss of Hinton, Vinyals and Dean (2015), "Distilling the Knowledge in a Neural Network"
/// (arXiv:1503.02531), as most PyTorch code writes it; torchdistill's KDLoss is the same loss with its weights named the
/// other way round (see the remarks before porting a configuration).
/// </summary>
/// <remarks>
/// <para>
/// L = alpha T^2 KL(p_t || softmax(s / T)) + (1 - alpha) CE(y, softmax(s)), averaged over the batch ("batchmean", as
/// <c>F.kl_div(F.log_softmax(s / T, 1), p_t, reduction='batchmean')</c>), where p_t = softmax(t / T) are the teacher's
/// probabilities at temperature T, s the student's logits and y the hard label. The T^2 keeps the soft term's gradient
/// on the scale of the hard term's as T changes. KL uses 0 log 0 = 0.
/// </para>
/// <para>
/// Gradient with respect to s, per row, before the 1 / rows: alpha T (softmax(s / T) - p_t) + (1 - alpha) (softmax(s) - onehot(y)).
/// Without hard labels (or for a row whose label is negative) alpha is taken as 1 for that row: the loss is T^2 KL.
/// The teacher side comes either as probabilities at T (the SoftLabels column of the teacher scoring transformer) or as
/// logits, from which p_t is computed here.
/// </para>
/// <para>
/// Porting a torchdistill configuration: our alpha weighs the soft (KL) term, torchdistill's <c>alpha</c> weighs the
/// cross-entropy term. torchdistill's KDLoss (<c>torchdistill/losses/mid_level.py</c>) computes
/// <c>alpha * CE + beta * T^2 * KL</c> with <c>beta = 1 - alpha</c> unless given, so its <c>alpha: a</c> (no <c>beta</c>) is our
/// alpha = 1 - a, and with an explicit <c>beta</c> our alpha is <c>beta</c> when <c>alpha + beta = 1</c> (other sums have no
/// equivalent here: our two weights always add up to 1). One more difference: with its <c>alpha</c> unset or 0, or no
/// targets, torchdistill returns the KL term alone without the T^2 factor, where this loss (alpha = 1, or rows without a
/// label) returns T^2 KL; the minimum is the same, the gradient T^2 times larger, which matters for the learning rate.
/// </para>
/// </remarks>
internal sealed class KdLoss : IDistillationLoss
{
    private float[] _logQ;
    private float[] _q;
    private float[] _teacher;
    private float[] _logP;

    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">T, positive and finite; the temperature the teacher's probabilities were computed at.</param>
    /// <param name="alpha">The weight of the soft term, in [0, 1]; 1 - alpha weighs the hard-label term.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="teacherGivesLogits">Whether the teacher side is read from <see cref="LossBatch.TeacherLogits"/> (else from <see cref="LossBatch.TeacherProbabilities"/>).</param>
    public KdLoss(float temperature, float alpha, int classes, bool teacherGivesLogits = false)
    {
        SoftLabelMath.CheckTemperature(temperature);
        SoftLabelMath.CheckAlpha(alpha);

        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        Temperature = temperature;
        Alpha = alpha;
        Classes = classes;
        TeacherGivesLogits = teacherGivesLogits;
        _logQ = _q = _teacher = _logP = [];
    }

    /// <inheritdoc />
    public string Name => "KD (Hinton 2015)";

    /// <summary>The temperature T.</summary>
    public float Temperature { get; }

    /// <summary>The weight of the soft term.</summary>
    public float Alpha { get; }

    /// <summary>Classes per row.</summary>
    public int Classes { get; }

    /// <summary>Whether the teacher side is given as logits.</summary>
    public bool TeacherGivesLogits { get; }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float Forward(in LossBatch batch, float scale, in LossGradients gradients)
    {
        int rows = batch.Rows;
        int k = Classes;
        LossChecks.Require(batch.StudentLogits, rows, k, "the student's logits", Name);
        LossChecks.Require(gradients.Logits, rows, k, "a logit gradient buffer", Name);
        ReadOnlySpan<float> teacher = TeacherGivesLogits ? batch.TeacherLogits : batch.TeacherProbabilities;
        LossChecks.Require(teacher, rows, k, TeacherGivesLogits ? "the teacher's logits" : "the teacher's probabilities at T", Name);
        bool hasLabels = !batch.Labels.IsEmpty;
        if (hasLabels && batch.Labels.Length != rows)
        {
            throw new ArgumentException($"{Name} needs one label per row ({rows}) but got {batch.Labels.Length}.");
        }

        int n = rows * k;
        if (_logQ.Length < n)
        {
            // Grows once, to the largest batch; later steps allocate nothing.
            _logQ = new float[n];
            _q = new float[n];
            _teacher = new float[n];
            _logP = new float[n];
        }

        float t = Temperature;
        Span<float> logQ = _logQ.AsSpan(0, n);
        Span<float> q = _q.AsSpan(0, n);
        Span<float> p = _teacher.AsSpan(0, n);
        Span<float> logP = _logP.AsSpan(0, n);
        if (TeacherGivesLogits)
        {
            LogSoftmaxRows(teacher, rows, k, t, logP, q);
            SpanMath.Exp(logP, p);
        }
        else
        {
            teacher.CopyTo(p);
            SpanMath.Log(p, logP); // -inf where p = 0, skipped below (0 log 0 = 0)
        }

        // Soft term for every row at once: log q = log softmax(s / T), q = exp(log q).
        LogSoftmaxRows(batch.StudentLogits, rows, k, t, logQ, q);
        SpanMath.Exp(logQ, q);
        float invRows = 1f / rows;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            int label = hasLabels ? batch.Labels[r] : -1;
            if (label >= k)
            {
                throw new ArgumentOutOfRangeException(nameof(batch), label, $"Label {label} in row {r} is outside the class range [0, {k - 1}].");
            }

            float alpha = label < 0 ? 1f : Alpha;
            ReadOnlySpan<float> pr = p.Slice(r * k, k);
            ReadOnlySpan<float> lq = logQ.Slice(r * k, k);
            ReadOnlySpan<float> qr = q.Slice(r * k, k);
            Span<float> g = gradients.Logits.Slice(r * k, k);

            // alpha T^2 sum p (log p - log q), with 0 log 0 = 0; gradient alpha T (q - p).
            double kl = 0;
            float softScale = scale * alpha * t * invRows;
            for (int j = 0; j < k; j++)
            {
                float pj = pr[j];
                if (pj > 0f)
                {
                    kl += pj * (logP[(r * k) + j] - lq[j]);
                }

                g[j] += softScale * (qr[j] - pj);
            }

            total += alpha * t * t * kl;
        }

        if (hasLabels && Alpha < 1f)
        {
            // Hard term: (1 - alpha) (-log softmax(s)_y), gradient (1 - alpha) (softmax(s) - onehot(y)).
            LogSoftmaxRows(batch.StudentLogits, rows, k, 1f, logQ, q);
            SpanMath.Exp(logQ, q);
            float hardScale = scale * (1f - Alpha) * invRows;
            for (int r = 0; r < rows; r++)
            {
                int label = batch.Labels[r];
                if (label < 0)
                {
                    continue;
                }

                Span<float> g = gradients.Logits.Slice(r * k, k);
                ReadOnlySpan<float> qr = q.Slice(r * k, k);
                for (int j = 0; j < k; j++)
                {
                    g[j] += hardScale * qr[j];
                }

                g[label] -= hardScale;
                total += (1 - Alpha) * -logQ[(r * k) + label];
            }
        }

        return (float)(total * invRows);
    }

    /// <summary>
    /// Row-wise log softmax(z / T) into <paramref name="destination"/>: short scalar loops per row (rows hold few classes,
    /// so per-call overheads of span routines would dominate) around one vectorised exp over the whole batch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LogSoftmaxRows(ReadOnlySpan<float> z, int rows, int k, float t, Span<float> destination, Span<float> scratch)
    {
        float scale = 1f / t;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> zr = z.Slice(r * k, k);
            float max = zr[0];
            for (int j = 1; j < k; j++)
            {
                max = MathF.Max(max, zr[j]);
            }

            Span<float> dr = destination.Slice(r * k, k);
            for (int j = 0; j < k; j++)
            {
                dr[j] = (zr[j] - max) * scale;
            }
        }

        SpanMath.Exp(destination[..(rows * k)], scratch);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> er = scratch.Slice(r * k, k);
            float sum = 0f;
            for (int j = 0; j < k; j++)
            {
                sum += er[j];
            }

            float log = MathF.Log(sum);
            Span<float> dr = destination.Slice(r * k, k);
            for (int j = 0; j < k; j++)
            {
                dr[j] -= log;
            }
        }
    }
}
