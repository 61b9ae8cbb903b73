using Microsoft.ML;
using MLNetDistill.Augmentation;

namespace MLNetDistill.Tests.Augmentation;

public sealed class SyntheticRowGeneratorTests
{
    private const int Draws = 3000;

    [Fact]
    public void Spunge_AutoGluonResampleNoNoise_OneToTenPercentOfFeaturesPerRowFromTheMarginal()
    {
        var options = new AugmentationOptions { ResampleProbability = 0.1, NoiseProbability = 0 };
        var t = AugmentationTestData.Matrix(options);
        var rows = AugmentationTestData.Draw(SyntheticRowGenerator.Create(t, options), t.Width, 1000);
        var columnValues = Enumerable.Range(0, t.Width).Select(j => Enumerable.Range(0, t.Rows).Select(i => t.Row(i)[j]).ToHashSet()).ToArray();

        long changed = 0;
        int maxResampled = (int)(0.1 * t.Width); // 3 of breast cancer's 30 features
        foreach (var row in rows)
        {
            var (parent, matches) = AugmentationTestData.Parent(t, row);
            Assert.InRange(t.Width - matches, 0, maxResampled); // k ~ U{1..3} features resampled, never more
            changed += t.Width - matches;
            for (int j = 0; j < t.Width; j++)
            {
                Assert.Contains(row[j], columnValues[j]); // every value is one of its column's training values
            }
        }

        // On average k = 2 features resampled; a draw that lands on the same value (or a row equal on more features) does not show as changed.
        double perRow = changed / (double)rows.Length;
        Assert.InRange(perRow, 1.75, 2.05);
    }

    [Fact]
    public void Spunge_NothingPerturbed_RowIIsTrainingRowIModN()
    {
        // AutoGluon's spunge_augment walks the training rows in turn (og_ind = i % len(X)): each row is the parent of factor rows.
        var options = new AugmentationOptions { ResampleProbability = 0, NoiseProbability = 0 };
        var t = AugmentationTestData.Matrix(options);
        var rows = AugmentationTestData.Draw(SyntheticRowGenerator.Create(t, options), t.Width, (2 * t.Rows) + 7);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(t.Row(i % t.Rows).ToArray(), rows[i]);
        }
    }

    [Fact]
    public void Spunge_NoResamplingAutoGluonNoise_NoiseOnTenPercentWithTenthOfTheStandardDeviation()
    {
        var options = new AugmentationOptions { ResampleProbability = 0, NoiseProbability = 0.1, NoiseScale = 0.1 };
        var t = AugmentationTestData.Matrix(options);
        var rows = AugmentationTestData.Draw(SyntheticRowGenerator.Create(t, options), t.Width, 1000);

        long noised = 0;
        double squares = 0;
        foreach (var row in rows)
        {
            var (parent, _) = AugmentationTestData.Parent(t, row);
            for (int j = 0; j < t.Width; j++)
            {
                double difference = row[j] - t.Row(parent)[j];
                if (difference != 0)
                {
                    noised++;
                    double z = difference / t.StandardDeviation[j];
                    squares += z * z;
                }
            }
        }

        Assert.InRange(noised / (double)(rows.Length * t.Width), 0.09, 0.11);
        Assert.InRange(Math.Sqrt(squares / noised), 0.095, 0.105); // noise sd / feature sd
    }

    [Fact]
    public void Munge_SwappedValues_DrawnAroundTheNearestNeighbour()
    {
        var options = new AugmentationOptions { Method = AugmentationMethod.Munge, SwapProbability = 0.5, Scale = 1 };
        var t = AugmentationTestData.Matrix(options);
        var generator = new MungeGenerator(t, options);
        var rows = AugmentationTestData.Draw(generator, t.Width, 1000);

        long swapped = 0;
        double squares = 0;
        foreach (var row in rows)
        {
            var (parent, _) = AugmentationTestData.Parent(t, row);
            var e = t.Row(parent);
            var neighbour = t.Row(generator.Neighbours[parent]);
            for (int j = 0; j < t.Width; j++)
            {
                if (row[j] != e[j])
                {
                    swapped++;
                    double z = (row[j] - neighbour[j]) / Math.Abs(e[j] - neighbour[j]); // N(e', |e - e'| / s): z ~ N(0, 1)
                    squares += z * z;
                }
            }
        }

        Assert.InRange(swapped / (double)(rows.Length * t.Width), 0.45, 0.52);
        Assert.InRange(Math.Sqrt(squares / swapped), 0.95, 1.05);
    }

    [Fact]
    public void Munge_LargeScale_SwappedValuesAreTheNeighboursWithinTolerance()
    {
        var options = new AugmentationOptions { Method = AugmentationMethod.Munge, SwapProbability = 1, Scale = 1000 };
        var t = AugmentationTestData.Matrix(options);
        var generator = new MungeGenerator(t, options);
        var random = new Random(4);
        float[] row = new float[t.Width];

        // With p = 1 and s = 1000 each value is the neighbour's within |e - e'| / 1000 · N(0, 1): the row sits on its neighbour.
        for (int k = 0; k < 200; k++)
        {
            generator.Next(random, k, row);
            int nearest = Enumerable.Range(0, t.Rows).MinBy(i => Distance(t, i, row));
            Assert.True(Distance(t, nearest, row) < 1e-2, $"row {k} is {Distance(t, nearest, row)} from the closest training row");
            Assert.Contains(nearest, generator.Neighbours);
        }
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(1.0)]
    [InlineData(4.0)]
    public void Mixup_EveryRow_OnTheSegmentBetweenTwoTrainingRowsWithLambdaMeanHalf(double a)
    {
        var ml = new MLContext(0);
        var options = new AugmentationOptions { Method = AugmentationMethod.Mixup, A = a };
        var t = AugmentationTestData.Matrix(options, ml.Data.TakeRows(AugmentationTestData.BreastCancer, 40));
        var rows = AugmentationTestData.Draw(SyntheticRowGenerator.Create(t, options), t.Width, 400);
        var lambdas = new List<double>();

        foreach (var row in rows)
        {
            double best = double.PositiveInfinity, bestLambda = double.NaN;
            for (int i = 0; i < t.Rows; i++)
            {
                for (int k = 0; k < t.Rows; k++)
                {
                    if (i == k)
                    {
                        continue;
                    }

                    var (lambda, residual) = Fit(t.Row(i), t.Row(k), row);
                    if (residual < best)
                    {
                        (best, bestLambda) = (residual, lambda);
                    }
                }
            }

            Assert.True(best < 1e-4, $"a synthetic row is {best} (relative) off every segment");
            Assert.InRange(bestLambda, -1e-4, 1 + 1e-4);
            lambdas.Add(bestLambda);
        }

        // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)). A row and its mirror are the same fit, so fold λ to max(λ, 1 − λ) for the variance.
        double variance = lambdas.Select(l => (l - 0.5) * (l - 0.5)).Average();
        Assert.InRange(variance, 0.8 / (4 * ((2 * a) + 1)), 1.2 / (4 * ((2 * a) + 1)));
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(1.0)]
    [InlineData(3.0)]
    public void Beta_ManyDraws_MeanHalfAndBetaVariance(double a)
    {
        var random = new Random(7);
        double[] draws = [.. Enumerable.Range(0, 20000).Select(_ => SyntheticRowGenerator.Beta(random, a))];

        Assert.Equal(0.5, draws.Average(), new FloatComparer(0.01));
        Assert.Equal(1 / (4 * ((2 * a) + 1)), draws.Select(d => (d - 0.5) * (d - 0.5)).Average(), new FloatComparer(0.01));
        Assert.All(draws, d => Assert.InRange(d, 0, 1));
    }

    [Theory]
    [InlineData(AugmentationMethod.Spunge)]
    [InlineData(AugmentationMethod.Munge)]
    [InlineData(AugmentationMethod.Mixup)]
    public void Next_CategoricalFeature_ValuesStayInTheTrainingValues(AugmentationMethod method)
    {
        var ml = new MLContext(0);
        var options = new AugmentationOptions { Method = method, ResampleProbability = 0.5, NoiseProbability = 1, A = 1 };
        var t = AugmentationTestData.Matrix(options, AugmentationTestData.WithCategory(ml));
        Assert.True(t.Categorical[30]);
        Assert.DoesNotContain(true, t.Categorical.Take(30)); // continuous features are not taken for categories

        var rows = AugmentationTestData.Draw(SyntheticRowGenerator.Create(t, options), t.Width, 2000);

        Assert.All(rows, r => Assert.Contains(r[30], new[] { 0f, 1f, 2f, 5f }));
        Assert.Equal(4, rows.Select(r => r[30]).Distinct().Count());
    }

    [Fact]
    public void Next_CategoricalFeatureIndices_TreatsAContinuousFeatureAsCategorical()
    {
        var options = new AugmentationOptions { Method = AugmentationMethod.Mixup, A = 1 };
        options.CategoricalFeatureIndices.Add(2);
        var t = AugmentationTestData.Matrix(options);
        var values = Enumerable.Range(0, t.Rows).Select(i => t.Row(i)[2]).ToHashSet();

        var rows = AugmentationTestData.Draw(SyntheticRowGenerator.Create(t, options), t.Width, 500);

        Assert.All(rows, r => Assert.Contains(r[2], values));
        Assert.Contains(rows, r => !values.Contains(r[3])); // a numeric feature is interpolated
    }

    private static double Distance(TrainingMatrix t, int i, float[] row)
    {
        double d = 0;
        for (int j = 0; j < t.Width; j++)
        {
            double z = (row[j] - t.Row(i)[j]) / t.StandardDeviation[j];
            d += z * z;
        }

        return Math.Sqrt(d);
    }

    /// <summary>The λ of the least-squares fit row ≈ λ·x + (1 − λ)·y and the fit's largest relative residual.</summary>
    private static (double Lambda, double Residual) Fit(ReadOnlySpan<float> x, ReadOnlySpan<float> y, float[] row)
    {
        double num = 0, den = 0;
        for (int j = 0; j < row.Length; j++)
        {
            double d = x[j] - y[j];
            num += (row[j] - y[j]) * d;
            den += d * d;
        }

        double lambda = den > 0 ? num / den : 0.5;
        double worst = 0;
        for (int j = 0; j < row.Length; j++)
        {
            double predicted = (lambda * x[j]) + ((1 - lambda) * y[j]);
            worst = Math.Max(worst, Math.Abs(predicted - row[j]) / (1 + Math.Abs(row[j])));
        }

        return (lambda, worst);
    }
}
