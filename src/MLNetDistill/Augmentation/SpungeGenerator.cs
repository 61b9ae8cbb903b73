namespace MLNetDistill.Augmentation;

/// <summary>
/// Spunge (Fakoor et al. 2020, as AutoGluon's <c>spunge_augment</c> does it): a copy of training row i mod n (so each training
/// row is the parent of factor synthetic rows, none left out or drawn twice as often) in which
/// k distinct features, k uniform in 1..max(1, ⌊p_resample·d⌋), take the value of that feature in another random training
/// row (a draw from its marginal); then each numeric feature, with probability p_noise, gets N(0, (scale·sd)²) noise.
/// </summary>
internal sealed class SpungeGenerator(TrainingMatrix training, AugmentationOptions options) : SyntheticRowGenerator(training)
{
    /// <summary>The most features one row resamples: ⌊p_resample·d⌋, at least 1.</summary>
    private readonly int _maxResampled = Math.Max(1, (int)(options.ResampleProbability * training.Width));

    public override void Next(Random random, long index, Span<float> row)
    {
        var t = Training;
        t.Row((int)(index % t.Rows)).CopyTo(row);
        int k = options.ResampleProbability > 0 ? 1 + random.Next(_maxResampled) : 0;
        Span<int> chosen = k <= 256 ? stackalloc int[k] : new int[k];
        for (int i = 0; i < k; i++)
        {
            int j;
            do
            {
                j = random.Next(t.Width);
            }
            while (chosen[..i].Contains(j));

            chosen[i] = j;
            row[j] = t.Values[(random.Next(t.Rows) * t.Width) + j];
        }

        for (int j = 0; j < row.Length; j++)
        {
            if (!t.Categorical[j] && random.NextDouble() < options.NoiseProbability)
            {
                row[j] = (float)(row[j] + (Gaussian(random) * options.NoiseScale * t.StandardDeviation[j]));
            }
        }
    }
}
