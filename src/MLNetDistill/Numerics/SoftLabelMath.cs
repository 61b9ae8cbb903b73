using System.Globalization;
using System.Numerics.Tensors;

namespace MLNetDistill.Numerics;

/// <summary>
/// Span math for soft labels: temperature softmax, log-softmax, KL divergence, entropy and label mixing.
/// Every method works on one row; callers loop over rows without allocating.
/// </summary>
public static class SoftLabelMath
{
    /// <summary>Writes softmax(<paramref name="logits"/> / <paramref name="temperature"/>) to <paramref name="destination"/>.</summary>
    /// <param name="logits">The raw logits of one row.</param>
    /// <param name="temperature">The softmax temperature; must be positive and finite.</param>
    /// <param name="destination">Receives the probabilities; same length as <paramref name="logits"/>.</param>
    /// <remarks>Computed as exp((z_i - max z) / T) / sum_j exp((z_j - max z) / T), which is exact and cannot overflow.</remarks>
    public static void Softmax(ReadOnlySpan<float> logits, float temperature, Span<float> destination)
    {
        CheckTemperature(temperature);
        CheckLengths(logits, destination);
        if (logits.IsEmpty)
        {
            return;
        }

        float max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, destination);
        if (temperature != 1f)
        {
            TensorPrimitives.Multiply(destination, 1f / temperature, destination);
        }

        TensorPrimitives.Exp(destination, destination);
        float sum = TensorPrimitives.Sum(destination);
        TensorPrimitives.Multiply(destination, 1f / sum, destination);
    }

    /// <summary>Writes log(softmax(<paramref name="logits"/> / <paramref name="temperature"/>)) to <paramref name="destination"/>.</summary>
    /// <param name="logits">The raw logits of one row.</param>
    /// <param name="temperature">The softmax temperature; must be positive and finite.</param>
    /// <param name="destination">Receives the log-probabilities; same length as <paramref name="logits"/>.</param>
    public static void LogSoftmax(ReadOnlySpan<float> logits, float temperature, Span<float> destination)
    {
        CheckTemperature(temperature);
        CheckLengths(logits, destination);
        if (logits.IsEmpty)
        {
            return;
        }

        float max = TensorPrimitives.Max(logits);
        float scale = 1f / temperature;
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float shifted = (logits[i] - max) * scale;
            destination[i] = shifted;
            sum += MathF.Exp(shifted);
        }

        TensorPrimitives.Subtract(destination, (float)Math.Log(sum), destination);
    }

    /// <summary>
    /// KL(p || q) = sum_k p_k (log p_k - log q_k) between a target distribution <paramref name="p"/> and a
    /// model distribution <paramref name="q"/>, with 0 log 0 taken as 0 and q clamped at <paramref name="epsilon"/>.
    /// </summary>
    /// <param name="p">The target (teacher) probabilities.</param>
    /// <param name="q">The model (student) probabilities.</param>
    /// <param name="epsilon">The smallest value q is taken to have, so that a zero q gives a large finite value.</param>
    /// <returns>The divergence in nats; zero when the two are equal.</returns>
    public static double KlDivergence(ReadOnlySpan<float> p, ReadOnlySpan<float> q, float epsilon = 1e-12f)
    {
        CheckLengths(p, q);
        double kl = 0;
        for (int k = 0; k < p.Length; k++)
        {
            float pk = p[k];
            if (pk > 0)
            {
                kl += pk * (Math.Log(pk) - Math.Log(Math.Max(q[k], epsilon)));
            }
        }

        return kl;
    }

    /// <summary>Shannon entropy -sum_k p_k log p_k, in nats.</summary>
    /// <param name="p">A probability distribution.</param>
    /// <returns>The entropy; zero for a one-hot distribution.</returns>
    public static double Entropy(ReadOnlySpan<float> p)
    {
        double h = 0;
        foreach (float pk in p)
        {
            if (pk > 0)
            {
                h -= pk * Math.Log(pk);
            }
        }

        return h;
    }

    /// <summary>The margin of a row: its largest value minus its second largest (the top value itself for one class).</summary>
    /// <param name="p">A probability distribution (or any scores) of one row.</param>
    /// <returns>The margin; zero on a tie for the top, and for an empty span.</returns>
    /// <remarks>The usual uncertainty score of margin sampling (Scheffer et al., 2001): small margins are the rows a model is least sure of.</remarks>
    public static float Margin(ReadOnlySpan<float> p)
    {
        float top = float.NegativeInfinity;
        float second = float.NegativeInfinity;
        foreach (float v in p)
        {
            if (v > top)
            {
                second = top;
                top = v;
            }
            else if (v > second)
            {
                second = v;
            }
        }

        return p.Length switch
        {
            0 => 0f,
            1 => top,
            _ => top - second,
        };
    }

    /// <summary>
    /// Mixes soft and hard targets in place: p = alpha * p + (1 - alpha) * onehot(label).
    /// </summary>
    /// <param name="soft">The soft labels of one row; overwritten with the mixed targets.</param>
    /// <param name="label">The hard label, a class index in [0, soft.Length).</param>
    /// <param name="alpha">The weight of the soft labels, in [0, 1].</param>
    public static void MixWithHardLabel(Span<float> soft, int label, float alpha)
    {
        CheckAlpha(alpha);
        if ((uint)label >= (uint)soft.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(label), label, $"Label {label} is outside the class range [0, {soft.Length - 1}].");
        }

        TensorPrimitives.Multiply(soft, alpha, soft);
        soft[label] += 1f - alpha;
    }

    /// <summary>Index of the largest value (the first one on ties); -1 for an empty span.</summary>
    /// <param name="values">Scores or probabilities of one row.</param>
    /// <returns>The arg-max index.</returns>
    public static int ArgMax(ReadOnlySpan<float> values) => values.IsEmpty ? -1 : TensorPrimitives.IndexOfMax(values);

    /// <summary>Throws a clear error when a temperature is not a positive finite number.</summary>
    /// <param name="temperature">The temperature to check.</param>
    /// <param name="parameterName">The name reported in the error.</param>
    public static void CheckTemperature(float temperature, string parameterName = "temperature")
    {
        if (!(temperature > 0f) || float.IsInfinity(temperature))
        {
            throw new ArgumentOutOfRangeException(parameterName, temperature,
                $"Temperature must be a positive finite number (typically 1 to 20) but was {temperature}.");
        }
    }

    /// <summary>
    /// Throws a clear error when alpha, the weight of the teacher's term against the hard label's, is not in [0, 1]
    /// (NaN included). Every option and loss that takes an alpha checks it here, so the message is the same everywhere.
    /// </summary>
    /// <param name="alpha">The weight to check.</param>
    /// <param name="parameterName">The name reported in the error (an option's property name, or a parameter's).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in [0, 1].</exception>
    internal static void CheckAlpha(float alpha, string parameterName = "alpha")
    {
        if (!(alpha >= 0f && alpha <= 1f))
        {
            throw new ArgumentOutOfRangeException(parameterName, alpha,
                $"{parameterName} must be in [0, 1] (the weight of the teacher's term; 1 - alpha weighs the hard label) but was {alpha.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    private static void CheckLengths(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"Spans must have the same length, but they have {a.Length} and {b.Length}.");
        }
    }
}
