using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Students;

namespace MLNetDistill.Tests.Students;

/// <summary>
/// Golden values for <see cref="SoftLabelExpansionDataView"/>'s targets (renormalising, mixing with the hard label,
/// TopK and MinProbability pruning), recorded before its target preparation was split into stages.
/// </summary>
public sealed class SoftLabelExpansionGoldenTests
{
    [Theory]
    [InlineData(0.7f, 0, 0f, "rows=278 labels=833 weights=57.99999977635497 hash=6975ed1bbedcab37")]
    [InlineData(0.5f, 3, 0.02f, "rows=163 labels=496 weights=58.000000016763806 hash=de1ced6a3f982bdd")]
    [InlineData(1f, 2, 0.1f, "rows=108 labels=335 weights=58.000000059604645 hash=22997f9977b6bd4a")]
    public void Expansion_FixedRows_ReproducesGoldenWeights(float alpha, int topK, float minProbability, string expected)
    {
        var rng = new Random(12);
        var rows = new List<Row>();
        for (int r = 0; r < 60; r++)
        {
            float[] soft = new float[5];
            double sum = 0;
            for (int c = 0; c < 5; c++)
            {
                soft[c] = (float)Math.Pow(rng.NextDouble(), 3);
                sum += soft[c];
            }

            // Most rows sum to 1, some to 1.3 (renormalised); a few are missing (NaN) and train on the label alone.
            float scale = r % 9 == 4 ? 1.3f : 1f;
            for (int c = 0; c < 5; c++)
            {
                soft[c] = r % 11 == 7 ? float.NaN : (float)(soft[c] / sum) * scale;
            }

            float label = r % 3 == 0 ? float.NaN : rng.Next(5);
            rows.Add(new Row { Features = [r, -r], SoftLabels = soft, Label = label });
        }

        var ml = new MLContext(1);
        var options = new SoftLabelOptions { Alpha = alpha, TopK = topK, MinProbability = minProbability };
        var expanded = new SoftLabelExpansionDataView(ml.Data.LoadFromEnumerable(rows), options, "Label", "Weight", _ => { });
        uint[] labels = expanded.GetColumn<uint>("Label").ToArray();
        float[] weights = expanded.GetColumn<float>("Weight").ToArray();
        ulong hash = 14695981039346656037UL;
        double total = 0;
        long labelSum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            hash = (hash ^ labels[i]) * 1099511628211UL;
            hash = (hash ^ (ulong)BitConverter.SingleToInt32Bits(weights[i])) * 1099511628211UL;
            total += weights[i];
            labelSum += labels[i];
        }

        string actual = string.Create(CultureInfo.InvariantCulture, $"rows={weights.Length} labels={labelSum} weights={total:R} hash={hash:x16}");
        Assert.Equal(expected, actual);
    }

    private sealed class Row
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        [VectorType(5)]
        public float[] SoftLabels { get; set; } = [];

        public float Label { get; set; }
    }
}
