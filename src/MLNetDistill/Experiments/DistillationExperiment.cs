using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Augmentation;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Onnx;
using MLNetDistill.SoftLabels;
using MLNetDistill.Students;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Teachers;
using MLNetDistill.Numerics;
using SoftLabelMath = MLNetDistill.Numerics.SoftLabelMath;
using MLNetDistill.MlNet;

namespace MLNetDistill.Experiments;

/// <summary>
/// One distillation over <see cref="IDataView"/>s: the teacher scores each data set once (training, transfer and test
/// rows), every student trains on the same scored rows (and, when asked, so does its hard-label twin), and every model is
/// measured on the same test rows against the labels and against the teacher at T = 1. Nothing is written to disk: save
/// what you keep with <see cref="DistillationResultWriter"/>.
/// </summary>
/// <remarks>
/// <para>The teacher's output, whether live from its ONNX model or read back from a cache, is one kind of data view
/// (<c>Features</c>, <c>Label</c>, <c>TeacherLogits</c>, <c>SoftLabels</c>, <c>TeacherPredictedLabel</c>), so training from a
/// cache and from the teacher is the same code and gives the same models.</para>
/// <para>The evaluation's T = 1 probabilities are computed from the logits already scored, whatever the training temperature:
/// no second teacher run. So are the soft labels of a student trained at another temperature than the teacher scored at
/// (a <see cref="StudentSizeExperiment"/> sweep's trial): softmax(logits / T) over the cached rows.</para>
/// <para>Each student from a spec is built in an <see cref="MLContext"/> of its own seeded with
/// <see cref="DistillationExperimentOptions.Seed"/> (ML.NET seeds components in the order they are made), so its model
/// depends on the seed, its spec and the rows alone: not on its place among the students, nor on whether the soft labels
/// came from a cache. Its warnings go to your context's log.</para>
/// </remarks>
/// <example>
/// <code language="csharp">
/// var mlContext = new MLContext(seed: 0);
/// IDataView data = DataSourceReader.Load("samples/data/fashion-mnist/t10k-images-idx3-ubyte.gz"); // Features, Label
/// var options = new DistillationExperimentOptions { TeacherModelFile = "samples/teachers/fashion_cnn.onnx", Baseline = true };
/// options.Students.Add(DistillationStudent.FromSpec("sdca"));
/// options.Students.Add(DistillationStudent.FromSpec("mlp:128"));
/// using var result = new DistillationExperiment(mlContext, options).Run(data); // 20% of the rows held out to evaluate
/// foreach (var student in result.Students)
/// {
///     Console.WriteLine($"{student.Name}: accuracy {student.Distilled.Metrics.Accuracy:F4} (hard labels {student.Baseline!.Metrics.Accuracy:F4}), teacher {result.Teacher!.Accuracy:F4}");
/// }
///
/// DistillationResultWriter.SaveModel(mlContext, result.Students[1].Distilled, result.InputSchema, "student.zip"); // and student.onnx
/// </code>
/// </example>
public sealed class DistillationExperiment
{
    /// <summary>The column of the teacher's penultimate layer, added when a student trains on it (an MLP with <c>loss=hint</c>).</summary>
    public const string HintColumnName = "TeacherHint";

    private const int CancellationCheckRows = 4096;

    private readonly MLContext _mlContext;
    private readonly DistillationExperimentOptions _options;

    /// <summary>Makes an experiment; the options are checked and copied here.</summary>
    /// <param name="mlContext">The ML.NET context (trainers, caching, the split of test rows).</param>
    /// <param name="options">The teacher, the students and how they are trained.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range; the message names it and the fix.</exception>
    /// <exception cref="FileNotFoundException">The teacher model file does not exist.</exception>
    public DistillationExperiment(MLContext mlContext, DistillationExperimentOptions options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(options);
        _mlContext = mlContext;
        _options = options.Validated();
    }

    /// <summary>Gets or sets a check made before each student trains; <see langword="false"/> stops the run there (the students trained so far are returned). Used by <see cref="StudentSizeExperiment"/>'s time budget.</summary>
    internal Func<DistillationStudent, bool>? BeforeStudent { get; set; }

    /// <summary>Asked while the synthetic rows are made (every 256 rows): <see langword="true"/> ends the augmentation there, keeping the rows made (a time budget).</summary>
    internal Func<bool>? StopAugmentation { get; set; }

    /// <summary>Gets or sets a callback made after each student is trained and measured (a trial report).</summary>
    internal Action<DistillationStudentResult>? AfterStudent { get; set; }

    /// <summary>Gets the test rows of the current (or last) run, in memory with the teacher's columns: what <see cref="StudentSizeExperiment"/> times the students on.</summary>
    internal IDataView? TestRows { get; private set; }

    /// <summary>Scores the data with the teacher (once per data set), trains every student, and measures them all on the test rows.</summary>
    /// <param name="train">Training rows: <c>Features</c> (or the text column) and, usually, a <c>Label</c> class index. Without a <c>Label</c> column the students learn from the soft labels alone, the hard-label twins are not trained (a progress message says so), and held-out test rows are measured against the teacher only.</param>
    /// <param name="test">Evaluation rows, or <see langword="null"/> to hold out <see cref="DistillationExperimentOptions.TestFraction"/> of the training rows (seeded).</param>
    /// <param name="transfer">Unlabeled rows for the teacher to label and the students to learn from, or <see langword="null"/>; a label column there is ignored.</param>
    /// <param name="progress">Receives what is being done: each data set scored, each student trained and evaluated, each MLP epoch.</param>
    /// <param name="cancellationToken">
    /// Stops the experiment between rows of scoring, between models, and inside a student's training: MLP students between
    /// mini-batches; ML.NET trainers through their own context's cancellation (FastTree, SDCA and L-BFGS stop at their next
    /// check; LightGbm's native training loop does not check, so it runs on to its end).
    /// </param>
    /// <returns>The teacher's and the students' metrics and models; dispose it when done with the models.</returns>
    /// <exception cref="ArgumentException">The data do not fit the teacher or each other; the message names the column or data set.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public DistillationExperimentResult Run(IDataView train, IDataView? test = null, IDataView? transfer = null,
        IProgress<DistillationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        bool labeled = CheckLabels(train, progress);
        bool needsHint = CheckInputs(train, test, transfer);
        var run = new DistillationRunState(train, test, transfer, labeled, needsHint, progress, cancellationToken);
        try
        {
            PrepareTeacher(run);
            PrepareSets(run);
            ScoreSets(run);
            Augment(run);
            GatherStudentRows(run);
            EvaluateTeacher(run);
            TrainStudents(run);
            return Result(run);
        }
        finally
        {
            run.OwnedTeacher?.Dispose();
        }
    }

    /// <summary>Checks what can be checked before the teacher opens: the options against the data given, and the data sets' features against each other. Returns whether a student needs the teacher's hint column.</summary>
    private bool CheckInputs(IDataView train, IDataView? test, IDataView? transfer)
    {
        var options = _options;
        bool needsHint = options.Students.Any(s => s.Spec?.NeedsTeacherHint == true);
        if (transfer is not null && options.TeacherModelFile is null && options.Teacher is null)
        {
            throw new ArgumentException(
                "Transfer rows need a teacher to label them, but only TrainingSoftLabels (a cache of the training rows) is set: set TeacherModelFile or Teacher as well.",
                nameof(transfer));
        }

        if (needsHint && options.TrainingSoftLabels is not null)
        {
            throw new ArgumentException(
                "A student trains on the teacher's penultimate layer (loss=hint), which a cache of soft labels does not hold: train from the teacher (TeacherModelFile) without TrainingSoftLabels, or choose another loss.",
                nameof(options.TrainingSoftLabels));
        }

        if (options.Budget is not null && transfer is null)
        {
            throw new ArgumentException(
                "Budget buys teacher labels for transfer rows, but no transfer rows were given: pass the unlabeled pool as Run(train, test, transfer), or leave Budget unset.",
                nameof(transfer));
        }

        // Only the columns the student uses must be in every file: the features must match (other columns are left out when rows are joined).
        if (test is not null)
        {
            FeatureColumns.CheckSameFeatures(train.Schema, test.Schema, "test", nameof(test));
        }

        if (transfer is not null)
        {
            FeatureColumns.CheckSameFeatures(train.Schema, transfer.Schema, "transfer", nameof(transfer));
        }

        return needsHint;
    }

    /// <summary>Stage 1: the temperature and the teacher (the caller's, or one session opened on the model file, or none with soft labels from a cache), checked against the students.</summary>
    private void PrepareTeacher(DistillationRunState run)
    {
        var options = _options;
        run.CancellationToken.ThrowIfCancellationRequested();
        float temperature = options.Temperature ?? options.Teacher?.Options.Temperature ?? DistillationExperimentOptions.DefaultTemperature;
        run.Temperature = temperature;
        var teacher = options.Teacher ?? (run.OwnedTeacher = OpenTeacher(run.Train, temperature, run.NeedsHint, run.Progress));
        run.Teacher = teacher;
        CheckTeacher(teacher, temperature);
        if (teacher is null && options.Students.FirstOrDefault(s => s.Spec?.NeedsLiveTeacher == true) is { } live)
        {
            throw new ArgumentException(
                $"Student '{live.Spec}' is taught on the fly (augment=mixup or shift): the teacher scores every augmented batch, and soft labels from a cache cannot label new inputs. Give the teacher model (TeacherModelFile or Teacher) as well as, or instead of, TrainingSoftLabels.",
                nameof(DistillationExperimentOptions.TeacherModelFile));
        }

        run.HintColumn = run.NeedsHint ? HintColumn(teacher!) : null;
    }

    /// <summary>Stage 2: one view of the training rows with the teacher's columns, live or from the cache; then the test rows, held out of them or given (with their own cache).</summary>
    private void PrepareSets(DistillationRunState run)
    {
        var options = _options;
        IDataView source = run.Train;
        if (options.TrainingSoftLabels is { } cache)
        {
            CheckCache(cache, run.Teacher, nameof(DistillationExperimentOptions.TrainingSoftLabels));
            source = DataViewZip.Create(run.Train, DropLabel(cache), "training data", "teacher cache");
        }

        run.TrainPart = source;
        run.HeldOut = run.Test is null;
        if (run.Test is not { } test)
        {
            var split = _mlContext.Data.TrainTestSplit(source, testFraction: options.TestFraction, seed: options.Seed);
            (run.TrainPart, run.TestPart) = (split.TrainSet, split.TestSet);
            Report(run.Progress, DistillationStage.Preparing, $"no test data: {options.TestFraction.ToString("P0", CultureInfo.InvariantCulture)} of the training rows are held out for evaluation");
        }
        else
        {
            run.TestPart = test;
            if (options.TestSoftLabels is { } testCache)
            {
                CheckCache(testCache, run.Teacher, nameof(DistillationExperimentOptions.TestSoftLabels));
                run.TestPart = DataViewZip.Create(test, DropLabel(testCache), "test data", "test soft labels");
            }
        }

        if (options.CascadeTarget is not null)
        {
            // Only with a cascade: without one the students learn from every training row, as before.
            var split = _mlContext.Data.TrainTestSplit(run.TrainPart, testFraction: options.CascadeHoldoutFraction, seed: options.Seed);
            (run.TrainPart, run.CascadePart) = (split.TrainSet, split.TestSet);
            Report(run.Progress, DistillationStage.Preparing,
                $"cascade: {options.CascadeHoldoutFraction.ToString("P0", CultureInfo.InvariantCulture)} of the training rows are held out from the students to choose the threshold on");
        }

        if (run.Test is null && options.TestSoftLabels is not null)
        {
            throw new ArgumentException(
                "TestSoftLabels is set but no test data is given: pass the test rows the cache was made from to Run(train, test), or leave TestSoftLabels unset (held-out rows carry TrainingSoftLabels' labels).",
                nameof(DistillationExperimentOptions.TestSoftLabels));
        }
    }

    /// <summary>Stage 3: the teacher scores the training, test and transfer rows, once each, into memory (rows that carry a cache's columns are read as they are).</summary>
    private void ScoreSets(DistillationRunState run)
    {
        run.ScoringWatch = Stopwatch.StartNew();
        var (teacher, progress, token) = (run.Teacher, run.Progress, run.CancellationToken);
        (run.ScoredTrain, run.TrainRows, run.TrainScored) = Score(run.TrainPart, teacher, "training", progress, token);
        (run.ScoredTest, run.TestRows, run.TestScored) = Score(run.TestPart, teacher, "test", progress, token);
        if (run.CascadePart is { } cascadeRows)
        {
            long cascadeScored;
            (run.ScoredCascade, run.CascadeRows, cascadeScored) = Score(cascadeRows, teacher, "held-out (cascade)", progress, token);
            run.TrainScored += cascadeScored; // training rows too, held out from the students
        }
        run.StudentRows = run.ScoredTrain;
        if (run.Transfer is not null)
        {
            IDataView scoredTransfer;
            (scoredTransfer, run.TransferRows, run.TransferScored) = _options.Budget is { } budget
                ? BudgetedLabeling.BuyTransferRows(_mlContext, budget, run)
                : Score(DropLabel(run.Transfer), teacher, "transfer", progress, token);
            run.StudentRows = new AppendRowsDataView(run.ScoredTrain, scoredTransfer);
        }
    }

    /// <summary>Stage 4: synthetic rows made from the training rows alone (the test rows are held out first), scored by the same teacher session once, added to the distilled students' rows.</summary>
    private void Augment(DistillationRunState run)
    {
        var options = _options;
        run.Augmentation = options.Augmentation;
        if (options.Augmentation is not { } augmentation)
        {
            return;
        }

        var syntheticWatch = Stopwatch.StartNew();
        string method = augmentation.Method.ToString().ToLowerInvariant();
        if (run.Teacher?.Options.SkipInvalidRows == true && !augmentation.SkipInvalidRows)
        {
            // A teacher that skips rows with NaN or infinite features: augmentation leaves them out too, rather than failing on them.
            augmentation = augmentation.Validated();
            augmentation.SkipInvalidRows = true;
            run.Augmentation = augmentation;
        }

        var synthetic = SyntheticRowsDataView.Create(run.TrainPart, augmentation, augmentation.Seed ?? options.Seed, run.CancellationToken, StopAugmentation);
        Report(run.Progress, DistillationStage.ScoringTeacher,
            $"generating {synthetic.PlannedRows:N0} synthetic rows by {method} (factor {augmentation.Factor.ToString(CultureInfo.InvariantCulture)}, at most {augmentation.MaxRows:N0}) from {synthetic.TrainingRows:N0} training rows ({synthetic.CategoricalFeatures} categorical features{(synthetic.SkippedTrainingRows > 0 ? $"; {synthetic.SkippedTrainingRows:N0} rows with NaN or infinite features left out" : "")}) for the teacher to label");
        IDataView scoredSynthetic;
        long syntheticRows;
        (scoredSynthetic, _, syntheticRows) = Score(synthetic, run.Teacher, $"synthetic ({method})", run.Progress, run.CancellationToken);
        run.SyntheticRows = syntheticRows;
        run.PlannedSyntheticRows = synthetic.PlannedRows;
        if (syntheticRows < synthetic.PlannedRows)
        {
            Report(run.Progress, DistillationStage.ScoringTeacher,
                $"the time budget stopped the augmentation after {syntheticRows:N0} of {synthetic.PlannedRows:N0} synthetic rows ({syntheticWatch.Elapsed.TotalSeconds:F1} s); the students learn from those");
        }

        run.StudentRows = new AppendRowsDataView(run.StudentRows, scoredSynthetic);
        run.SyntheticSeconds = syntheticWatch.Elapsed.TotalSeconds;
    }

    /// <summary>Reads the distilled students' rows (training, transfer, synthetic) into memory as one view, and records what the teacher's scoring did and took.</summary>
    private void GatherStudentRows(DistillationRunState run)
    {
        if (!ReferenceEquals(run.StudentRows, run.ScoredTrain))
        {
            run.StudentRows = Materialize(run.StudentRows, run.CancellationToken).View;
        }

        double scoringSeconds = run.ScoringWatch.Elapsed.TotalSeconds;
        run.TeacherScoring = new DistillationTeacherScoring(run.TrainScored, run.TransferScored, run.TestScored, scoringSeconds, run.SyntheticRows);
        run.Augmented = run.Augmentation is { } a
            ? new DistillationAugmentation(a.Method.ToString().ToLowerInvariant(), a.Settings(a.Seed ?? _options.Seed), run.SyntheticRows, Math.Round(run.SyntheticSeconds, 3),
                scoringSeconds > 0 ? Math.Round(run.SyntheticSeconds / scoringSeconds, 4) : 0, run.PlannedSyntheticRows)
            : null;
    }

    /// <summary>Stage 5: the teacher measured on the training and test rows at T = 1, from the logits already scored; a teacher below chance is warned about before minutes of training on it.</summary>
    private void EvaluateTeacher(DistillationRunState run)
    {
        run.Classes = Classes(run.ScoredTrain.Schema);
        run.TestHasTeacher = run.ScoredTest.Schema.GetColumnOrNull(DataColumnNames.TeacherLogits) is not null;
        if (!run.TestHasTeacher)
        {
            Report(run.Progress, DistillationStage.Evaluating, "the test rows have no teacher outputs (soft labels made elsewhere, no teacher model): agreement and KL to the teacher cannot be measured");
        }

        if (_options.CascadeTarget is not null && !run.TestHasTeacher)
        {
            throw new ArgumentException(
                "A cascade is asked for (CascadeTarget), but the test rows have no teacher outputs to defer to: give the teacher model (TeacherModelFile or Teacher), or the test rows' soft labels (TestSoftLabels), or leave CascadeTarget unset.",
                nameof(DistillationExperimentOptions.CascadeTarget));
        }

        run.TeacherOnTrain = TeacherMetrics(run.ScoredTrain);
        run.TeacherOnTest = run.TestHasTeacher ? TeacherMetrics(run.ScoredTest) : null;
        run.TeacherOnAll = run.TestHasTeacher ? TeacherMetrics(new AppendRowsDataView(run.ScoredTrain, run.ScoredTest)) : null;
        if ((run.TeacherOnAll ?? run.TeacherOnTrain) is { Accuracy: var teacherAccuracy, Rows: var teacherRows })
        {
            // Below chance on the labeled rows: the wrong output, another class order or unscaled inputs; said before minutes of training on it.
            run.Teacher?.WarnIfBelowChance(teacherAccuracy, teacherRows);
        }
    }

    /// <summary>Stage 6: every student (with its twins) trains on the shared scored rows and is measured on the test rows (and, with a cascade, stage 7 measures its cascade), while the caller's budget lasts; on failure the models trained so far are disposed.</summary>
    private void TrainStudents(DistillationRunState run)
    {
        TestRows = run.ScoredTest;
        var sets = new ScoredSets(run.StudentRows, run.ScoredTrain, run.ScoredTest, run.Train.Schema, run.TestHasTeacher, run.TrainRows, run.TransferRows, run.SyntheticRows, run.Teacher)
        {
            HasLabels = run.Labeled,
        };
        try
        {
            foreach (var student in _options.Students)
            {
                run.CancellationToken.ThrowIfCancellationRequested();
                if (BeforeStudent?.Invoke(student) == false)
                {
                    break; // the caller's budget is spent: the students trained so far are the result
                }

                var trained = TrainStudent(student, sets, run.Classes, run.Temperature, run.HintColumn, run.Progress, run.CancellationToken);
                run.Students.Add(trained);
                trained = run.Students[^1] = MeasureCascade(run, trained);
                AfterStudent?.Invoke(trained);
            }
        }
        catch
        {
            foreach (var done in run.Students)
            {
                (done.Distilled.Model as IDisposable)?.Dispose();
                (done.Baseline?.Model as IDisposable)?.Dispose();
                (done.PseudoBaseline?.Model as IDisposable)?.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Stage 7, per student and with a cascade only (before the student is handed on, so a comparison's entry carries it):
    /// the threshold chosen on the held-out training rows, then the cascade measured on the test rows
    /// (<see cref="DistillationCascadeMeasure"/>).
    /// </summary>
    private DistillationStudentResult MeasureCascade(DistillationRunState run, DistillationStudentResult student)
    {
        if (_options.CascadeTarget is not { } target || run.ScoredCascade is not { } heldOut)
        {
            return student;
        }

        run.CancellationToken.ThrowIfCancellationRequested();
        Report(run.Progress, DistillationStage.Evaluating, $"measuring the cascade of {student.Name} (threshold chosen on {run.CascadeRows:N0} held-out training rows{DistillationCascadeMeasure.FewRowsWarning(run.CascadeRows)})", student.Name);
        var cascade = DistillationCascadeMeasure.Measure(student.Distilled, heldOut, run.ScoredTest, run.Classes, target, _options.CascadeRule, run.CancellationToken);
        Report(run.Progress, DistillationStage.Evaluating, DistillationCascadeMeasure.Describe(student.Name, cascade), student.Name);
        return student with { Cascade = cascade };
    }

    /// <summary>The run's result: the teacher's metrics and size, the students, and what the scoring and augmentation did.</summary>
    private DistillationExperimentResult Result(DistillationRunState run)
    {
        var teacher = run.Teacher;
        long teacherBytes = teacher is null ? 0 : File.Exists(teacher.Options.ModelFile) ? new FileInfo(teacher.Options.ModelFile).Length : teacher.Graph.Bytes.Length;
        return new DistillationExperimentResult(run.TeacherOnTest, run.TeacherOnTrain, run.TeacherOnAll, teacherBytes, run.Students, run.Train.Schema, run.Temperature, _options.Seed,
            run.TrainRows, run.TransferRows, run.TestRows, run.HeldOut, run.TeacherScoring, run.Augmented)
        {
            Budget = run.Budget,
        };
    }

    /// <summary>Opens the teacher's model file (one ONNX Runtime session for every data set), or returns null when there is none.</summary>
    private TeacherScoringTransformer? OpenTeacher(IDataView train, float temperature, bool needsHint, IProgress<DistillationProgress>? progress)
    {
        if (_options.TeacherModelFile is not { } file)
        {
            return null;
        }

        var scoring = _options.TeacherScoringFor(file, temperature);
        if (needsHint)
        {
            scoring.Hints.Add(new TeacherHint(TeacherHintLayers.Penultimate(OnnxModelInfo.Load(file)), HintColumnName));
        }

        Report(progress, DistillationStage.Preparing, $"opening the teacher '{Path.GetFileName(file)}' (T = {temperature.ToString(CultureInfo.InvariantCulture)})");
        return _mlContext.Transforms.ScoreWithTeacher(scoring).Fit(train);
    }

    private static void CheckTeacher(TeacherScoringTransformer? teacher, float temperature)
    {
        if (teacher is null)
        {
            return;
        }

        if (teacher.Options.Temperature != temperature)
        {
            throw new ArgumentException(
                $"The fitted teacher makes soft labels at T = {teacher.Options.Temperature.ToString(CultureInfo.InvariantCulture)} but Temperature is {temperature.ToString(CultureInfo.InvariantCulture)}: leave Temperature unset to use the teacher's, or fit the teacher at T = {temperature.ToString(CultureInfo.InvariantCulture)}.",
                nameof(DistillationExperimentOptions.Temperature));
        }

        if (teacher.Task == TeacherTask.Regression)
        {
            throw new NotSupportedException(
                "The teacher is a regression model, and the experiment trains classification students: use mlContext.Regression.Trainers.SoftTarget(...) or DistillMlp(...) on the teacher's output instead.");
        }
    }

    /// <summary>Trains one student on the soft labels (and, when asked for, its twins on the hard labels and on the teacher's arg-max labels) and measures each.</summary>
    private DistillationStudentResult TrainStudent(DistillationStudent student, ScoredSets data, int classes, float temperature, string? hintColumn,
        IProgress<DistillationProgress>? progress, CancellationToken cancellationToken)
    {
        float alpha = student.Alpha ?? (student.Spec is { } spec ? _options.Alpha ?? spec.DefaultAlpha : _options.Alpha ?? float.NaN);

        // A sweep's trial at another temperature: its soft labels are recomputed from the logits already scored (no second teacher run).
        float trialTemperature = student.Temperature ?? temperature;
        IDataView studentRows = trialTemperature == temperature ? data.StudentRows : new TemperatureSoftLabelsDataView(data.StudentRows, trialTemperature);
        var epochs = progress is null ? null : new EpochProgress(progress, student.Name);
        // ML.NET's trainers cannot see a token: the student's own context is cancelled with it, which stops them at their next check.
        MLContext context = StudentContext();
        using var stop = cancellationToken.Register(() => CatalogEnvironment.TryCancel(context));
        var trainers = Trainers(context, student, classes, trialTemperature, alpha, hintColumn, epochs, _options.Seed, data.Teacher, _options.TextColumnName, cancellationToken);
        string targets = student.Spec is { UsesTemperature: false, UsesAlpha: false }
            ? "the teacher's logits"
            : float.IsNaN(alpha)
                ? $"soft labels (T = {trialTemperature.ToString(CultureInfo.InvariantCulture)})"
                : $"soft labels (T = {trialTemperature.ToString(CultureInfo.InvariantCulture)}, alpha = {alpha.ToString(CultureInfo.InvariantCulture)})";
        Report(progress, DistillationStage.Training, $"training {student.Name} on {targets} from {data.TrainRows + data.TransferRows + data.SyntheticRows:N0} rows{(data.SyntheticRows > 0 ? $" ({data.SyntheticRows:N0} synthetic)" : "")}", student.Name);
        var distilled = TrainAndEvaluate(trainers.Distilled, studentRows, data, trainers.ScoresAreLogits, student.Name, progress, cancellationToken);
        DistillationTrainedModel? baseline = null;
        try
        {
            var twin = new TwinSettings(student, classes, trialTemperature, alpha, hintColumn, epochs, trainers.HardLabel);
            baseline = TrainBaseline(twin, data, progress, cancellationToken);
            var pseudo = TrainPseudoBaseline(twin, data, progress, cancellationToken);
            return new DistillationStudentResult(student.Name, student.Spec, alpha, distilled, baseline) { Temperature = trialTemperature, PseudoBaseline = pseudo };
        }
        catch
        {
            (distilled.Model as IDisposable)?.Dispose();
            (baseline?.Model as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>The student's hard-label twin (its baseline) on the training rows alone, when asked for and the rows carry labels; else null.</summary>
    private DistillationTrainedModel? TrainBaseline(TwinSettings twin, ScoredSets data, IProgress<DistillationProgress>? progress, CancellationToken cancellationToken) =>
        _options.Baseline && data.HasLabels
            ? TrainTwin(twin, data.LabeledRows, DistillationStage.TrainingBaseline,
                $"training {twin.Student.Name} on hard labels (baseline) from {data.TrainRows:N0} rows", data, progress, cancellationToken)
            : null;

    /// <summary>The student's pseudo-label twin, on the teacher's arg-max labels of every row the distilled student learns from, when asked for; else null.</summary>
    private DistillationTrainedModel? TrainPseudoBaseline(TwinSettings twin, ScoredSets data, IProgress<DistillationProgress>? progress, CancellationToken cancellationToken) =>
        _options.PseudoBaseline
            ? TrainTwin(twin, Materialize(PseudoLabels(data.StudentRows), cancellationToken).View, DistillationStage.TrainingPseudoBaseline,
                $"training {twin.Student.Name} on the teacher's arg-max labels (pseudo-label baseline) from {data.TrainRows + data.TransferRows + data.SyntheticRows:N0} rows", data, progress, cancellationToken)
            : null;

    /// <summary>
    /// Trains and measures one twin of a student on hard labels (the human labels, or the teacher's arg-max labels). The twin is
    /// built afresh, in a context of its own seeded like the student's: ML.NET draws component seeds from a context as they are
    /// made, so a twin from the student's context would depend on what the distilled fit made (which depends on the transfer
    /// rows). Built apart, it depends on the seed, the spec and its rows alone. Null for an estimator student without a
    /// hard-label estimator.
    /// </summary>
    private DistillationTrainedModel? TrainTwin(TwinSettings twin, IDataView rows, DistillationStage stage, string message, ScoredSets data,
        IProgress<DistillationProgress>? progress, CancellationToken cancellationToken)
    {
        var student = twin.Student;
        MLContext context = StudentContext();
        using var stop = cancellationToken.Register(() => CatalogEnvironment.TryCancel(context));
        var trainer = student.Spec is null
            ? twin.EstimatorHardLabel
            : Trainers(context, student, twin.Classes, twin.Temperature, twin.Alpha, twin.HintColumn, twin.Epochs, _options.Seed, data.Teacher, _options.TextColumnName, cancellationToken).HardLabel;
        if (trainer is null)
        {
            return null;
        }

        cancellationToken.ThrowIfCancellationRequested();
        Report(progress, stage, message, student.Name);
        if (twin.Epochs is not null)
        {
            twin.Epochs.Stage = stage; // the twin's epochs are reported as its own
        }

        return TrainAndEvaluate(trainer, rows, data, scoresAreLogits: false, student.Name, progress, cancellationToken);
    }

    /// <summary>
    /// Whether the training rows carry hard labels. Without a <c>Label</c> column the students learn from the soft labels alone
    /// (alpha is 1 on every row), the hard-label twins cannot be trained (reported), and the held-out test rows are measured
    /// against the teacher only (agreement, KL).
    /// </summary>
    private bool CheckLabels(IDataView train, IProgress<DistillationProgress>? progress)
    {
        if (train.Schema.GetColumnOrNull(DataColumnNames.Label) is not null)
        {
            return true;
        }

        Report(progress, DistillationStage.Preparing,
            "the training rows have no labels: the students learn from the teacher's soft labels alone, and held-out test rows are measured against the teacher only (agreement, KL)");
        if (_options.Baseline)
        {
            Report(progress, DistillationStage.Preparing,
                "the hard-label baseline cannot be trained: the training rows have no hard labels" + (_options.PseudoBaseline ? " (the pseudo-label baseline, on the teacher's labels, is trained)" : ""));
        }

        return false;
    }

    /// <summary>The rows with <c>Label</c> replaced by the teacher's arg-max class (0-based, NaN where the teacher's logits are not finite): what a pseudo-label twin learns from, once read into memory like the other rows (so trainers that shuffle rows do so here too).</summary>
    private static AddedColumnDataView PseudoLabels(IDataView rows)
    {
        var logits = rows.Schema[DataColumnNames.TeacherLogits];
        return new AddedColumnDataView(rows, DataColumnNames.Label, [logits], cursor =>
        {
            var read = cursor.GetGetter<VBuffer<float>>(logits);
            var buffer = default(VBuffer<float>);
            var dense = default(VBuffer<float>);
            return (ref float label) =>
            {
                read(ref buffer);
                if (!buffer.IsDense)
                {
                    buffer.CopyToDense(ref dense);
                }

                var values = buffer.IsDense ? buffer.GetValues() : dense.GetValues();
                int best = SoftLabelMath.ArgMax(values);
                label = best >= 0 && float.IsFinite(values[best]) ? best : float.NaN;
            };
        });
    }

    private static void Report(IProgress<DistillationProgress>? progress, DistillationStage stage, string message, string? student = null) =>
        progress?.Report(new DistillationProgress(stage, message, student));

    private static string HintColumn(TeacherScoringTransformer teacher)
    {
        if (teacher.Options.Hints.Any(h => h.ColumnName == HintColumnName))
        {
            return HintColumnName;
        }

        return teacher.Options.Hints.Count == 1
            ? teacher.Options.Hints[0].ColumnName
            : throw new ArgumentException(
                $"A student trains on the teacher's penultimate layer (loss=hint), but the fitted teacher exposes {teacher.Options.Hints.Count} hint columns and none is named '{HintColumnName}': add one TeacherHint named '{HintColumnName}' to its options, or give TeacherModelFile instead.",
                nameof(DistillationExperimentOptions.Teacher));
    }

    private static void CheckCache(IDataView cache, TeacherScoringTransformer? teacher, string option)
    {
        foreach (string column in new[] { DataColumnNames.TeacherLogits, DataColumnNames.SoftLabels })
        {
            if (cache.Schema.GetColumnOrNull(column) is not { Type: VectorDataViewType { Size: >= 2 } })
            {
                throw new ArgumentException(
                    $"{option} has no '{column}' vector column: read it with TeacherCache.Read, which gives the teacher's columns.", option);
            }
        }

        int classes = Classes(cache.Schema);
        if (teacher is not null && teacher.ClassCount != classes)
        {
            throw new ArgumentException(
                $"{option} has {classes} classes but the teacher has {teacher.ClassCount}: use the cache this teacher made.", option);
        }
    }

    private static int Classes(DataViewSchema schema) =>
        schema.GetColumnOrNull(DataColumnNames.SoftLabels) is { Type: VectorDataViewType v } ? v.Size
        : throw new ArgumentException($"The scored training rows have no '{DataColumnNames.SoftLabels}' column; the teacher must be a classifier.");

    private static DistillationMetrics TeacherMetrics(IDataView scored) =>
        DistillationEvaluation.Evaluate(scored, DataColumnNames.TeacherLogits, DataColumnNames.TeacherLogits, DataColumnNames.Label, scoresAreLogits: true, teacherScoresAreLogits: true);

    private IDataView DropLabel(IDataView data) =>
        data.Schema.GetColumnOrNull(DataColumnNames.Label) is null ? data : _mlContext.Transforms.DropColumns(DataColumnNames.Label).Fit(data).Transform(data);

    /// <summary>The rows with the teacher's columns, in memory: scored now, in one pass, unless they already carry them (a cache).</summary>
    private (IDataView View, long Rows, long Scored) Score(IDataView rows, TeacherScoringTransformer? teacher, string name, IProgress<DistillationProgress>? progress, CancellationToken cancellationToken)
    {
        bool scored = rows.Schema.GetColumnOrNull(DataColumnNames.TeacherLogits) is not null;
        if (scored || teacher is null)
        {
            var (view, count) = Materialize(rows, cancellationToken);
            return (view, count, 0);
        }

        long before = teacher.RowsScored;
        var watch = Stopwatch.StartNew();
        var (cached, n) = Materialize(teacher.Transform(rows), cancellationToken);
        long done = teacher.RowsScored - before;
        Report(progress, DistillationStage.ScoringTeacher, $"{done:N0} {name} rows scored by the teacher in {watch.Elapsed.TotalSeconds:F2} s");
        return (cached, n, done);
    }

    /// <summary>Reads every column of <paramref name="data"/> into memory in one pass (so a lazy source, such as the teacher, runs once).</summary>
    private (IDataView View, long Rows) Materialize(IDataView data, CancellationToken cancellationToken)
    {
        string[] columns = [.. data.Schema.Where(c => !c.IsHidden).Select(c => c.Name)];
        var cached = _mlContext.Data.Cache(data, columns);
        long rows = 0;
        try
        {
            using var cursor = cached.GetRowCursor(cached.Schema);
            while (cursor.MoveNext())
            {
                if (++rows % CancellationCheckRows == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
        catch (Exception e) when (Innermost(e) is { } cause && cause != e)
        {
            // ML.NET's cache fills on its own thread and wraps what went wrong there; the cause is the useful error.
            ExceptionDispatchInfo.Capture(cause).Throw();
            throw;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return (cached, rows);
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null && (e is AggregateException || e.Message.StartsWith("Event we were waiting on", StringComparison.Ordinal)))
        {
            e = e.InnerException;
        }

        return e;
    }

    private static StudentTrainers Trainers(MLContext studentContext, DistillationStudent student, int classes, float temperature, float alpha, string? hintColumn,
        EpochProgress? epochs, int seed, TeacherScoringTransformer? teacher, string? textColumn, CancellationToken cancellationToken)
    {
        if (student.Spec is not { } spec)
        {
            return new StudentTrainers(student.Estimator!, student.HardLabelEstimator, student.ScoresAreLogits);
        }

        var context = new StudentBuildContext(studentContext, classes, temperature, alpha, seed, hintColumn, epochs, cancellationToken) { Teacher = teacher, TextColumnName = textColumn };
        return StudentRegistry.Build(spec, context);
    }

    /// <summary>
    /// A context of its own for one student, seeded with the experiment's seed: ML.NET hands each component a seed drawn from
    /// its context in creation order, so a shared context would make a student's model depend on what was made before it
    /// (a cache's column drop, another student). Warnings still reach the caller's log.
    /// </summary>
    private MLContext StudentContext()
    {
        var context = new MLContext(_options.Seed)
        {
            GpuDeviceId = _mlContext.GpuDeviceId,
            FallbackToCpu = _mlContext.FallbackToCpu,
        };
        context.Log += (_, e) =>
        {
            if (e.Kind is Microsoft.ML.Runtime.ChannelMessageKind.Warning or Microsoft.ML.Runtime.ChannelMessageKind.Error)
            {
                CatalogEnvironment.Warn(_mlContext.Transforms, e.RawMessage);
            }
        };
        return context;
    }

    private DistillationTrainedModel TrainAndEvaluate(IEstimator<ITransformer> trainer, IDataView data, ScoredSets sets, bool scoresAreLogits,
        string student, IProgress<DistillationProgress>? progress, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var watch = Stopwatch.StartNew();
        ITransformer model;
        try
        {
            model = trainer.Fit(data);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
        {
            // A trainer stopped by its context's cancellation fails with whatever its cursor threw; the cause is the token.
            throw new OperationCanceledException($"Training {student} was cancelled.", e, cancellationToken);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            (model as IDisposable)?.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
        }

        double seconds = watch.Elapsed.TotalSeconds;
        try
        {
            Report(progress, DistillationStage.Evaluating, $"evaluating {student} ({seconds:F1} s to train)", student);
            var quality = DistillationEvaluation.EvaluateDetailed(model.Transform(sets.TestRows), new DistillationEvaluationOptions
            {
                ScoreColumnName = DataColumnNames.Score,
                TeacherColumnName = sets.TestHasTeacher ? DataColumnNames.TeacherLogits : null,
                LabelColumnName = DataColumnNames.Label,
                ScoresAreLogits = scoresAreLogits,
                TeacherScoresAreLogits = true,
            });
            return new DistillationTrainedModel(model, quality.ToMetrics(), Math.Round(seconds, 3), DistillationResultWriter.ModelBytes(_mlContext, model, sets.InputSchema))
            {
                Quality = quality,
                ScoresAreLogits = scoresAreLogits,
            };
        }
        catch
        {
            (model as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>The scored rows every student shares.</summary>
    /// <param name="StudentRows">Training plus transfer and synthetic rows, for the distilled students.</param>
    /// <param name="LabeledRows">Training rows alone, for the hard-label twins.</param>
    /// <param name="TestRows">The rows every model is measured on.</param>
    /// <param name="InputSchema">The training data's own schema, stored with saved models.</param>
    /// <param name="TestHasTeacher">Whether the test rows carry the teacher's logits.</param>
    /// <param name="TrainRows">The number of training rows.</param>
    /// <param name="TransferRows">The number of transfer rows.</param>
    /// <param name="SyntheticRows">The number of synthetic rows of the augmentation.</param>
    /// <param name="Teacher">The fitted teacher, for students taught on the fly; null with soft labels from a cache only.</param>
    private sealed record ScoredSets(IDataView StudentRows, IDataView LabeledRows, IDataView TestRows, DataViewSchema InputSchema, bool TestHasTeacher, long TrainRows, long TransferRows, long SyntheticRows,
        TeacherScoringTransformer? Teacher = null)
    {
        /// <summary>Gets whether the training rows have a label column (else the students learn from soft labels alone and there is no hard-label twin).</summary>
        public bool HasLabels { get; init; } = true;
    }

    /// <summary>What a student's twins are built from: the student, its settings, and an estimator student's own hard-label estimator.</summary>
    private sealed record TwinSettings(DistillationStudent Student, int Classes, float Temperature, float Alpha, string? HintColumn, EpochProgress? Epochs, IEstimator<ITransformer>? EstimatorHardLabel);

    private sealed class EpochProgress(IProgress<DistillationProgress> progress, string student) : IProgress<MlpEpochProgress>
    {
        /// <summary>Gets or sets the stage the epochs belong to: the student's training, then its hard-label twin's.</summary>
        public DistillationStage Stage { get; set; } = DistillationStage.Training;

        public void Report(MlpEpochProgress p) => progress.Report(new DistillationProgress(
            Stage,
            $"{student}{Stage switch { DistillationStage.TrainingBaseline => " (hard labels)", DistillationStage.TrainingPseudoBaseline => " (pseudo-labels)", _ => "" }} {(p.Refit ? "final pass epoch" : "epoch")} {p.Epoch}/{p.Epochs}: train loss {p.TrainLoss:F4}" +
            (p.ValidationLoss is double v ? $", validation loss {v:F4}" : "") +
            (p.ValidationAccuracy is double a ? $", validation accuracy {a:P1}" : "") +
            (p.ValidationDivergence is double d ? $", KL to the teacher {d:F4}" : "") +
            $" ({p.Seconds:F2} s{(p.TeacherSeconds > 0 ? $", teacher {p.TeacherShare:P0}" : "")}){(p.IsBest ? " *" : "")}",
            student,
            p));
    }
}
