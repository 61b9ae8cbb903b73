using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Numerics;

namespace MLNetDistill.Tests.Data;

/// <summary>In-memory teacher outputs, shaped as the teacher scorer produces them, for cache tests.</summary>
public sealed class ScoredViews
{
    public required float[][] Logits { get; init; }

    public required float[][] Soft { get; init; }

    public required int[] Predicted { get; init; }

    public required float[] Labels { get; init; }

    public required IDataView View { get; init; }

    public float Temperature { get; init; }

    /// <summary>
    /// Random logits (with values that stress round-trip formatting), soft labels at <paramref name="temperature"/>, the
    /// 1-based key of the arg-max, and a Label column (Single) unless <paramref name="withLabel"/> is false.
    /// </summary>
    public static ScoredViews Create(int rows, int classes, bool withLabel = true, float temperature = 2f, int seed = 7)
    {
        var rng = new Random(seed);
        var items = new List<Row>(rows);
        var logits = new float[rows][];
        var soft = new float[rows][];
        var predicted = new int[rows];
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            logits[r] = new float[classes];
            for (int k = 0; k < classes; k++)
            {
                logits[r][k] = (float)(rng.NextDouble() * 20 - 10) / 3f;
            }

            if (r == 0)
            {
                logits[0][0] = 1e-38f; // tiny and huge values must survive the text format bit-exactly
                logits[0][classes - 1] = 3.4028235e38f;
            }

            soft[r] = new float[classes];
            SoftLabelMath.Softmax(logits[r], temperature, soft[r]);
            predicted[r] = SoftLabelMath.ArgMax(logits[r]);
            labels[r] = rng.Next(classes);
            // LoadFromEnumerable reads a uint key property as 0-based and adds 1 (checked: 0,1,2,3 with 3 keys become 1,2,3,0),
            // so the class index goes in and the view holds the 1-based key, as the teacher scorer produces.
            items.Add(new Row { Label = labels[r], TeacherLogits = logits[r], SoftLabels = soft[r], TeacherPredictedLabel = (uint)predicted[r] });
        }

        SchemaDefinition definition = SchemaDefinition.Create(typeof(Row));
        definition["TeacherLogits"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, classes);
        definition["SoftLabels"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, classes);
        definition["TeacherPredictedLabel"].ColumnType = new KeyDataViewType(typeof(uint), classes);
        IDataView view = new MLContext(seed: 1).Data.LoadFromEnumerable(items, definition);
        if (!withLabel)
        {
            view = new MLContext(seed: 1).Transforms.DropColumns("Label").Fit(view).Transform(view);
        }

        return new ScoredViews { Logits = logits, Soft = soft, Predicted = predicted, Labels = labels, View = view, Temperature = temperature };
    }

    public sealed class Row
    {
        public float Label { get; set; }

        public float[] TeacherLogits { get; set; } = [];

        public float[] SoftLabels { get; set; } = [];

        public uint TeacherPredictedLabel { get; set; }
    }
}
