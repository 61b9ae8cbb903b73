using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MLNetDistill.Numerics;

namespace MLNetDistill.Serving;

/// <summary>
/// The learned deferral rule: ML.NET's L-BFGS logistic regression predicting "the student agrees with the teacher"
/// from the student's probabilities of a row, as [the <see cref="TopK"/> largest probabilities, sorted; margin; entropy].
/// Its confidence is the model's log-odds of agreement (monotone in its probability, so thresholds order rows alike).
/// </summary>
internal sealed class LearnedDeferral
{
    /// <summary>The number of sorted top probabilities among the features.</summary>
    public const int TopK = 3;

    private readonly float[] _weights;
    private readonly float _bias;

    private LearnedDeferral(float[] weights, float bias)
    {
        _weights = weights;
        _bias = bias;
    }

    /// <summary>The model's weights (one per feature) and bias: the confidence is their dot product with the features plus the bias.</summary>
    public (float[] Weights, float Bias) Parameters => ((float[])_weights.Clone(), _bias);

    /// <summary>The number of features a row of <paramref name="classes"/> probabilities gives.</summary>
    public static int FeatureCount(int classes) => Math.Min(TopK, classes) + 2;

    /// <summary>Writes the features of one row of probabilities.</summary>
    public static void Features(ReadOnlySpan<float> row, Span<float> destination)
    {
        int k = destination.Length - 2;
        Span<float> top = stackalloc float[k];
        top.Fill(float.NegativeInfinity);
        foreach (float p in row)
        {
            if (p > top[k - 1])
            {
                int i = k - 1;
                while (i > 0 && p > top[i - 1])
                {
                    top[i] = top[i - 1];
                    i--;
                }

                top[i] = p;
            }
        }

        top.CopyTo(destination);
        destination[k] = SoftLabelMath.Margin(row);
        destination[k + 1] = (float)SoftLabelMath.Entropy(row);
    }

    /// <summary>Trains the rule on rows whose student probabilities and agreement with the teacher are known.</summary>
    /// <param name="probabilities">Row-major student probabilities.</param>
    /// <param name="classes">K.</param>
    /// <param name="agrees">Whether the student's class equals the teacher's, per row.</param>
    /// <param name="seed">The ML.NET seed.</param>
    public static LearnedDeferral Fit(ReadOnlySpan<float> probabilities, int classes, ReadOnlySpan<bool> agrees, int seed = 1)
    {
        int rows = agrees.Length;
        int d = FeatureCount(classes);
        var items = new Example[rows];
        for (int r = 0; r < rows; r++)
        {
            float[] x = new float[d];
            Features(probabilities.Slice(r * classes, classes), x);
            items[r] = new Example { Features = x, Label = agrees[r] };
        }

        bool allSame = true;
        for (int r = 1; r < rows; r++)
        {
            allSame &= agrees[r] == agrees[0];
        }

        if (rows == 0 || allSame)
        {
            // One class only: nothing to learn; fall back to top probability (weight 1 on it).
            float[] w = new float[d];
            w[0] = 1f;
            return new LearnedDeferral(w, 0f);
        }

        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(Example));
        schema[nameof(Example.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        var data = ml.Data.LoadFromEnumerable(items, schema);
        var trainer = ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
        {
            NumberOfThreads = 1,
            L2Regularization = 1e-3f,
        });
        var model = trainer.Fit(data).Model.SubModel;
        float[] weights = new float[d];
        int i = 0;
        foreach (float v in model.Weights)
        {
            weights[i++] = v;
        }

        return new LearnedDeferral(weights, model.Bias);
    }

    /// <summary>Writes the confidence (log-odds of agreement) of each row of probabilities.</summary>
    public void Confidence(ReadOnlySpan<float> probabilities, int classes, Span<float> destination)
    {
        int rows = DeferralScores.CheckShape(probabilities, classes, destination);
        Span<float> x = stackalloc float[_weights.Length];
        for (int r = 0; r < rows; r++)
        {
            Features(probabilities.Slice(r * classes, classes), x);
            float z = _bias;
            for (int j = 0; j < x.Length; j++)
            {
                z += _weights[j] * x[j];
            }

            destination[r] = z;
        }
    }

    private sealed class Example
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }
}
