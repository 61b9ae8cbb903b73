using MLNetDistill.Augmentation;

namespace MLNetDistill.Tests.Augmentation;

public sealed class KdTreeTests
{
    [Theory]
    [InlineData(2000, 5, 1)]
    [InlineData(1500, 30, 2)]
    [InlineData(300, 1, 3)]
    public void NearestOther_RandomPoints_SameAsBruteForce(int rows, int width, int seed)
    {
        var random = new Random(seed);
        float[] points = new float[rows * width];
        for (int i = 0; i < points.Length; i++)
        {
            points[i] = (float)random.NextDouble();
        }

        var tree = new KdTree(points, rows, width);

        for (int i = 0; i < rows; i++)
        {
            Assert.Equal(BruteForce(points, rows, width, i), tree.NearestOther(i));
        }
    }

    [Fact]
    public void NearestOther_DuplicatePoints_FindsTheTwin()
    {
        // Rows 0..9 are one point, 10..19 another: each row's nearest other row is the lowest-indexed twin.
        float[] points = [.. Enumerable.Range(0, 20).SelectMany(i => i < 10 ? new[] { 0f, 0f } : new[] { 1f, 1f })];

        var tree = new KdTree(points, 20, 2);

        Assert.Equal(1, tree.NearestOther(0));
        Assert.Equal(0, tree.NearestOther(5));
        Assert.Equal(11, tree.NearestOther(10));
        Assert.Equal(10, tree.NearestOther(19));
    }

    [Fact]
    public void NearestNeighbours_BreastCancerStandardized_SameAsBruteForce()
    {
        var t = AugmentationTestData.Matrix(new AugmentationOptions { Method = AugmentationMethod.Munge });
        float[] standardized = new float[t.Values.Length];
        for (int i = 0; i < t.Values.Length; i++)
        {
            int j = i % t.Width;
            standardized[i] = (float)((t.Values[i] - t.Mean[j]) / t.StandardDeviation[j]);
        }

        int[] neighbours = MungeGenerator.NearestNeighbours(t);

        for (int i = 0; i < t.Rows; i++)
        {
            Assert.Equal(BruteForce(standardized, t.Rows, t.Width, i), neighbours[i]);
        }
    }

    private static int BruteForce(float[] points, int rows, int width, int self)
    {
        int best = -1;
        double bestDistance = double.PositiveInfinity;
        for (int p = 0; p < rows; p++)
        {
            if (p == self)
            {
                continue;
            }

            double d = 0;
            for (int j = 0; j < width; j++)
            {
                double diff = points[(self * width) + j] - points[(p * width) + j];
                d += diff * diff;
            }

            if (d < bestDistance)
            {
                (best, bestDistance) = (p, d);
            }
        }

        return best;
    }
}
