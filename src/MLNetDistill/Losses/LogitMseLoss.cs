namespace MLNetDistill.Losses;

/// <summary>
/// Logit matching of Ba and Caruana (2014), "Do Deep Nets Really Need to be Deep?" (NeurIPS): regress the student's
/// logits onto the teacher's.
/// </summary>
/// <remarks>
/// L = (1 / (rows K)) sum_{r,k} (s_rk - t_rk)^2, the mean over all elements as <c>F.mse_loss(s, t)</c>; gradient
/// 2 (s - t) / (rows K). Needs the teacher's logits (probabilities fix logits only up to a constant per row).
/// </remarks>
internal sealed class LogitMseLoss : IDistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="classes">Classes per row.</param>
    public LogitMseLoss(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        Classes = classes;
    }

    /// <inheritdoc />
    public string Name => "logit MSE (Ba and Caruana 2014)";

    /// <summary>Classes per row.</summary>
    public int Classes { get; }

    /// <inheritdoc />
    public float Forward(in LossBatch batch, float scale, in LossGradients gradients)
    {
        int rows = batch.Rows;
        LossChecks.Require(batch.StudentLogits, rows, Classes, "the student's logits", Name);
        LossChecks.Require(batch.TeacherLogits, rows, Classes, "the teacher's logits", Name);
        LossChecks.Require(gradients.Logits, rows, Classes, "a logit gradient buffer", Name);
        return MeanSquaredError(batch.StudentLogits, batch.TeacherLogits, scale, gradients.Logits);
    }

    /// <summary>mean((s - t)^2); adds scale 2 (s - t) / count to <paramref name="gradient"/>.</summary>
    /// <param name="s">The prediction.</param>
    /// <param name="t">The target.</param>
    /// <param name="scale">The gradient's factor.</param>
    /// <param name="gradient">Receives the gradient (added).</param>
    /// <returns>The mean squared error.</returns>
    internal static float MeanSquaredError(ReadOnlySpan<float> s, ReadOnlySpan<float> t, float scale, Span<float> gradient)
    {
        double sum = 0;
        float factor = 2f * scale / s.Length;
        for (int i = 0; i < s.Length; i++)
        {
            float d = s[i] - t[i];
            sum += (double)d * d;
            gradient[i] += factor * d;
        }

        return (float)(sum / s.Length);
    }
}
