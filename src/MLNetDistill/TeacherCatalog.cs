using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill;

/// <summary>Extension methods that add ONNX teacher scoring to <see cref="TransformsCatalog"/> (<c>mlContext.Transforms</c>).</summary>
public static class TeacherCatalog
{
    /// <summary>
    /// Scores the data with an ONNX teacher in batches, adding <c>TeacherLogits</c>, <c>SoftLabels</c> (softmax at
    /// <paramref name="temperature"/>) and <c>TeacherPredictedLabel</c> columns.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelFile">The teacher's <c>.onnx</c> file.</param>
    /// <param name="featureColumnName">The vector column fed to the teacher's single input; a flat vector is reshaped to the input's shape (e.g. [N, 1, 28, 28]).</param>
    /// <param name="temperature">The soft-label temperature; positive and finite.</param>
    /// <returns>The estimator.</returns>
    /// <example>
    /// <code language="csharp">
    /// var data = IdxReader.Load("samples/data/fashion-mnist/t10k-images-idx3-ubyte.gz");
    /// using var teacher = mlContext.Transforms.ScoreWithTeacher("samples/teachers/fashion_cnn.onnx").Fit(data);
    /// var scored = teacher.Transform(data); // + TeacherLogits, SoftLabels, TeacherPredictedLabel
    /// </code>
    /// See samples/ScoreTeacher for the whole program.
    /// </example>
    public static TeacherScoringEstimator ScoreWithTeacher(this TransformsCatalog catalog, string modelFile, string featureColumnName = DataColumnNames.Features, float temperature = 1f) =>
        ScoreWithTeacher(catalog, new TeacherScoringOptions { ModelFile = modelFile, FeatureColumnName = featureColumnName, Temperature = temperature });

    /// <summary>
    /// Scores the data with an ONNX teacher in batches, with every option: several named inputs, the output to read,
    /// intermediate tensors to expose, batch size, GPU and fallback, invalid-row handling.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The options; copied and validated here (the estimator keeps the copy).</param>
    /// <returns>The estimator.</returns>
    /// <example>
    /// <code language="csharp">
    /// var options = new TeacherScoringOptions { ModelFile = "teacher.onnx", Temperature = 4, GpuDeviceId = 0, FallbackToCpu = true };
    /// options.Hints.Add(new TeacherHint("/fc1/Gemm_output_0", "TeacherHidden"));
    /// var estimator = mlContext.Transforms.ScoreWithTeacher(options);
    /// </code>
    /// </example>
    public static TeacherScoringEstimator ScoreWithTeacher(this TransformsCatalog catalog, TeacherScoringOptions options) =>
        new(catalog, options);
}
