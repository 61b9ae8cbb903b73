using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Onnx;
using MLNetDistill.Teachers;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// Trains a small MLP student with the distillation loss (T²·KL to the teacher's softened outputs plus α·cross-entropy
/// on hard labels, optionally logit matching, a FitNets hint and RKD), in managed SIMD code, then exports it to ONNX.
/// Made by <c>mlContext.MulticlassClassification.Trainers.DistillMlp(...)</c>.
/// </summary>
public sealed class MlpStudentTrainer : IEstimator<MlpStudentTransformer>
{
    private readonly MLContext _mlContext;
    private readonly MlpStudentOptions _options;

    internal MlpStudentTrainer(MLContext mlContext, MlpStudentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Network.Validate();
        ArgumentException.ThrowIfNullOrWhiteSpace(options.FeatureColumnName);
        _mlContext = mlContext;
        _options = options;
    }

    /// <inheritdoc/>
    public MlpStudentTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var data = MlpDataReader.Read(input, _options);
        var history = new List<MlpEpochProgress>();
        var progress = new ListProgress(history, _options.Progress);
        var model = new MlpTrainer(_options.Network).Train(data, progress);
        byte[] onnx = OnnxStudentWriter.ToBytes(model);
        var scorerOptions = new TeacherScoringOptions
        {
            ModelFile = "mlp-student.onnx",
            FeatureColumnName = _options.FeatureColumnName,
            TeacherOutputName = OnnxStudentWriter.LogitsName,
            OutputKind = TeacherOutputKind.Logits,
            Task = TeacherTask.Multiclass,
            LogitsColumnName = "StudentLogits",
            SoftLabelsColumnName = "Score",
            PredictedLabelColumnName = "PredictedLabel",
            LabelColumnName = null,
        };
        var scorer = new TeacherScoringEstimator(_mlContext.Transforms, scorerOptions, onnx).Fit(input);
        return new MlpStudentTransformer(scorer, onnx, history);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (!inputSchema.Any(c => c.Name == _options.FeatureColumnName))
        {
            throw new ArgumentException($"Feature column '{_options.FeatureColumnName}' is not in the data.");
        }

        var columns = inputSchema.ToDictionary(c => c.Name);
        columns["StudentLogits"] = SchemaColumns.Create("StudentLogits", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
        columns["Score"] = SchemaColumns.Create("Score", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
        columns["PredictedLabel"] = SchemaColumns.Create("PredictedLabel", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true);
        return new SchemaShape(columns.Values);
    }

    private sealed class ListProgress(List<MlpEpochProgress> history, IProgress<MlpEpochProgress>? inner) : IProgress<MlpEpochProgress>
    {
        public void Report(MlpEpochProgress value)
        {
            history.Add(value);
            inner?.Report(value);
        }
    }
}
