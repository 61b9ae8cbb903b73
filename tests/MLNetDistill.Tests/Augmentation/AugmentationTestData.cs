using Microsoft.ML;
using MLNetDistill.Augmentation;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Augmentation;

/// <summary>The breast-cancer training rows (569 × 30, real and continuous) as the augmenters see them, and a mixed table with a categorical feature.</summary>
internal static class AugmentationTestData
{
    public static IDataView BreastCancer => DataSourceReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label");

    public static TrainingMatrix Matrix(AugmentationOptions options, IDataView? data = null) =>
        TrainingMatrix.Load(data ?? BreastCancer, options.Validated(), CancellationToken.None);

    /// <summary>Rows of the breast-cancer table with feature 30 appended: a category in {0, 1, 2, 5} (integers, few levels).</summary>
    public static IDataView WithCategory(MLContext ml, int rows = 200)
    {
        var matrix = Matrix(new AugmentationOptions());
        var random = new Random(3);
        float[] levels = [0, 1, 2, 5];
        var table = new float[rows][];
        for (int i = 0; i < rows; i++)
        {
            table[i] = [.. matrix.Row(i).ToArray(), levels[random.Next(levels.Length)]];
        }

        return TestData.Vectors(ml, table);
    }

    /// <summary>Draws <paramref name="count"/> rows from <paramref name="generator"/>.</summary>
    public static float[][] Draw(SyntheticRowGenerator generator, int width, int count, int seed = 1)
    {
        var random = new Random(seed);
        var rows = new float[count][];
        for (int i = 0; i < count; i++)
        {
            rows[i] = new float[width];
            generator.Next(random, i, rows[i]);
        }

        return rows;
    }

    /// <summary>The training row that equals <paramref name="row"/> on the most features (its parent), and how many.</summary>
    public static (int Parent, int Matches) Parent(TrainingMatrix t, float[] row)
    {
        int best = -1, bestMatches = -1;
        for (int i = 0; i < t.Rows; i++)
        {
            var r = t.Row(i);
            int matches = 0;
            for (int j = 0; j < t.Width; j++)
            {
                matches += r[j] == row[j] ? 1 : 0;
            }

            if (matches > bestMatches)
            {
                (best, bestMatches) = (i, matches);
            }
        }

        return (best, bestMatches);
    }
}
