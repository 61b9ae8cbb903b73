namespace MLNetDistill.Augmentation;

/// <summary>
/// Spunge (Fakoor et al. 2020): a copy of a random training row; each feature, with probability p_resample, takes the value
/// of that feature in another random training row (a draw from its marginal); each numeric feature not resampled, with
/// probability p_noise, gets N(0, (scale·sd)²) noise.
/// </summary>
internal sealed class SpungeGenerator(TrainingMatrix training, AugmentationOptions options) : SyntheticRowGenerator(training)
{
    public override void Next(Random random, Span<float> row)
    {
        var t = Training;
        t.Row(random.Next(t.Rows)).CopyTo(row);
        for (int j = 0; j < row.Length; j++)
        {
            if (random.NextDouble() < options.ResampleProbability)
            {
                row[j] = t.Values[(random.Next(t.Rows) * t.Width) + j];
            }
            else if (!t.Categorical[j] && random.NextDouble() < options.NoiseProbability)
            {
                row[j] = (float)(row[j] + (Gaussian(random) * options.NoiseScale * t.StandardDeviation[j]));
            }
        }
    }
}
