namespace MLNetDistill.Augmentation;

/// <summary>Makes one synthetic row at a time from the training rows, drawing from the cursor's own seeded generator.</summary>
internal abstract class SyntheticRowGenerator(TrainingMatrix training)
{
    /// <summary>Gets the training rows drawn from.</summary>
    protected TrainingMatrix Training { get; } = training;

    /// <summary>Writes the next synthetic row into <paramref name="row"/> (Width values); allocates nothing.</summary>
    public abstract void Next(Random random, Span<float> row);

    /// <summary>The generator of <paramref name="options"/>' method over <paramref name="training"/>.</summary>
    public static SyntheticRowGenerator Create(TrainingMatrix training, AugmentationOptions options) => options.Method switch
    {
        AugmentationMethod.Spunge => new SpungeGenerator(training, options),
        AugmentationMethod.Munge => new MungeGenerator(training, options),
        _ => new MixupGenerator(training, options),
    };

    /// <summary>A standard normal draw (Box–Muller).</summary>
    public static double Gaussian(Random random)
    {
        double u = 1.0 - random.NextDouble(); // (0, 1]
        double v = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v);
    }

    /// <summary>A Gamma(shape, 1) draw: Marsaglia and Tsang 2000, with the U^(1/shape) boost for shape &lt; 1.</summary>
    public static double Gamma(Random random, double shape)
    {
        if (shape < 1)
        {
            double boost = Math.Pow(1.0 - random.NextDouble(), 1.0 / shape);
            return Gamma(random, shape + 1) * boost;
        }

        double d = shape - (1.0 / 3.0), c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Gaussian(random);
                v = 1.0 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            double u = 1.0 - random.NextDouble();
            if (Math.Log(u) < (0.5 * x * x) + d - (d * v) + (d * Math.Log(v)))
            {
                return d * v;
            }
        }
    }

    /// <summary>A Beta(a, a) draw, X / (X + Y) for X, Y ~ Gamma(a).</summary>
    public static double Beta(Random random, double a)
    {
        double x = Gamma(random, a), y = Gamma(random, a);
        double sum = x + y;
        return sum > 0 ? x / sum : random.NextDouble() < 0.5 ? 0 : 1;
    }
}

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

/// <summary>
/// Munge (Bucilă et al. 2006): a random training row e and its nearest neighbour e' (exact, over standardized features,
/// found with a k-d tree when the generator is made); each feature, with probability p, moves: a numeric one to a draw from
/// N(e'_a, (|e_a − e'_a| / s)²), a categorical one to e'_a. Bucilă's pass changes e and e' together; this one-sided form
/// gives each synthetic row one parent, and drawing parents at random replaces the passes over the data.
/// </summary>
internal sealed class MungeGenerator : SyntheticRowGenerator
{
    private readonly AugmentationOptions _options;

    public MungeGenerator(TrainingMatrix training, AugmentationOptions options)
        : base(training)
    {
        _options = options;
        Neighbours = NearestNeighbours(training);
    }

    /// <summary>Gets each training row's nearest other row (standardized squared Euclidean distance).</summary>
    public int[] Neighbours { get; }

    public override void Next(Random random, Span<float> row)
    {
        var t = Training;
        int i = random.Next(t.Rows);
        var e = t.Row(i);
        var neighbour = t.Row(Neighbours[i]);
        e.CopyTo(row);
        for (int j = 0; j < row.Length; j++)
        {
            if (random.NextDouble() < _options.SwapProbability)
            {
                row[j] = t.Categorical[j]
                    ? neighbour[j]
                    : (float)(neighbour[j] + (Gaussian(random) * Math.Abs(e[j] - neighbour[j]) / _options.Scale));
            }
        }
    }

    /// <summary>Every row's nearest other row, through a k-d tree over the standardized features: O(n log n) to build.</summary>
    internal static int[] NearestNeighbours(TrainingMatrix t)
    {
        float[] standardized = new float[t.Values.Length];
        for (int i = 0; i < t.Rows; i++)
        {
            for (int j = 0; j < t.Width; j++)
            {
                double sd = t.StandardDeviation[j] > 0 ? t.StandardDeviation[j] : 1;
                standardized[(i * t.Width) + j] = (float)((t.Values[(i * t.Width) + j] - t.Mean[j]) / sd);
            }
        }

        var tree = new KdTree(standardized, t.Rows, t.Width);
        int[] neighbours = new int[t.Rows];
        for (int i = 0; i < t.Rows; i++)
        {
            neighbours[i] = tree.NearestOther(i);
        }

        return neighbours;
    }
}

/// <summary>
/// Mixup (Zhang et al. 2018) over features alone: λ ~ Beta(a, a) and two distinct random training rows x, x';
/// numeric features are λ·x + (1 − λ)·x', categorical ones are taken from the row with the larger weight (never interpolated).
/// The teacher labels the mixed row, so no label is mixed.
/// </summary>
internal sealed class MixupGenerator(TrainingMatrix training, AugmentationOptions options) : SyntheticRowGenerator(training)
{
    public override void Next(Random random, Span<float> row)
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
