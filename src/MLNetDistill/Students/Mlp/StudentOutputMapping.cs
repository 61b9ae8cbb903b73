using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// The ML.NET columns of binary and regression MLP students, made from the student's ONNX outputs by ML.NET's own
/// <c>CustomMapping</c>, so that the same step runs after the fast batched scorer and is saved with the model (after
/// ML.NET's <c>ApplyOnnxModel</c>, whose outputs are vectors). Loading such a model needs
/// <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly)</c>, as any custom mapping does.
/// </summary>
internal static class StudentOutputMapping
{
    /// <summary>The contract name of the binary mapping (stored in saved models; never change it).</summary>
    public const string BinaryContract = "MLNetDistill.MlpBinaryStudentOutput";

    /// <summary>The contract name of the regression mapping (stored in saved models; never change it).</summary>
    public const string RegressionContract = "MLNetDistill.MlpRegressionStudentOutput";

    /// <summary>The student logits column the binary mapping reads.</summary>
    public const string LogitsColumn = "StudentLogits";

    /// <summary>Fits the binary mapping: <c>StudentLogits</c> [2] to <c>Score</c>, <c>Probability</c>, <c>PredictedLabel</c>.</summary>
    public static ITransformer Binary(TransformsCatalog transforms, IDataView data) =>
        transforms.CustomMapping(new BinaryStudentOutputFactory().GetMapping(), BinaryContract).Fit(data);

    /// <summary>Fits the regression mapping: a one-value vector <c>Score</c> (as ApplyOnnxModel makes it) to a scalar <c>Score</c>.</summary>
    public static ITransformer Regression(TransformsCatalog transforms, IDataView data) =>
        transforms.CustomMapping(new RegressionStudentOutputFactory().GetMapping(), RegressionContract).Fit(data);
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
