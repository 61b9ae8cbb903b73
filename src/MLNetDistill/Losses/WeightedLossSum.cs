namespace MLNetDistill.Losses;

/// <summary>L = sum_i w_i L_i: the losses a student trains on, each with its weight.</summary>
internal sealed class WeightedLossSum : IDistillationLoss
{
    private readonly (IDistillationLoss Loss, float Weight)[] _terms;
    private readonly float[] _lastValues;

    /// <summary>Creates the sum.</summary>
    /// <param name="terms">The losses and their weights (finite, not negative).</param>
    public WeightedLossSum(params (IDistillationLoss Loss, float Weight)[] terms)
    {
        if (terms.Length == 0)
        {
            throw new ArgumentException("A loss sum needs at least one loss.", nameof(terms));
        }

        foreach (var (loss, weight) in terms)
        {
            if (!(weight >= 0f) || float.IsInfinity(weight))
            {
                throw new ArgumentOutOfRangeException(nameof(terms), weight, $"The weight of {loss.Name} must be a finite number >= 0 but was {weight}.");
            }
        }

        _terms = terms;
        _lastValues = new float[terms.Length];
    }

    /// <inheritdoc />
    public string Name => "weighted sum";

    /// <summary>The terms.</summary>
    public IReadOnlyList<(IDistillationLoss Loss, float Weight)> Terms => _terms;

    /// <summary>Each term's unweighted value in the last <see cref="Forward"/>.</summary>
    public ReadOnlySpan<float> LastValues => _lastValues;

    /// <inheritdoc />
    public float Forward(in LossBatch batch, float scale, in LossGradients gradients)
    {
        double total = 0;
        for (int i = 0; i < _terms.Length; i++)
        {
            var (loss, weight) = _terms[i];
            if (weight == 0f)
            {
                _lastValues[i] = 0f;
                continue;
            }

            float value = loss.Forward(batch, scale * weight, gradients);
            _lastValues[i] = value;
            total += (double)weight * value;
        }

        return (float)total;
    }
}
