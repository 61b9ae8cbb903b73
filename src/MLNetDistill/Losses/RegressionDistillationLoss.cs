using MLNetDistill.Numerics;
namespace MLNetDistill.Losses;

/// <summary>
/// Distillation loss of a regression student: squared error to the teacher's prediction mixed with squared error to
/// the true target, the regression form of Hinton et al.'s soft/hard mixture (2015, "Distilling the Knowledge in a
/// Neural Network", arXiv:1503.02531), with the teacher term as in Ba and Caruana (2014), "Do Deep Nets Really Need
/// to be Deep?" (NeurIPS).
/// </summary>
/// <remarks>
/// With student predictions s_r, teacher predictions t_r and targets y_r over a batch of n rows, m of which have a
/// (finite) target:
/// L = alpha (1/n) sum_r (s_r - t_r)^2 + (1 - alpha) (1/m) sum_{r labeled} (s_r - y_r)^2;
/// dL/ds_r = 2 alpha (s_r - t_r) / n + 2 (1 - alpha) (s_r - y_r) / m for labeled rows. A row without a target (NaN)
/// trains on the teacher alone (the transfer-set case); a batch with none uses only the teacher term.
/// Each term is <c>F.mse_loss</c>'s mean, so alpha = 1 is Ba and Caruana's matching and alpha = 0 plain regression.
/// </remarks>
internal sealed class RegressionDistillationLoss : IDistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="alpha">The weight of the teacher term, in [0, 1].</param>
    public RegressionDistillationLoss(float alpha)
    {
        Numerics.SoftLabelMath.CheckAlpha(alpha);

        Alpha = alpha;
    }

    /// <inheritdoc />
    public string Name => "regression distillation (teacher and target squared error)";

    /// <summary>The weight of the teacher term.</summary>
    public float Alpha { get; }

    /// <inheritdoc />
    public float Forward(in LossBatch batch, float scale, in LossGradients gradients)
    {
        int rows = batch.Rows;
        LossChecks.Require(batch.StudentLogits, rows, 1, "the student's predictions", Name);
        LossChecks.Require(batch.TeacherLogits, rows, 1, "the teacher's predictions", Name);
        LossChecks.Require(gradients.Logits, rows, 1, "a prediction gradient buffer", Name);
        ReadOnlySpan<float> s = batch.StudentLogits;
        ReadOnlySpan<float> targets = batch.Targets;
        int labeled = 0;
        if (!targets.IsEmpty)
        {
            LossChecks.Require(targets, rows, 1, "one target per row", Name);
            foreach (float y in targets)
            {
                labeled += float.IsNaN(y) ? 0 : 1;
            }
        }

        float teacherWeight = labeled == 0 ? 1f : Alpha;
        float value = teacherWeight * LogitMseLoss.MeanSquaredError(s, batch.TeacherLogits, scale * teacherWeight, gradients.Logits);
        if (labeled == 0 || Alpha == 1f)
        {
            return value;
        }

        double sum = 0;
        float hardWeight = 1f - Alpha;
        float factor = 2f * scale * hardWeight / labeled;
        for (int r = 0; r < rows; r++)
        {
            float y = targets[r];
            if (!float.IsNaN(y))
            {
                float d = s[r] - y;
                sum += (double)d * d;
                gradients.Logits[r] += factor * d;
            }
        }

        return value + (float)(hardWeight * sum / labeled);
    }
}
