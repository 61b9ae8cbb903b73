namespace MLNetDistill.SoftLabels;

/// <summary>Moved to <see cref="Numerics.SoftLabelMath"/> (namespace <c>MLNetDistill.Numerics</c>); this forwarder goes in the next release.</summary>
[Obsolete("Moved to MLNetDistill.Numerics.SoftLabelMath")]
public static class SoftLabelMath
{
    /// <summary>Writes softmax(<paramref name="logits"/> / <paramref name="temperature"/>) to <paramref name="destination"/>: see <see cref="Numerics.SoftLabelMath.Softmax"/>.</summary>
    /// <param name="logits">The raw logits of one row.</param>
    /// <param name="temperature">The softmax temperature; must be positive and finite.</param>
    /// <param name="destination">Receives the probabilities; same length as <paramref name="logits"/>.</param>
    public static void Softmax(ReadOnlySpan<float> logits, float temperature, Span<float> destination) => Numerics.SoftLabelMath.Softmax(logits, temperature, destination);

    /// <summary>Writes log(softmax(<paramref name="logits"/> / <paramref name="temperature"/>)) to <paramref name="destination"/>: see <see cref="Numerics.SoftLabelMath.LogSoftmax"/>.</summary>
    /// <param name="logits">The raw logits of one row.</param>
    /// <param name="temperature">The softmax temperature; must be positive and finite.</param>
    /// <param name="destination">Receives the log-probabilities; same length as <paramref name="logits"/>.</param>
    public static void LogSoftmax(ReadOnlySpan<float> logits, float temperature, Span<float> destination) => Numerics.SoftLabelMath.LogSoftmax(logits, temperature, destination);

    /// <summary>KL(p || q): see <see cref="Numerics.SoftLabelMath.KlDivergence"/>.</summary>
    /// <param name="p">The target (teacher) probabilities.</param>
    /// <param name="q">The model (student) probabilities.</param>
    /// <param name="epsilon">The smallest value q is taken to have.</param>
    /// <returns>The divergence in nats; zero when the two are equal.</returns>
    public static double KlDivergence(ReadOnlySpan<float> p, ReadOnlySpan<float> q, float epsilon = 1e-12f) => Numerics.SoftLabelMath.KlDivergence(p, q, epsilon);

    /// <summary>Shannon entropy -sum_k p_k log p_k, in nats: see <see cref="Numerics.SoftLabelMath.Entropy"/>.</summary>
    /// <param name="p">A probability distribution.</param>
    /// <returns>The entropy; zero for a one-hot distribution.</returns>
    public static double Entropy(ReadOnlySpan<float> p) => Numerics.SoftLabelMath.Entropy(p);

    /// <summary>Mixes soft and hard targets in place: see <see cref="Numerics.SoftLabelMath.MixWithHardLabel"/>.</summary>
    /// <param name="soft">The soft labels of one row; overwritten with the mixed targets.</param>
    /// <param name="label">The hard label, a class index in [0, soft.Length).</param>
    /// <param name="alpha">The weight of the soft labels, in [0, 1].</param>
    public static void MixWithHardLabel(Span<float> soft, int label, float alpha) => Numerics.SoftLabelMath.MixWithHardLabel(soft, label, alpha);

    /// <summary>Index of the largest value (the first one on ties); -1 for an empty span.</summary>
    /// <param name="values">Scores or probabilities of one row.</param>
    /// <returns>The arg-max index.</returns>
    public static int ArgMax(ReadOnlySpan<float> values) => Numerics.SoftLabelMath.ArgMax(values);

    /// <summary>Throws a clear error when a temperature is not a positive finite number.</summary>
    /// <param name="temperature">The temperature to check.</param>
    /// <param name="parameterName">The name reported in the error.</param>
    public static void CheckTemperature(float temperature, string parameterName = "temperature") => Numerics.SoftLabelMath.CheckTemperature(temperature, parameterName);
}
