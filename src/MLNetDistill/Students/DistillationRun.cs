using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Teachers;
using MLNetDistill.Numerics;

namespace MLNetDistill.Students;

/// <summary>
/// What <c>mlnet-distill distill</c> does: score the data with the teacher (or read its cache), train the student on
/// soft labels (and the hard-label twin), evaluate all against the test set, write the model and the report.
/// </summary>
public static class DistillationRun
{
    private const string WeightColumn = "Weight";
    private const string HintColumn = "TeacherHint";

    /// <summary>Runs a distillation.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="options">The inputs.</param>
    /// <param name="log">Receives progress lines.</param>
    /// <returns>The report, also written to <see cref="DistillationRunOptions.Report"/>.</returns>
    public static DistillationReport Run(MLContext mlContext, DistillationRunOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Train, "--train");
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Out, "--out");
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Report, "--report");
        var spec = StudentSpec.Parse(options.Student);
        float temperature = options.Temperature ?? 1f;
        float alpha = options.Alpha ?? (spec.IsNeural ? 0.7f : 0.5f);
        if (!(alpha >= 0f && alpha <= 1f))
        {
            throw new ArgumentOutOfRangeException("--alpha", alpha, $"--alpha must be in [0, 1] (the weight of the soft labels) but was {alpha}.");
        }

        SoftLabels.SoftLabelMath.CheckTemperature(temperature, "--temperature");
        if (options.Teacher is null && (options.SoftLabelsCache is null || options.Transfer is not null))
        {
            throw new ArgumentException("--teacher is needed to label the data (and --transfer rows); only --soft-labels CACHE without --transfer can do without it (soft labels made elsewhere: no ONNX teacher at all).");
        }

        IDataView trainAll = DataSourceReader.Load(options.Train, options.Label);
        RequireLabel(trainAll, options.Train);
        IDataView train, test;
        if (options.Test is not null)
        {
            train = trainAll;
            test = DataSourceReader.Load(options.Test, options.Label);
            RequireLabel(test, options.Test);
        }
        else
        {
            var split = mlContext.Data.TrainTestSplit(trainAll, testFraction: 0.2, seed: options.Seed);
            (train, test) = (split.TrainSet, split.TestSet);
            log?.Invoke("no --test: 20% of the training rows are held out for evaluation");
        }

        // Soft labels for the training rows: from the cache, or from the teacher.
        TeacherScoringTransformer? teacher = null;
        TeacherScoringTransformer? evalTeacher = null;
        try
        {
            if (options.Teacher is not null)
            {
                var scoring = new TeacherScoringOptions { ModelFile = options.Teacher, Temperature = temperature };
                if (spec.Loss == "hint")
                {
                    // FitNets: the student's last hidden layer learns (through a projection) the teacher's penultimate layer.
                    scoring.Hints.Add(new TeacherHint(PenultimateTensor(options.Teacher), HintColumn));
                }

                teacher = mlContext.Transforms.ScoreWithTeacher(scoring).Fit(train);
            }
            else if (spec.Loss == "hint")
            {
                throw new ArgumentException("loss=hint needs --teacher: the hint is the teacher's penultimate layer, which a cache does not hold.");
            }

            IDataView scoredTrain;
            if (options.SoftLabelsCache is not null)
            {
                var metadata = TeacherCache.ReadMetadata(options.SoftLabelsCache);
                if (options.Teacher is not null)
                {
                    metadata.EnsureMatches(FileFingerprint.Sha256(options.Teacher), null);
                }

                if (options.Test is null)
                {
                    throw new ArgumentException("--soft-labels needs --test: the cache holds one row per training row, so the training file cannot be split.");
                }

                // The stored soft labels when they were made at this temperature; else recomputed from the stored logits.
                var cache = TeacherCache.Read(options.SoftLabelsCache, metadata.Temperature == temperature ? null : temperature);
                var dropped = mlContext.Transforms.DropColumns(DataColumnNames.Label).Fit(cache).Transform(cache);
                scoredTrain = DataViewZip.Create(train, dropped, "training data", "soft-label cache");
            }
            else
            {
                scoredTrain = teacher!.Transform(train);
            }

            long trainRows = Count(train);
            long transferRows = 0;
            IDataView studentData = mlContext.Data.Cache(scoredTrain);
            if (options.Transfer is not null)
            {
                var transfer = DataSourceReader.Load(options.Transfer, options.Label);
                if (transfer.Schema.GetColumnOrNull(DataColumnNames.Label) is not null)
                {
                    transfer = mlContext.Transforms.DropColumns(DataColumnNames.Label).Fit(transfer).Transform(transfer);
                }

                var scoredTransfer = mlContext.Data.Cache(teacher!.Transform(transfer));
                transferRows = Count(scoredTransfer);
                studentData = mlContext.Data.Cache(new AppendRowsDataView(studentData, scoredTransfer));
                log?.Invoke($"{transferRows:N0} transfer rows labeled by the teacher");
            }

            // The teacher on the test rows, at T = 1 for the metrics.
            IDataView scoredTest;
            if (teacher is not null)
            {
                evalTeacher = mlContext.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = options.Teacher!, Temperature = 1f }).Fit(test);
                scoredTest = mlContext.Data.Cache(evalTeacher.Transform(test));
            }
            else
            {
                // Soft labels made elsewhere, no ONNX teacher: the student is evaluated on the labels alone
                // (teacher metrics, agreement and KL are NaN in the report).
                scoredTest = mlContext.Data.Cache(test);
                log?.Invoke("no --teacher: agreement and KL to the teacher cannot be measured on the test rows");
            }

            int classes = ((VectorDataViewType)studentData.Schema[DataColumnNames.SoftLabels].Type).Size;
            long testRows = Count(scoredTest);
            string? teacherColumn = teacher is null ? null : DataColumnNames.SoftLabels;
            var teacherReport = teacher is null
                ? new DistillationModelReport(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, 0)
                : Report(DistillationEvaluator.Evaluate(scoredTest, DataColumnNames.SoftLabels), 0, new FileInfo(options.Teacher!).Length);

            log?.Invoke($"training {spec} on soft labels (T = {temperature}, alpha = {alpha})");
            var (studentModel, studentSeconds) = Train(mlContext, spec, studentData, classes, temperature, alpha, options.Seed, hardOnly: false, log, options.EpochProgress);
            long studentBytes = Save(mlContext, studentModel, train.Schema, options.Out, spec);
            bool logits = spec.Family == "logits";
            var studentReport = Report(DistillationEvaluator.Evaluate(studentModel.Transform(scoredTest), teacherSoftLabelsColumnName: teacherColumn, scoresAreLogits: logits), studentSeconds, studentBytes);

            DistillationModelReport? baselineReport = null;
            if (options.Baseline)
            {
                log?.Invoke($"training {spec} on hard labels (baseline)");
                var labeled = mlContext.Data.Cache(scoredTrain);
                var (baselineModel, baselineSeconds) = Train(mlContext, spec, labeled, classes, temperature, alpha, options.Seed, hardOnly: true, log, options.EpochProgress);
                string baselinePath = Path.Combine(Path.GetTempPath(), $"mlnetdistill-baseline-{Guid.NewGuid():N}.zip");
                long baselineBytes = Save(mlContext, baselineModel, train.Schema, baselinePath, spec);
                File.Delete(baselinePath);
                File.Delete(Path.ChangeExtension(baselinePath, ".onnx"));
                baselineReport = Report(DistillationEvaluator.Evaluate(baselineModel.Transform(scoredTest), teacherSoftLabelsColumnName: teacherColumn), baselineSeconds, baselineBytes);
                (baselineModel as IDisposable)?.Dispose();
            }

            (studentModel as IDisposable)?.Dispose();
            var report = new DistillationReport(teacherReport, studentReport, baselineReport, studentReport.Accuracy / teacherReport.Accuracy,
                spec.ToString(), temperature, alpha, trainRows, transferRows, testRows, options.Seed);
            AtomicFile.Write(options.Report, stream => JsonSerializer.Serialize(stream, report, ReportJson));
            return report;
        }
        finally
        {
            teacher?.Dispose();
            evalTeacher?.Dispose();
        }
    }

    /// <summary>The JSON form of the report: camelCase, NaN as a string where a metric is undefined.</summary>
    public static JsonSerializerOptions ReportJson { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static (ITransformer Model, double Seconds) Train(MLContext ml, StudentSpec spec, IDataView data, int classes, float temperature, float alpha, int seed, bool hardOnly, Action<string>? log, IProgress<MlpEpochProgress>? epochProgress)
    {
        var watch = Stopwatch.StartNew();
        ITransformer model;
        if (spec.IsNeural)
        {
            var options = new MlpStudentOptions();
            options.Network.HiddenLayerSizes = spec.HiddenLayers.ToArray();
            options.Network.Epochs = (int)spec["epochs"];
            options.Network.LearningRate = (float)spec["lr"];
            options.Network.BatchSize = (int)spec["batch"];
            options.Network.Seed = seed;
            options.Network.Temperature = temperature;
            options.Network.Alpha = hardOnly ? 0f : alpha;
            if (epochProgress is not null)
            {
                options.Progress = epochProgress;
            }
            else if (log is not null)
            {
                options.Progress = new EpochLog(log);
            }

            switch (spec.Loss)
            {
                case "mse":
                    options.Network.LogitMatchingWeight = 1f;
                    break;
                case "rkd":
                    options.Network.RelationalWeight = 1f;
                    break;
                case "hint":
                    options.HintColumnName = HintColumn;
                    options.Network.HintWeight = 1f;
                    break;
            }

            if (hardOnly)
            {
                options.Network.LogitMatchingWeight = 0f;
                options.Network.RelationalWeight = 0f;
                options.Network.HintWeight = 0f;
                options.HintColumnName = null;
            }

            model = ml.MulticlassClassification.Trainers.DistillMlp(options).Fit(data);
        }
        else if (spec.Family == "logits" && !hardOnly)
        {
            model = ml.MulticlassClassification.Trainers.LogitMatching(label => ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
            {
                LabelColumnName = label,
                NumberOfTrees = (int)spec["trees"],
                NumberOfLeaves = (int)spec["leaves"],
                Seed = seed,
                NumberOfThreads = 1,
            })).Fit(data);
        }
        else if (hardOnly)
        {
            var keyData = ml.Data.LoadFromEnumerable(Enumerable.Range(0, classes).Select(c => new ClassValue { Label = c }));
            var toKey = ml.Transforms.Conversion.MapValueToKey(DataColumnNames.Label, keyData: keyData);
            var keyed = toKey.Fit(data).Transform(data);
            var labeled = ml.Data.FilterRowsByMissingValues(keyed, DataColumnNames.Label);
            model = BaseTrainer(ml, spec, seed, weighted: false).Fit(labeled);
        }
        else
        {
            model = ml.MulticlassClassification.Trainers.SoftLabel(BaseTrainer(ml, spec, seed, weighted: true), new SoftLabelOptions { Alpha = alpha }).Fit(data);
        }

        return (model, watch.Elapsed.TotalSeconds);
    }

    private static IEstimator<ITransformer> BaseTrainer(MLContext ml, StudentSpec spec, int seed, bool weighted)
    {
        string? weight = weighted ? WeightColumn : null;
        var trainers = ml.MulticlassClassification.Trainers;
        return spec.Family switch
        {
            "lightgbm" => trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                LabelColumnName = DataColumnNames.Label,
                ExampleWeightColumnName = weight,
                NumberOfIterations = (int)spec["trees"],
                NumberOfLeaves = (int)spec["leaves"],
                LearningRate = spec["lr"],
                Seed = seed,
                Deterministic = true,
                NumberOfThreads = 1,
                ForceColumnWise = true,
                Silent = true,
            }),
            "fasttree" or "logits" => trainers.OneVersusAll(
                ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
                {
                    ExampleWeightColumnName = weight,
                    NumberOfTrees = (int)spec["trees"],
                    NumberOfLeaves = (int)spec["leaves"],
                    Seed = seed,
                    NumberOfThreads = 1,
                }),
                labelColumnName: DataColumnNames.Label),
            "sdca" => trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = DataColumnNames.Label,
                ExampleWeightColumnName = weight,
                MaximumNumberOfIterations = (int)spec["iterations"],
                NumberOfThreads = 1,
            }),
            "lbfgs" => trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = DataColumnNames.Label,
                ExampleWeightColumnName = weight,
                MaximumNumberOfIterations = (int)spec["iterations"],
                NumberOfThreads = 1,
            }),
            _ => throw new ArgumentException($"Unknown student family '{spec.Family}'."),
        };
    }

    private static long Save(MLContext ml, ITransformer model, DataViewSchema schema, string path, StudentSpec spec)
    {
        AtomicFile.Write(path, stream => ml.Model.Save(model, schema, stream));
        long bytes = new FileInfo(path).Length;
        if (model is MlpStudentTransformer mlp)
        {
            string onnx = Path.ChangeExtension(path, ".onnx");
            mlp.SaveOnnx(onnx);
            bytes = new FileInfo(onnx).Length;
        }

        return bytes;
    }

    /// <summary>The input of the teacher's last linear layer (Gemm, or MatMul with or without Add) that makes its first output.</summary>
    private static string PenultimateTensor(string teacherPath)
    {
        var graph = Onnx.OnnxModelInfo.Load(teacherPath).Model.Graph;
        string tensor = graph.Output[0].Name;
        for (int guard = 0; guard < 16; guard++)
        {
            var node = graph.Node.LastOrDefault(n => n.Output.Contains(tensor));
            if (node is null)
            {
                break;
            }

            if (node.OpType is "Gemm" or "MatMul")
            {
                return node.Input[0];
            }

            if (node.OpType is "Identity" or "Add" or "Reshape" or "Flatten" && node.Input.Count > 0)
            {
                tensor = node.Input[0];
                continue;
            }

            break;
        }

        throw new ArgumentException($"loss=hint could not find the teacher's penultimate layer (its output '{graph.Output[0].Name}' is not made by a final Gemm/MatMul). Use the library: MlpStudentOptions.HintColumnName with a TeacherHint column of the tensor you choose (`mlnet-distill inspect` lists them).");
    }

    private static DistillationModelReport Report(DistillationMetrics m, double seconds, long bytes) =>
        new(m.Accuracy, m.MacroF1, m.LogLoss, m.Agreement, m.KlToTeacher, Math.Round(seconds, 3), bytes);

    private static void RequireLabel(IDataView data, string path)
    {
        if (data.Schema.GetColumnOrNull(DataColumnNames.Label) is null)
        {
            throw new ArgumentException($"'{path}' has no label column: pass --label NAME for CSV or Parquet files (IDX files find their labels beside the images).");
        }
    }

    private static long Count(IDataView data)
    {
        if (data.GetRowCount() is long n)
        {
            return n;
        }

        using var cursor = data.GetRowCursor([]);
        long rows = 0;
        while (cursor.MoveNext())
        {
            rows++;
        }

        return rows;
    }

    private sealed class EpochLog(Action<string> log) : IProgress<MlpEpochProgress>
    {
        public void Report(MlpEpochProgress p) => log(
            $"epoch {p.Epoch}/{p.Epochs}: train loss {p.TrainLoss:F4}" +
            (p.ValidationLoss is double v ? $", validation loss {v:F4}" : "") +
            (p.ValidationAccuracy is double a ? $", validation accuracy {a:P1}" : "") +
            $" ({p.Seconds:F2} s){(p.IsBest ? " *" : "")}");
    }

    private sealed class ClassValue
    {
        public float Label { get; set; }
    }
}
