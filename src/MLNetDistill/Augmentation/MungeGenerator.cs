namespace MLNetDistill.Augmentation;

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

    public override void Next(Random random, long index, Span<float> row)
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
