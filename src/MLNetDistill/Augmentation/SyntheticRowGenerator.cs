namespace MLNetDistill.Augmentation;

/// <summary>Makes one synthetic row at a time from the training rows, drawing from the cursor's own seeded generator.</summary>
internal abstract class SyntheticRowGenerator(TrainingMatrix training)
{
    /// <summary>Gets the training rows drawn from.</summary>
    protected TrainingMatrix Training { get; } = training;

    /// <summary>Writes synthetic row number <paramref name="index"/> (0, 1, 2, ... in order) into <paramref name="row"/> (Width values); allocates nothing.</summary>
    public abstract void Next(Random random, long index, Span<float> row);

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
