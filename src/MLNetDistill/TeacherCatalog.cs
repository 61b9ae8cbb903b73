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

    /// <summary>
    /// Scores a text column with an ONNX text teacher (a transformer taking <c>input_ids</c> and <c>attention_mask</c>,
    /// and <c>token_type_ids</c> when it has that input), tokenizing each row with the teacher's own tokenizer, and adds
    /// <c>TeacherLogits</c>, <c>SoftLabels</c> and <c>TeacherPredictedLabel</c>.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelFile">The teacher's <c>.onnx</c> file.</param>
    /// <param name="textColumnName">The text column (ML.NET's <c>TextDataViewType</c>; <see cref="DataSourceReader.LoadText"/> reads CSV files so).</param>
    /// <param name="tokenizerFile">
    /// The tokenizer: a BERT <c>vocab.txt</c>, a WordPiece or byte-level BPE <c>tokenizer.json</c>, a SentencePiece <c>tokenizer.model</c>
    /// or a tiktoken <c>*.tiktoken</c> rank file; <see langword="null"/> takes the first of these beside <paramref name="modelFile"/>
    /// (with <c>tokenizer_config.json</c>).
    /// </param>
    /// <param name="maxTokens">The most tokens per text (longer texts are truncated and counted); <see langword="null"/> for the teacher's own length, else 512.</param>
    /// <param name="temperature">The soft-label temperature; positive and finite.</param>
    /// <returns>The estimator. Its transformer is not saveable with <c>mlContext.Model.Save</c> (ML.NET's ApplyOnnxModel cannot tokenize): keep the teacher's files.</returns>
    /// <exception cref="FileNotFoundException">No tokenizer file: the message lists the files looked for.</exception>
    /// <exception cref="ArgumentException">The teacher has no <c>input_ids</c>, its vocabulary is larger than its embedding table, or an option is out of range.</exception>
    /// <example>
    /// <code language="csharp">
    /// IDataView emails = DataSourceReader.LoadText("samples/data/spam-assassin/csv/test.csv", "Text");
    /// using var teacher = mlContext.Transforms.ScoreTextWithTeacher("samples/teachers/spam_transformer/model.onnx", "Text").Fit(emails);
    /// var scored = teacher.Transform(emails); // + TeacherLogits, SoftLabels, TeacherPredictedLabel (0 = ham, 1 = spam)
    /// long truncated = teacher.TruncatedTexts; // counted as the rows are scored
    /// </code>
    /// </example>
    public static TeacherScoringEstimator ScoreTextWithTeacher(this TransformsCatalog catalog, string modelFile, string textColumnName, string? tokenizerFile = null,
        int? maxTokens = null, float temperature = 1f) =>
        ScoreWithTeacher(catalog, new TeacherScoringOptions
        {
            ModelFile = modelFile,
            TextColumnName = textColumnName,
            TokenizerFile = tokenizerFile,
            MaxTokens = maxTokens,
            Temperature = temperature,
        });
}
