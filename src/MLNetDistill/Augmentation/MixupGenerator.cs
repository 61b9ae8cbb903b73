namespace MLNetDistill.Augmentation;

/// <summary>
/// Mixup (Zhang et al. 2018) over features alone: λ ~ Beta(a, a) and two distinct random training rows x, x';
/// numeric features are λ·x + (1 − λ)·x', categorical ones are taken from the row with the larger weight (never interpolated).
/// The teacher labels the mixed row, so no label is mixed.
/// </summary>
internal sealed class MixupGenerator(TrainingMatrix training, AugmentationOptions options) : SyntheticRowGenerator(training)
{
    public override void Next(Random random, long index, Span<float> row)
    {
        var t = Training;
        int i = random.Next(t.Rows);
        int k = random.Next(t.Rows - 1);
        if (k >= i)
        {
            k++;
        }

        double lambda = Beta(random, options.A);
        var x = t.Row(i);
        var other = t.Row(k);
        for (int j = 0; j < row.Length; j++)
        {
            row[j] = t.Categorical[j]
                ? (lambda >= 0.5 ? x[j] : other[j])
                : (float)((lambda * x[j]) + ((1 - lambda) * other[j]));
        }
    }
}
