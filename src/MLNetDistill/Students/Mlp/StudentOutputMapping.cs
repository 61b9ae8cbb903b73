using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MLNetDistill.Data;
using MLNetDistill.Numerics;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// The ML.NET columns of students whose model is not one of ML.NET's trainers (MLP students, logit matching), made from
/// the model's outputs by ML.NET's own <c>CustomMapping</c> and column transforms, so that the same steps run after the
/// fast batched scorer and are saved with the model (after ML.NET's <c>ApplyOnnxModel</c>). Loading such a model needs
/// <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly)</c>, as any custom mapping does.
/// </summary>
internal static class StudentOutputMapping
{
    /// <summary>The contract name of the binary mapping (stored in saved models; never change it).</summary>
    public const string BinaryContract = "MLNetDistill.MlpBinaryStudentOutput";

    /// <summary>The contract name of the regression mapping (stored in saved models; never change it).</summary>
    public const string RegressionContract = "MLNetDistill.MlpRegressionStudentOutput";

    /// <summary>The contract name of the multiclass arg-max mapping (stored in saved models; never change it).</summary>
    public const string ArgMaxContract = "MLNetDistill.StudentPredictedClass";

    /// <summary>The multiclass score column the arg-max mapping reads (a vector of K).</summary>
    public const string ScoreColumn = DataColumnNames.Score;

    /// <summary>The predicted-label column the multiclass mapping writes (a key over the classes).</summary>
    public const string PredictedLabelColumn = DataColumnNames.PredictedLabel;

    /// <summary>The student logits column the binary mapping reads.</summary>
    public const string LogitsColumn = "StudentLogits";

    /// <summary>Fits the binary mapping: <c>StudentLogits</c> [2] to <c>Score</c>, <c>Probability</c>, <c>PredictedLabel</c>.</summary>
    public static ITransformer Binary(TransformsCatalog transforms, IDataView data) =>
        transforms.CustomMapping(new BinaryStudentOutputFactory().GetMapping(), BinaryContract).Fit(data);

    /// <summary>
    /// Fits the multiclass mapping: <c>Score</c> (a vector of K) to <c>PredictedLabel</c>, a key over the classes whose
    /// key values are <paramref name="classes"/> (the arg-max of <c>Score</c> by a <c>CustomMapping</c>, then ML.NET's
    /// <c>MapValue</c> and <c>MapValueToKey</c>, so <c>MapKeyToValue</c> gives the class values back).
    /// </summary>
    /// <returns>The fitted steps, in order.</returns>
    public static ITransformer[] Multiclass(TransformsCatalog transforms, DataViewSchema schema, ClassValues classes)
    {
        var argMax = transforms.CustomMapping(new StudentArgMaxFactory().GetMapping(), ArgMaxContract).Fit(new EmptyDataView(schema));
        var indexed = argMax.GetOutputSchema(schema);
        var toKey = classes.IndexToKey(transforms, PredictedLabelColumn).Fit(new EmptyDataView(indexed));
        return [argMax, .. Flatten(toKey)];
    }

    /// <summary>Fits the regression mapping: a one-value vector <c>Score</c> (as ApplyOnnxModel makes it) to a scalar <c>Score</c>.</summary>
    public static ITransformer Regression(TransformsCatalog transforms, IDataView data) =>
        transforms.CustomMapping(new RegressionStudentOutputFactory().GetMapping(), RegressionContract).Fit(data);

    /// <summary>The transformers of a chain, recursively, so chains built of chains stay one flat ML.NET chain.</summary>
    public static IEnumerable<ITransformer> Flatten(ITransformer transformer) =>
        transformer is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [transformer];
}

/// <summary>The arg-max mapping's input: a multiclass score vector (probabilities or logits).</summary>
internal sealed class StudentScoreVector
{
    /// <summary>Gets or sets the scores of the K classes.</summary>
    [VectorType]
    public float[] Score { get; set; } = [];
}

/// <summary>The arg-max mapping's output: the predicted class index, 0..K-1, before it becomes a key.</summary>
internal sealed class StudentPredictedIndex
{
    /// <summary>Gets or sets the index of the largest score (the first one on ties).</summary>
    public float PredictedLabel { get; set; }
}

/// <summary>Maps a score vector to the index of its largest value.</summary>
[CustomMappingFactoryAttribute(StudentOutputMapping.ArgMaxContract)]
internal sealed class StudentArgMaxFactory : CustomMappingFactory<StudentScoreVector, StudentPredictedIndex>
{
    /// <inheritdoc/>
    public override Action<StudentScoreVector, StudentPredictedIndex> GetMapping() => static (input, output) =>
        output.PredictedLabel = input.Score.Length >= 2
            ? Numerics.SoftLabelMath.ArgMax(input.Score)
            : throw new InvalidOperationException($"A multiclass score has one value per class (at least 2) but this row has {input.Score.Length}.");
}

/// <summary>The binary mapping's input: the student's two class logits.</summary>
internal sealed class BinaryStudentLogits
{
    /// <summary>Gets or sets the logits of the negative and the positive class.</summary>
    [VectorType]
    public float[] StudentLogits { get; set; } = [];
}

/// <summary>The binary mapping's output: ML.NET's binary classification columns.</summary>
internal sealed class BinaryStudentOutput
{
    /// <summary>Gets or sets the margin z1 - z0 (the positive class's log-odds).</summary>
    public float Score { get; set; }

    /// <summary>Gets or sets the positive class's probability, sigmoid(Score).</summary>
    public float Probability { get; set; }

    /// <summary>Gets or sets whether the positive class is predicted (Score &gt; 0).</summary>
    public bool PredictedLabel { get; set; }
}

/// <summary>Maps two class logits to binary classification columns.</summary>
[CustomMappingFactoryAttribute(StudentOutputMapping.BinaryContract)]
internal sealed class BinaryStudentOutputFactory : CustomMappingFactory<BinaryStudentLogits, BinaryStudentOutput>
{
    /// <inheritdoc/>
    public override Action<BinaryStudentLogits, BinaryStudentOutput> GetMapping() => static (input, output) =>
    {
        float[] z = input.StudentLogits;
        if (z.Length != 2)
        {
            throw new InvalidOperationException($"A binary student has two logits per row but this row has {z.Length}.");
        }

        output.Score = z[1] - z[0];
        output.Probability = 1f / (1f + MathF.Exp(-output.Score));
        output.PredictedLabel = output.Score > 0f;
    };
}

/// <summary>The regression mapping's input: the prediction as a one-value vector.</summary>
internal sealed class RegressionStudentVector
{
    /// <summary>Gets or sets the prediction, as a vector of one value.</summary>
    [VectorType]
    public float[] Score { get; set; } = [];
}

/// <summary>The regression mapping's output: ML.NET's regression column.</summary>
internal sealed class RegressionStudentOutput
{
    /// <summary>Gets or sets the prediction.</summary>
    public float Score { get; set; }
}

/// <summary>Maps a one-value vector to a scalar score.</summary>
[CustomMappingFactoryAttribute(StudentOutputMapping.RegressionContract)]
internal sealed class RegressionStudentOutputFactory : CustomMappingFactory<RegressionStudentVector, RegressionStudentOutput>
{
    /// <inheritdoc/>
    public override Action<RegressionStudentVector, RegressionStudentOutput> GetMapping() => static (input, output) =>
        output.Score = input.Score.Length == 1
            ? input.Score[0]
            : throw new InvalidOperationException($"A regression student has one prediction per row but this row has {input.Score.Length}.");
}
