using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Augmentation;

/// <summary>
/// The training rows' features in one row-major array, with each feature's mean, standard deviation and whether it is
/// categorical: what the augmenters draw from. The training rows are small beside the synthetic rows made from them.
/// </summary>
internal sealed class TrainingMatrix
{
    private TrainingMatrix(float[] values, int rows, int width, bool[] categorical)
    {
        Values = values;
        Rows = rows;
        Width = width;
        Categorical = categorical;
        Mean = new double[width];
        StandardDeviation = new double[width];
        for (int j = 0; j < width; j++)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < rows; i++)
            {
                double v = values[(i * width) + j];
                sum += v;
                squares += v * v;
            }

            double mean = sum / rows;
            Mean[j] = mean;
            StandardDeviation[j] = rows > 1 ? Math.Sqrt(Math.Max(0, (squares - (rows * mean * mean)) / (rows - 1))) : 0;
        }
    }

    /// <summary>Gets the values, row after row.</summary>
    public float[] Values { get; }

    /// <summary>Gets the number of rows.</summary>
    public int Rows { get; }

    /// <summary>Gets the number of features per row.</summary>
    public int Width { get; }

    /// <summary>Gets, per feature, whether it is categorical (resampled, never interpolated or noised).</summary>
    public bool[] Categorical { get; }

    /// <summary>Gets each feature's mean.</summary>
    public double[] Mean { get; }

    /// <summary>Gets each feature's sample standard deviation.</summary>
    public double[] StandardDeviation { get; }

    /// <summary>Gets one row.</summary>
    public ReadOnlySpan<float> Row(int i) => Values.AsSpan(i * Width, Width);

    /// <summary>Reads the <c>Features</c> column of <paramref name="data"/>; a NaN or infinite value is an error, as for the teacher's scorer, or its row is skipped (<see cref="AugmentationOptions.SkipInvalidRows"/>, counted in <see cref="SkippedRows"/>).</summary>
    public static TrainingMatrix Load(IDataView data, AugmentationOptions options, CancellationToken cancellationToken)
    {
        var column = data.Schema.GetColumnOrNull(DataColumnNames.Features) is { Type: VectorDataViewType { Size: > 0, ItemType: NumberDataViewType } v } c && v.ItemType == NumberDataViewType.Single
            ? c
            : throw new ArgumentException($"Augmentation needs a known-size '{DataColumnNames.Features}' vector column of Single values in the training rows.", nameof(data));
        int width = ((VectorDataViewType)column.Type).Size;
        var values = new List<float>();
        long skipped = 0;
        using (var cursor = data.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> row = default;
            float[] dense = new float[width];
            long r = 0;
            while (cursor.MoveNext())
            {
                if (r % 4096 == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                getter(ref row);
                row.CopyTo(dense);
                int bad = Numerics.SpanMath.FirstNonFinite(dense);
                if (bad >= 0)
                {
                    if (!options.SkipInvalidRows)
                    {
                        throw new InvalidDataException(
                            $"Training row {r + skipped} has a NaN or infinite value in '{DataColumnNames.Features}' (at index {bad}): augmentation draws from every training row, so clean the data, or skip such rows (AugmentationOptions.SkipInvalidRows, spec skip-invalid=1).");
                    }

                    skipped++;
                    continue;
                }

                values.AddRange(dense);
                r++;
                if (r > int.MaxValue / Math.Max(1, width))
                {
                    throw new ArgumentException($"Augmentation keeps the training rows in memory and {r:N0} rows of {width} features are too many: augment a sample of the rows.", nameof(data));
                }
            }
        }

        int rows = values.Count / width;
        int minRows = options.Method == AugmentationMethod.Spunge ? 1 : 2;
        if (rows < minRows)
        {
            throw new ArgumentException(
                $"{options.Method} augmentation needs at least {minRows} training rows ({(minRows == 2 ? "it pairs each row with another" : "it copies training rows")}) but the training data has {rows}{(skipped > 0 ? $" once {skipped:N0} with NaN or infinite features are skipped" : "")}: give more rows, or no augmentation.",
                nameof(data));
        }

        float[] array = [.. values];
        bool[] categorical = DetectCategorical(array, rows, width, options.CategoricalMaxLevels);
        foreach (int index in options.CategoricalFeatureIndices)
        {
            if (index >= width)
            {
                throw new ArgumentOutOfRangeException(nameof(options), index, $"CategoricalFeatureIndices holds {index}, but the features have indices 0 to {width - 1}: give 0-based indices of features.");
            }

            categorical[index] = true;
        }

        return new TrainingMatrix(array, rows, width, categorical) { SkippedRows = skipped };
    }

    /// <summary>Gets the training rows left out for a NaN or infinite feature (<see cref="AugmentationOptions.SkipInvalidRows"/>).</summary>
    public long SkippedRows { get; private init; }


    /// <summary>A feature is categorical when all its values are integers and it takes at most <paramref name="maxLevels"/> distinct values.</summary>
    private static bool[] DetectCategorical(float[] values, int rows, int width, int maxLevels)
    {
        bool[] categorical = new bool[width];
        if (maxLevels == 0)
        {
            return categorical;
        }

        var levels = new HashSet<float>();
        for (int j = 0; j < width; j++)
        {
            levels.Clear();
            bool integral = true;
            for (int i = 0; i < rows && integral; i++)
            {
                float v = values[(i * width) + j];
                integral = v == MathF.Floor(v) && (levels.Add(v) || true) && levels.Count <= maxLevels;
            }

            categorical[j] = integral;
        }

        return categorical;
    }
}
