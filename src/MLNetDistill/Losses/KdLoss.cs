using MLNetDistill.SoftLabels;

namespace MLNetDistill.Losses;

/// <summary>
/// Knowledge-distillation loss of Hinton, Vinyals and Dean (2015), "Distilling the Knowledge in a Neural Network"
/// (arXiv:1503.02531), as torchdistill's KDLoss and most PyTorch code write it.
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
/// </remarks>
internal sealed class KdLoss : IDistillationLoss
{
    private readonly float[] _logQ;
    private readonly float[] _teacher;

    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">T, positive and finite; the temperature the teacher's probabilities were computed at.</param>
    /// <param name="alpha">The weight of the soft term, in [0, 1]; 1 - alpha weighs the hard-label term.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="teacherGivesLogits">Whether the teacher side is read from <see cref="LossBatch.TeacherLogits"/> (else from <see cref="LossBatch.TeacherProbabilities"/>).</param>
    public KdLoss(float temperature, float alpha, int classes, bool teacherGivesLogits = false)
    {
        SoftLabelMath.CheckTemperature(temperature);
        if (!(alpha >= 0f && alpha <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"Alpha (the weight of the soft term) must be in [0, 1] but was {alpha}.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        Temperature = temperature;
        Alpha = alpha;
        Classes = classes;
        TeacherGivesLogits = teacherGivesLogits;
        _logQ = new float[classes];
        _teacher = new float[classes];
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

        float t = Temperature;
        float invRows = 1f / rows;
        Span<float> logQ = _logQ;
        Span<float> p = _teacher;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> s = batch.StudentLogits.Slice(r * k, k);
            Span<float> g = gradients.Logits.Slice(r * k, k);
            if (TeacherGivesLogits)
            {
                SoftLabelMath.Softmax(teacher.Slice(r * k, k), t, p);
            }
            else
            {
                teacher.Slice(r * k, k).CopyTo(p);
            }

            int label = hasLabels ? batch.Labels[r] : -1;
            if (label >= k)
            {
                throw new ArgumentOutOfRangeException(nameof(batch), label, $"Label {label} in row {r} is outside the class range [0, {k - 1}].");
            }

            float alpha = label < 0 ? 1f : Alpha;

            // Soft term: alpha T^2 sum p (log p - log q), gradient alpha T (q - p).
            SoftLabelMath.LogSoftmax(s, t, logQ);
            double kl = 0;
            float softScale = scale * alpha * t * invRows;
            for (int j = 0; j < k; j++)
            {
                float pj = p[j];
                if (pj > 0f)
                {
                    kl += pj * (Math.Log(pj) - logQ[j]);
                }

                g[j] += softScale * (MathF.Exp(logQ[j]) - pj);
            }

            double rowLoss = alpha * t * t * kl;

            // Hard term: (1 - alpha) (-log softmax(s)_y), gradient (1 - alpha) (softmax(s) - onehot(y)).
            if (label >= 0 && alpha < 1f)
            {
                SoftLabelMath.LogSoftmax(s, 1f, logQ);
                float hardScale = scale * (1f - alpha) * invRows;
                for (int j = 0; j < k; j++)
                {
                    g[j] += hardScale * (MathF.Exp(logQ[j]) - (j == label ? 1f : 0f));
                }

                rowLoss += (1 - alpha) * -logQ[label];
            }

            total += rowLoss;
        }

        return (float)(total * invRows);
    }
}
