using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Onnx;
using MLNetDistill.Teachers;
using MLNetDistill.MlNet;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// Trains a small MLP student with the distillation loss (T²·KL to the teacher's softened outputs plus α·cross-entropy
/// on hard labels, optionally logit matching, a FitNets hint and RKD), in managed SIMD code, then exports it to ONNX.
/// Made by <c>mlContext.MulticlassClassification.Trainers.DistillMlp(...)</c> (columns <c>Score</c> vector,
/// <c>PredictedLabel</c> key over the classes' values), <c>BinaryClassification.Trainers.DistillMlp(...)</c> (<c>Score</c>, <c>Probability</c>,
/// <c>PredictedLabel</c> bool) or <c>Regression.Trainers.DistillMlp(...)</c> (<c>Score</c>).
/// </summary>
public sealed class MlpStudentTrainer : IEstimator<MlpStudentTransformer>
{
    private readonly TransformsCatalog _transforms;
    private readonly MlpStudentOptions _options;
    private readonly TeacherTask _task;

    internal MlpStudentTrainer(TransformsCatalog transforms, MlpStudentOptions options, TeacherTask task = TeacherTask.Multiclass)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
        _transforms = transforms;
        _task = task;
    }

    /// <inheritdoc/>
    public MlpStudentTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var history = new List<MlpEpochProgress>();
        var progress = new ListProgress(history, _options.Progress);
        MlpModel model;
        ClassValues? classes = null;
        if (_task == TeacherTask.Regression)
        {
            // Trained on standardized targets; the scale goes back into the output layer, so the ONNX predicts in target units.
            var (data, mean, deviation) = MlpDataReader.ReadRegression(input, _options);
            model = new MlpTrainer(_options.Network) { Teacher = _options.Teacher }.Train(data, progress, _options.CancellationToken);
            model.FoldOutputScale(deviation, mean);
        }
        else
        {
            var data = MlpDataReader.Read(input, _options);
            if (_task == TeacherTask.Binary && data.ClassCount != 2)
            {
                throw new ArgumentException($"A binary student needs a two-class teacher, but the teacher's outputs have {data.ClassCount} classes. Use MulticlassClassification.Trainers.DistillMlp for a multiclass teacher.");
            }

            // Before training: a key label numbered otherwise than the teacher's classes is an error, not a silent mismatch.
            classes = ClassValues.Resolve(input.Schema, _options.LabelColumnName, DataColumnNames.TeacherPredictedLabel, data.ClassCount);
            model = new MlpTrainer(_options.Network) { Teacher = _options.Teacher }.Train(data, progress, _options.CancellationToken);
        }

        byte[] onnx = OnnxStudentWriter.ToBytes(model);
        var scorer = new TeacherScoringEstimator(_transforms, ScorerOptions(), onnx).Fit(input);
        var scored = scorer.GetOutputSchema(input.Schema);
        ITransformer[] post = _task switch
        {
            TeacherTask.Binary => [StudentOutputMapping.Binary(_transforms, new EmptyDataView(scored))],
            TeacherTask.Multiclass => StudentOutputMapping.Multiclass(_transforms, scored, classes!),
            _ => [],
        };
        return new MlpStudentTransformer(_transforms, _task, scorer, post, onnx, history);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckInput(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        void Add(string name, SchemaShape.Column.VectorKind kind, DataViewType type, bool isKey = false) => columns[name] = SchemaColumns.Create(name, kind, type, isKey);
        var scorer = ScorerOptions();
        if (_task == TeacherTask.Regression)
        {
            Add(scorer.ScoreColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single);
        }
        else
        {
            Add(scorer.LogitsColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single);
            Add(scorer.SoftLabelsColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single);
            Add(scorer.PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, isKey: true);
        }

        if (_task == TeacherTask.Binary)
        {
            // What StudentOutputMapping.Binary adds (BinaryStudentOutput's properties).
            Add(nameof(BinaryStudentOutput.Score), SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single);
            Add(nameof(BinaryStudentOutput.Probability), SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single);
            Add(nameof(BinaryStudentOutput.PredictedLabel), SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance);
        }

        return new SchemaShape(columns.Values);
    }

    /// <summary>Checks the columns <see cref="Fit"/> reads: their presence and item types (the sizes are checked by <see cref="Fit"/>).</summary>
    private void CheckInput(SchemaShape inputSchema)
    {
        SchemaShapeChecks.RequireSingleVector(inputSchema, _options.FeatureColumnName, "feature", "Set FeatureColumnName to the data's feature vector column.");
        const string score = "Score the data with mlContext.Transforms.ScoreWithTeacher(...) or read a teacher cache first.";
        if (_options.HintColumnName is { } hint)
        {
            SchemaShapeChecks.RequireSingleVector(inputSchema, hint, "hint", "Expose the teacher tensor with TeacherScoringOptions.Hints.");
        }

        if (_task == TeacherTask.Regression)
        {
            SchemaShapeChecks.RequireTeacherScore(inputSchema, _options.TeacherScoreColumnName);
            SchemaShapeChecks.CheckOptionalRegressionLabel(inputSchema, _options.LabelColumnName);
            return;
        }

        if (_options.TeacherLogitsColumnNames.Count > 0)
        {
            foreach (string logits in _options.TeacherLogitsColumnNames)
            {
                SchemaShapeChecks.RequireSingleVector(inputSchema, logits, "teacher logits", score);
            }
        }
        else if (SchemaShapeChecks.TryFind(inputSchema, _options.TeacherLogitsColumnName, out _))
        {
            SchemaShapeChecks.RequireSingleVector(inputSchema, _options.TeacherLogitsColumnName, "teacher logits", score);
        }
        else if (SchemaShapeChecks.TryFind(inputSchema, _options.SoftLabelsColumnName, out _))
        {
            SchemaShapeChecks.RequireSingleVector(inputSchema, _options.SoftLabelsColumnName, "soft-label", score);
        }
        else
        {
            throw new ArgumentException($"The data has neither the teacher logits column '{_options.TeacherLogitsColumnName}' nor the soft-label column '{_options.SoftLabelsColumnName}'. {score} Columns present: {SchemaShapeChecks.Names(inputSchema)}.");
        }

        SchemaShapeChecks.CheckOptionalLabel(inputSchema, _options.LabelColumnName);
    }

    /// <summary>How the student's ONNX graph is scored: which columns the batched scorer adds, by task.</summary>
    private TeacherScoringOptions ScorerOptions() => new()
    {
        ModelFile = "mlp-student.onnx",
        FeatureColumnName = _options.FeatureColumnName,
        TeacherOutputName = OnnxStudentWriter.LogitsName,
        OutputKind = TeacherOutputKind.Logits,
        Task = _task,
        LogitsColumnName = StudentOutputMapping.LogitsColumn,
        SoftLabelsColumnName = _task == TeacherTask.Multiclass ? DataColumnNames.Score : "StudentProbabilities",
        PredictedLabelColumnName = _task == TeacherTask.Multiclass ? DataColumnNames.PredictedLabel : "StudentPredictedClass",
        ScoreColumnName = DataColumnNames.Score,
        LabelColumnName = null,
    };

    private sealed class ListProgress(List<MlpEpochProgress> history, IProgress<MlpEpochProgress>? inner) : IProgress<MlpEpochProgress>
    {
        public void Report(MlpEpochProgress value)
        {
            history.Add(value);
            inner?.Report(value);
        }
    }
}
