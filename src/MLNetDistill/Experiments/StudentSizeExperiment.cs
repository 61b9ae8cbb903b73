using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Onnx;
using MLNetDistill.Teachers;

namespace MLNetDistill.Experiments;

/// <summary>
/// Which student is small enough and good enough? Trains candidate students of any size and family on one teacher scoring
/// of each data set, measures each on the same test rows, and ranks them on a <see cref="Leaderboard"/>: quality against
/// cost, the Pareto front, and the pick, the lowest-cost student within a tolerance of the teacher's accuracy.
/// </summary>
/// <remarks>
/// <para>Configured fluently in the manner of ML.NET AutoML's experiments; <see cref="Run"/> reports each step and each
/// finished trial through <see cref="IProgress{T}"/>, stops on the <see cref="CancellationToken"/>, and keeps to the time
/// budget: checked before each student (teacher scoring counts), a student started is finished, those left are skipped
/// and listed on the leaderboard.</para>
/// <para>The teacher runs once per data set (training, transfer, test) whatever the number of students: the trials share
/// the scored rows of one <see cref="DistillationExperiment"/>.</para>
/// <para>Asked to (<see cref="SetTemperatures"/>, <see cref="SetAlphas"/>), it sweeps the soft labels' temperature and
/// alpha: each candidate × temperature × alpha is one trial named <c>mlp:32@T=4,alpha=0.5</c> (only the swept settings
/// appear), its leaderboard entry records <see cref="LeaderboardEntry.Temperature"/> and <see cref="LeaderboardEntry.Alpha"/>,
/// and the teacher still runs once: soft labels at another temperature are recomputed from the cached logits. A student
/// that ignores a setting is trained once for it with a warning: logit matching (<c>logits:fasttree</c>) ignores both,
/// an estimator of your own ignores alpha (its options decide). Alpha = 0 is not folded across temperatures, since
/// unlabeled transfer rows still learn from the soft labels then. Evaluation stays at T = 1 against the teacher.</para>
/// <para>Trials run one after another. Measured 2026-12-01 on the shared 2-core machine (other jobs kept the load average
/// at 9 to 15): the default candidates at T = 1 and 4 (6 trials) on 8,000 training and 2,000 test rows of the embedded
/// Fashion-MNIST took 71.9, 52.1 and 42.1 s one after another and 64.8, 56.7 and 63.1 s two at a time (ratios 0.90, 1.09,
/// 1.50; mean 1.16, slower), with identical models either way
/// (<c>dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- parallel-trials</c>). Two lightgbm trials are 80 %
/// of that time (about 22 s each; sdca and mlp:32 2 to 4 s). The sdca and lightgbm students train on one thread
/// (deterministic) and the MLP on both cores, so concurrency could only pay on an idle machine, which was not measured.</para>
/// <para>Cost is measured in full unless <see cref="StudentSizeExperimentOptions.MeasureLatency"/> is turned off: besides
/// size and parameters, each student and, once, the teacher are timed on the first
/// <see cref="StudentSizeExperimentOptions.LatencyRows"/> test rows in both served forms: the ML.NET model one row at a time
/// through the row-to-row mapper a <c>PredictionEngine</c> uses (p50/p99 in µs, after warm-up) plus a batch pass (rows/s), and
/// its ONNX graph (the student's export, the teacher's own <c>.onnx</c>) in ONNX Runtime one row at a time and in batches.
/// A student whose family does not convert gets a note (<see cref="LeaderboardEntry.OnnxNote"/>) instead of an error.
/// On the default grid this adds about 0.1 to 0.3 s per trial and about 2 s for the teacher (a CNN) on two cores.</para>
/// </remarks>
/// <example>
/// <code language="csharp">
/// var mlContext = new MLContext(seed: 0);
/// IDataView data = DataSourceReader.Load("samples/data/fashion-mnist/t10k-images-idx3-ubyte.gz");
/// var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: 0);
/// using var result = new StudentSizeExperiment(mlContext)
///     .SetTeacher("samples/teachers/fashion_cnn.onnx")
///     .AddStudents("sdca", "lightgbm:trees=20", "mlp:32")
///     .SetTemperatures(1, 4) // optional sweep: each student at T = 1 and T = 4, one teacher run
///     .SetCostAxis(LeaderboardCostAxis.Latency)
///     .SetAccuracyTolerance(0.02)
///     .SetTimeBudget(TimeSpan.FromMinutes(10))
///     .Run(split.TrainSet, split.TestSet);
/// foreach (var entry in result.Leaderboard.Entries)
/// {
///     Console.WriteLine($"{entry.Name}: accuracy {entry.Accuracy:F4}, {entry.ModelBytes:N0} bytes, p50 {entry.LatencyP50Microseconds:F1} µs (ONNX {entry.OnnxLatencyP50Microseconds?.ToString("F1") ?? entry.OnnxNote}), {entry.LatencySpeedUp:F1}x faster than the teacher{(entry.Pareto ? ", Pareto" : "")}{(entry.Chosen ? ", chosen" : "")}");
/// }
///
/// Console.WriteLine(result.Leaderboard.Choice);
/// </code>
/// </example>
public sealed class StudentSizeExperiment
{
    private readonly MLContext _mlContext;
    private readonly StudentSizeExperimentOptions _options;

    /// <summary>Makes an experiment; configure it with the <c>Set</c> and <c>Add</c> methods or through <paramref name="options"/>.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="options">The options to start from (kept, not copied: the fluent methods change them), or <see langword="null"/> for the defaults.</param>
    public StudentSizeExperiment(MLContext mlContext, StudentSizeExperimentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        _mlContext = mlContext;
        _options = options ?? new StudentSizeExperimentOptions();
    }

    /// <summary>
    /// Gets the default candidates, a few sizes per family: a linear model (<c>sdca</c>), a small and a larger tree
    /// ensemble (<c>lightgbm:trees=10</c>, <c>lightgbm:trees=30</c>) and a narrow and a wider MLP (<c>mlp:32</c>,
    /// <c>mlp:128</c>, epochs chosen automatically). On the 8,000 training rows of the embedded Fashion-MNIST images
    /// they train in one to two minutes on two cores (LightGBM students train on one thread, for determinism).
    /// </summary>
    public static IReadOnlyList<string> DefaultStudents { get; } = ["sdca", "lightgbm:trees=10", "lightgbm:trees=30", "mlp:32", "mlp:128"];

    /// <summary>
    /// Gets the default candidates for text students (<see cref="DistillationExperimentOptions.TextColumnName"/> set), each
    /// FeaturizeText's word 1-2-grams and character 3-grams (ML.NET's own defaults) then a family at its defaults: a linear
    /// model trained by SDCA (ML.NET's own number of passes on text) and a tree ensemble. No L-BFGS: at its default 100
    /// iterations it lost to plain ML.NET on both SpamAssassin splits measured (README, "Text students"). No MLP: an MLP
    /// reads every slot of its feature vector densely, and FeaturizeText's n-gram vector has hundreds of thousands of
    /// slots (gigabytes over a few thousand texts); these students read the sparse vector as it is.
    /// </summary>
    public static IReadOnlyList<string> DefaultTextStudents { get; } = ["sdca", "lightgbm"];

    /// <summary>Why <see cref="DefaultTextStudents"/> has no MLP, for front ends that say so when they use it.</summary>
    public const string DefaultTextStudentsNote =
        "the default text students leave MLPs out: an MLP reads every slot of FeaturizeText's n-gram vector densely (hundreds of thousands of slots a text), which takes gigabytes over a few thousand texts; name an MLP student to train one anyway (its memory is estimated before it starts).";

    /// <summary>Gets the options the experiment runs with.</summary>
    public StudentSizeExperimentOptions Options => _options;

    /// <summary>Sets the teacher's ONNX file.</summary>
    /// <param name="modelFile">The <c>.onnx</c> file.</param>
    /// <returns>This experiment.</returns>
    public StudentSizeExperiment SetTeacher(string modelFile)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFile);
        _options.Distillation.TeacherModelFile = modelFile;
        _options.Distillation.Teacher = null;
        return this;
    }

    /// <summary>Sets the teacher's ONNX file and how it runs (tokenizer, token limit, device, batch size, the output read).</summary>
    /// <param name="modelFile">The <c>.onnx</c> file.</param>
    /// <param name="scoring">A template of the teacher's scoring options (<see cref="DistillationExperimentOptions.TeacherScoring"/>); its file, temperature and text column are the experiment's.</param>
    /// <returns>This experiment.</returns>
    public StudentSizeExperiment SetTeacher(string modelFile, TeacherScoringOptions scoring)
    {
        ArgumentNullException.ThrowIfNull(scoring);
        SetTeacher(modelFile);
        _options.Distillation.TeacherScoring = scoring;
        return this;
    }

    /// <summary>Sets a fitted teacher (the caller keeps and disposes it).</summary>
    /// <param name="teacher">The teacher.</param>
    /// <returns>This experiment.</returns>
    public StudentSizeExperiment SetTeacher(TeacherScoringTransformer teacher)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        _options.Distillation.Teacher = teacher;
        _options.Distillation.TeacherModelFile = null;
        _options.Distillation.TeacherScoring = null;
        return this;
    }

    /// <summary>Adds candidate students by spec (<c>sdca</c>, <c>lightgbm:trees=20</c>, <c>mlp:32</c>); each is parsed now.</summary>
    /// <param name="specs">The specs.</param>
    /// <returns>This experiment.</returns>
    /// <exception cref="ArgumentException">A spec is not valid; the message lists the families and their options.</exception>
    public StudentSizeExperiment AddStudents(params IEnumerable<string> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        foreach (string spec in specs)
        {
            _options.Students.Add(DistillationStudent.FromSpec(spec));
        }

        return this;
    }

    /// <summary>
    /// Adds <see cref="DefaultStudents"/>, or <see cref="DefaultTextStudents"/> when
    /// <see cref="DistillationExperimentOptions.TextColumnName"/> is set (set it first).
    /// </summary>
    /// <returns>This experiment.</returns>
    public StudentSizeExperiment AddDefaultStudents() => AddStudents(_options.Distillation.TextColumnName is null ? DefaultStudents : DefaultTextStudents);

    /// <summary>Adds a candidate student (a spec or an estimator of your own).</summary>
    /// <param name="student">The student.</param>
    /// <returns>This experiment.</returns>
    public StudentSizeExperiment AddStudent(DistillationStudent student)
    {
        ArgumentNullException.ThrowIfNull(student);
        _options.Students.Add(student);
        return this;
    }

    /// <summary>Sets the cost axis (<see cref="StudentSizeExperimentOptions.CostAxis"/>).</summary>
    /// <param name="axis">The axis.</param>
    /// <returns>This experiment.</returns>
    public StudentSizeExperiment SetCostAxis(LeaderboardCostAxis axis)
    {
        _options.CostAxis = axis;
        return this;
    }

    /// <summary>Sets the share of the teacher's accuracy the pick may lose (<see cref="StudentSizeExperimentOptions.AccuracyTolerance"/>).</summary>
    /// <param name="tolerance">In [0, 1): 0.02 for within 2 %.</param>
    /// <returns>This experiment.</returns>
    public StudentSizeExperiment SetAccuracyTolerance(double tolerance)
    {
        StudentSizeExperimentOptions.CheckTolerance(tolerance, nameof(tolerance));
        _options.AccuracyTolerance = tolerance;
        return this;
    }

    /// <summary>Sets the wall-clock budget (<see cref="StudentSizeExperimentOptions.TimeBudget"/>).</summary>
    /// <param name="budget">The budget, or <see langword="null"/> for none.</param>
    /// <returns>This experiment.</returns>
    public StudentSizeExperiment SetTimeBudget(TimeSpan? budget)
    {
        _options.TimeBudget = budget;
        return this;
    }

    /// <summary>Sweeps the soft labels' temperature (<see cref="StudentSizeExperimentOptions.Temperatures"/>): each candidate is trained at each, on one teacher run.</summary>
    /// <param name="temperatures">Positive finite temperatures, e.g. 1, 2, 4; none to stop sweeping.</param>
    /// <returns>This experiment.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A temperature is not positive and finite; the message quotes it.</exception>
    public StudentSizeExperiment SetTemperatures(params float[] temperatures)
    {
        ArgumentNullException.ThrowIfNull(temperatures);
        StudentSizeExperimentOptions.CheckTemperatures(temperatures, nameof(temperatures));
        _options.Temperatures.Clear();
        foreach (float t in temperatures)
        {
            _options.Temperatures.Add(t);
        }

        return this;
    }

    /// <summary>Sweeps alpha, the weight of the soft labels against the hard labels (<see cref="StudentSizeExperimentOptions.Alphas"/>): each candidate is trained with each.</summary>
    /// <param name="alphas">Alphas in [0, 1], e.g. 0.5, 0.9; none to stop sweeping.</param>
    /// <returns>This experiment.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An alpha is outside [0, 1]; the message quotes it.</exception>
    public StudentSizeExperiment SetAlphas(params float[] alphas)
    {
        ArgumentNullException.ThrowIfNull(alphas);
        StudentSizeExperimentOptions.CheckAlphas(alphas, nameof(alphas));
        _options.Alphas.Clear();
        foreach (float a in alphas)
        {
            _options.Alphas.Add(a);
        }

        return this;
    }

    /// <summary>Sets the offline augmentation (<see cref="DistillationExperimentOptions.Augmentation"/>).</summary>
    /// <param name="augmentation">The augmentation, e.g. <c>AugmentationOptions.Parse("spunge")</c>, or <see langword="null"/> for none.</param>
    /// <returns>This experiment.</returns>
    public StudentSizeExperiment SetAugmentation(MLNetDistill.Augmentation.AugmentationOptions? augmentation)
    {
        _options.Distillation.Augmentation = augmentation;
        return this;
    }

    /// <summary>Sets the target of each student's cascade (<see cref="DistillationExperimentOptions.CascadeTarget"/>): the leaderboard then carries the share of rows each cascade defers to reach it.</summary>
    /// <param name="target">The target, or <see langword="null"/> for no cascade.</param>
    /// <returns>This experiment.</returns>
    public StudentSizeExperiment SetCascadeTarget(MLNetDistill.Serving.CascadeTarget? target)
    {
        _options.Distillation.CascadeTarget = target;
        return this;
    }

    /// <summary>Sets whether each trial is also trained on the teacher's arg-max labels, its pseudo-label twin (<see cref="DistillationExperimentOptions.PseudoBaseline"/>).</summary>
    /// <param name="pseudoBaseline">Whether to train the pseudo-label twins.</param>
    /// <returns>This experiment.</returns>
    public StudentSizeExperiment SetPseudoBaseline(bool pseudoBaseline = true)
    {
        _options.Distillation.PseudoBaseline = pseudoBaseline;
        return this;
    }

    /// <summary>Sets the seed.</summary>
    /// <param name="seed">The seed.</param>
    /// <returns>This experiment.</returns>
    public StudentSizeExperiment SetSeed(int seed)
    {
        _options.Distillation.Seed = seed;
        return this;
    }

    /// <summary>Scores the data with the teacher (once per data set), trains each distinct candidate while the budget lasts, and ranks them.</summary>
    /// <param name="train">Training rows (<c>Features</c>, usually a <c>Label</c>); without labels the students learn from the soft labels alone and, without test rows, are ranked on agreement (<see cref="DistillationExperiment.Run"/>).</param>
    /// <param name="test">Evaluation rows, or <see langword="null"/> to hold out <see cref="DistillationExperimentOptions.TestFraction"/> of the training rows (a fifth by default; seeded).</param>
    /// <param name="transfer">Unlabeled rows for the teacher to label, or <see langword="null"/>.</param>
    /// <param name="progress">Receives each step, each warning and each finished trial (<see cref="StudentSizeExperimentProgress.Trial"/>).</param>
    /// <param name="cancellationToken">Stops the run between rows of scoring, inside a student's training (between MLP mini-batches; at ML.NET's own checks for its trainers, which LightGbm's native training loop does not reach) and between students and their timing.</param>
    /// <returns>The leaderboard and the models; dispose it when done with the models.</returns>
    /// <exception cref="ArgumentException">An option or the data is not valid (the <see cref="LeaderboardCostAxis.Latency"/> axis with <see cref="StudentSizeExperimentOptions.MeasureLatency"/> false, too); the message names it and the fix.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public StudentSizeExperimentResult Run(IDataView train, IDataView? test = null, IDataView? transfer = null,
        IProgress<StudentSizeExperimentProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        _options.Check();
        var watch = Stopwatch.StartNew();
        var distill = _options.Distillation.CopySettings();
        var duplicates = PlanTrials(distill.Students, progress);
        var experiment = new DistillationExperiment(_mlContext, distill);
        var trials = new TrialRecorder(this, experiment, distill.Students, train.Schema, watch, progress, cancellationToken);
        var inner = progress is null ? null : new Forward(progress);
        var result = experiment.Run(train, test, transfer, inner, cancellationToken);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            var board = Rank(result, experiment, trials);
            progress?.Report(new StudentSizeExperimentProgress(board.Choice, board.Chosen?.Name));
            return new StudentSizeExperimentResult(board, result, duplicates, Math.Round(watch.Elapsed.TotalSeconds, 3));
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Adds every distinct candidate's trials to <paramref name="trials"/> (a spec given twice is reported and trained once); returns the names of the duplicates left out.</summary>
    private List<string> PlanTrials(IList<DistillationStudent> trials, IProgress<StudentSizeExperimentProgress>? progress)
    {
        var duplicates = new List<string>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var temperatures = DistinctValues(_options.Temperatures, "temperature", progress);
        var alphas = DistinctValues(_options.Alphas, "alpha", progress);
        foreach (var student in _options.Students)
        {
            ArgumentNullException.ThrowIfNull(student, nameof(_options.Students));
            string key = student.Spec?.ToString() ?? "estimator:" + student.Name;
            if (seen.TryGetValue(key, out string? first))
            {
                duplicates.Add(student.Name);
                progress?.Report(new StudentSizeExperimentProgress(
                    first == student.Name
                        ? $"'{student.Name}' is given twice: it is trained once."
                        : $"'{student.Name}' is the same student as '{first}' ({key}): it is trained once.", student.Name, IsWarning: true));
                continue;
            }

            if (!names.Add(student.Name))
            {
                throw new ArgumentException(
                    $"Two different students are named '{student.Name}': results and model files are keyed by name, so give the estimator student another name.", nameof(_options.Students));
            }

            seen.Add(key, student.Name);
            AddTrials(trials, student, temperatures, alphas, progress);
        }

        return duplicates;
    }

    /// <summary>The leaderboard of the trials run: the teacher timed too when latency is measured and a trial ran.</summary>
    private Leaderboard Rank(DistillationExperimentResult result, DistillationExperiment experiment, TrialRecorder trials)
    {
        var axis = trials.Axis;
        double teacherAccuracy = result.Teacher?.Accuracy ?? double.NaN;
        // No trial, no comparison: the teacher is not timed then (the budget may be spent already).
        var teacherCost = !trials.MeasuresLatency || experiment.TestRows is null || trials.Entries.Count == 0 ? null : TeacherServingCost(result, trials.Meter());
        return Leaderboard.Create(trials.Entries, axis, teacherAccuracy, _options.AccuracyTolerance, TeacherCost(result, axis, teacherCost), trials.Skipped, teacherCost);
    }

    /// <summary>
    /// The student's trials: one per temperature × alpha of the sweep that changes what it learns, named
    /// <c>mlp:32@T=4,alpha=0.5</c> (only the swept settings appear; without a sweep, the student itself). A student that
    /// ignores a setting (logit matching ignores both; an estimator's own options decide its alpha) is trained once for it,
    /// with a warning.
    /// </summary>
    private static void AddTrials(IList<DistillationStudent> trials, DistillationStudent student, IReadOnlyList<float> temperatures, IReadOnlyList<float> alphas,
        IProgress<StudentSizeExperimentProgress>? progress)
    {
        bool sweepT = temperatures.Count > 0 && (student.Spec?.UsesTemperature ?? true);
        bool sweepAlpha = alphas.Count > 0 && (student.Spec?.UsesAlpha ?? false);
        var ignored = new List<string>(2);
        if (temperatures.Count > 1 && !sweepT)
        {
            ignored.Add("T = " + StudentSizeExperimentOptions.Format(temperatures));
        }

        if (alphas.Count > 1 && !sweepAlpha)
        {
            ignored.Add("alpha = " + StudentSizeExperimentOptions.Format(alphas));
        }

        if (ignored.Count > 0)
        {
            string why = student.Spec is null
                ? "is an estimator of your own, whose options decide alpha"
                : "fits the teacher's raw logits, which no temperature or alpha changes";
            progress?.Report(new StudentSizeExperimentProgress(
                $"'{student.Name}' {why}: it is trained once, not once per {string.Join(" and ", ignored)}.", student.Name, IsWarning: true));
        }

        if (!sweepT && !sweepAlpha)
        {
            trials.Add(student);
            return;
        }

        foreach (float? t in sweepT ? temperatures.Select(v => (float?)v) : [null])
        {
            foreach (float? a in sweepAlpha ? alphas.Select(v => (float?)v) : [null])
            {
                string name = student.Name + "@" + string.Join(",",
                    new[] { t is float tv ? "T=" + tv.ToString(CultureInfo.InvariantCulture) : null, a is float av ? "alpha=" + av.ToString(CultureInfo.InvariantCulture) : null }.OfType<string>());
                trials.Add(student.ForTrial(name, t, a));
            }
        }
    }

    /// <summary>The values of a sweep in order, each once (a value given twice is reported and trained once).</summary>
    private static List<float> DistinctValues(IList<float> values, string what, IProgress<StudentSizeExperimentProgress>? progress)
    {
        var distinct = new List<float>(values.Count);
        foreach (float v in values)
        {
            if (distinct.Contains(v))
            {
                progress?.Report(new StudentSizeExperimentProgress(
                    $"the {what} {v.ToString(CultureInfo.InvariantCulture)} is given twice: each student is trained once at it.", IsWarning: true));
                continue;
            }

            distinct.Add(v);
        }

        return distinct;
    }

    /// <summary>A trial's entry: metrics, size, parameters where counted, and its cost on the axis.</summary>
    /// <param name="trained">The trained student.</param>
    /// <param name="axis">The cost axis.</param>
    /// <param name="serving">Its latency in both forms, or null when not measured.</param>
    internal static LeaderboardEntry Entry(DistillationStudentResult trained, LeaderboardCostAxis axis, ServingCost? serving = null)
    {
        var m = trained.Distilled.Metrics;
        long? parameters = ParameterCount(trained);
        double cost = axis switch
        {
            LeaderboardCostAxis.Parameters => parameters is long p ? p : double.NaN,
            LeaderboardCostAxis.Latency => serving?.LatencyP50 ?? double.NaN,
            _ => trained.Distilled.ModelBytes,
        };
        return new LeaderboardEntry(trained.Name, trained.Description, m.Accuracy, m.MacroF1, m.LogLoss, m.Agreement, m.KlToTeacher,
            trained.Distilled.TrainSeconds, trained.Distilled.ModelBytes, parameters, cost)
        {
            Quality = trained.Distilled.Quality,
            PseudoBaselineAccuracy = trained.PseudoBaseline?.Metrics.Accuracy,
            PseudoBaselineAgreement = trained.PseudoBaseline?.Metrics.Agreement,
            CascadeDeferredShare = trained.Cascade?.DeferredShare,
            Cascade = trained.Cascade,
            Temperature = trained.Spec is { UsesTemperature: false } || float.IsNaN(trained.Temperature) ? null : trained.Temperature,
            Alpha = trained.Spec is { UsesAlpha: true } && !float.IsNaN(trained.Alpha) ? trained.Alpha : null,
            LatencyP50Microseconds = serving?.LatencyP50 ?? double.NaN,
            LatencyP99Microseconds = serving?.MlNet?.LatencyP99Microseconds ?? double.NaN,
            ThroughputRowsPerSecond = serving?.MlNet?.ThroughputRowsPerSecond ?? double.NaN,
            OnnxLatencyP50Microseconds = serving?.Onnx?.LatencyP50Microseconds,
            OnnxLatencyP99Microseconds = serving?.Onnx?.LatencyP99Microseconds,
            OnnxThroughputRowsPerSecond = serving?.Onnx?.ThroughputRowsPerSecond,
            LatencyNote = serving?.MlNetNote,
            OnnxNote = serving is null ? "not measured: MeasureLatency is false" : serving.OnnxNote,
            CostSeconds = serving?.Seconds ?? 0,
        };
    }

    /// <summary>Learned parameters, counted where the evaluator knows how (linear weights and biases, tree thresholds and leaf values, MLP initializers), else null.</summary>
    internal static long? ParameterCount(DistillationStudentResult trained) => DistillationCostEvaluator.CountParameters(trained.Distilled.Model);

    private double? TeacherCost(DistillationExperimentResult result, LeaderboardCostAxis axis, LeaderboardTeacherCost? serving)
    {
        if (axis == LeaderboardCostAxis.Size)
        {
            return result.TeacherModelBytes > 0 ? result.TeacherModelBytes : null;
        }

        if (axis == LeaderboardCostAxis.Latency)
        {
            return serving is { LatencyP50Microseconds: var p50 } && !double.IsNaN(p50) ? p50 : null;
        }

        return TeacherParameters();
    }

    private long? TeacherParameters()
    {
        string? file = _options.Distillation.TeacherModelFile ?? _options.Distillation.Teacher?.Options.ModelFile;
        return file is not null && File.Exists(file) ? OnnxModelInfo.Load(file).ParameterCount : null;
    }

    /// <summary>
    /// The teacher timed in both forms on the students' test rows, through a session of its own opened on the model file
    /// (the run's session is closed by now, and a caller's fitted teacher keeps its row counts); a caller's teacher
    /// whose file is gone is timed itself.
    /// </summary>
    private LeaderboardTeacherCost? TeacherServingCost(DistillationExperimentResult result, ServingCostMeter meter)
    {
        TeacherScoringTransformer? owned = null;
        try
        {
            var teacher = _options.Distillation.Teacher;
            if ((_options.Distillation.TeacherModelFile ?? teacher?.Options.ModelFile) is { } file && File.Exists(file))
            {
                var scoring = new DistillationExperimentOptions { TeacherScoring = _options.Distillation.TeacherScoring, TextColumnName = _options.Distillation.TextColumnName }.TeacherScoringFor(file, DistillationExperimentOptions.DefaultTemperature);
                teacher = owned = _mlContext.Transforms.ScoreWithTeacher(scoring).Fit(new EmptyDataView(result.InputSchema));
            }

            if (teacher is null)
            {
                return null;
            }

            var cost = meter.MeasureTeacher(teacher, result.TeacherModelBytes);
            return new LeaderboardTeacherCost(result.TeacherModelBytes, TeacherParameters(),
                cost.LatencyP50, cost.MlNet?.LatencyP99Microseconds ?? double.NaN, cost.MlNet?.ThroughputRowsPerSecond ?? double.NaN,
                cost.Onnx?.LatencyP50Microseconds, cost.Onnx?.LatencyP99Microseconds, cost.Onnx?.ThroughputRowsPerSecond)
            {
                Note = cost.MlNetNote,
                OnnxNote = cost.OnnxNote,
                CostSeconds = cost.Seconds,
            };
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <summary>
    /// A run's trials as they go, hooked into the distillation experiment: before each student the time budget is checked
    /// (the students left are skipped and listed), after each the student is timed (when latency is measured) and its
    /// leaderboard entry reported. Augmentation may take half the budget.
    /// </summary>
    private sealed class TrialRecorder
    {
        private readonly StudentSizeExperiment _owner;
        private readonly DistillationExperiment _experiment;
        private readonly IList<DistillationStudent> _trials;
        private readonly DataViewSchema _inputSchema;
        private readonly Stopwatch _watch;
        private readonly IProgress<StudentSizeExperimentProgress>? _progress;
        private readonly CancellationToken _cancellationToken;
        private readonly TimeSpan? _timeBudget;
        private readonly (int Warmup, int Rows)? _latency;
        private ServingCostMeter? _meter;

        public TrialRecorder(StudentSizeExperiment owner, DistillationExperiment experiment, IList<DistillationStudent> trials, DataViewSchema inputSchema, Stopwatch watch,
            IProgress<StudentSizeExperimentProgress>? progress, CancellationToken cancellationToken)
        {
            var options = owner._options;
            (_owner, _experiment, _trials, _inputSchema, _watch, _progress, _cancellationToken) = (owner, experiment, trials, inputSchema, watch, progress, cancellationToken);
            Axis = options.CostAxis;
            _timeBudget = options.TimeBudget;
            _latency = options.MeasureLatency ? (options.LatencyWarmupRows, options.LatencyRows) : null;
            if (_timeBudget is { } augmentationBudget)
            {
                // Augmentation may take half the budget, so the students still get the other half; the rows made by then are kept.
                experiment.StopAugmentation = () => watch.Elapsed >= augmentationBudget / 2;
            }

            experiment.BeforeStudent = Before;
            experiment.AfterStudent = After;
        }

        /// <summary>Gets the cost axis.</summary>
        public LeaderboardCostAxis Axis { get; }

        /// <summary>Gets whether the students and the teacher are timed.</summary>
        public bool MeasuresLatency => _latency is not null;

        /// <summary>Gets the entries of the trials run, in order.</summary>
        public List<LeaderboardEntry> Entries { get; } = [];

        /// <summary>Gets the trials the time budget left out.</summary>
        public List<string> Skipped { get; } = [];

        /// <summary>The meter over the experiment's test rows, made at its first use.</summary>
        public ServingCostMeter Meter() => _meter ??= _owner._options.Distillation.TextColumnName is { } textColumn
            ? ServingCostMeter.FromTextRows(_owner._mlContext, _experiment.TestRows!, textColumn, _latency!.Value.Warmup, _latency.Value.Rows)
            : ServingCostMeter.FromRows(_owner._mlContext, _experiment.TestRows!, _latency!.Value.Warmup, _latency.Value.Rows);

        private bool Before(DistillationStudent student)
        {
            if (_timeBudget is { } budget && _watch.Elapsed >= budget)
            {
                Skipped.AddRange(_trials.SkipWhile(s => s != student).Select(s => s.Name));
                _progress?.Report(new StudentSizeExperimentProgress(
                    string.Format(CultureInfo.InvariantCulture, "the time budget ({0}) ran out after {1:F1} s: {2} not trained ({3})",
                        budget, _watch.Elapsed.TotalSeconds, Skipped.Count == 1 ? "1 student" : $"{Skipped.Count} students", string.Join(", ", Skipped)),
                    IsWarning: true));
                return false;
            }

            _progress?.Report(new StudentSizeExperimentProgress($"trial {Entries.Count + 1}/{_trials.Count}: {student.Name}", student.Name));
            return true;
        }

        private void After(DistillationStudentResult trained)
        {
            _cancellationToken.ThrowIfCancellationRequested(); // timing a student takes thousands of single-row predictions
            var cost = _latency is null ? null : Meter().MeasureStudent(trained.Distilled.Model, _inputSchema, trained.Distilled.ModelBytes, ParameterCount(trained));
            var entry = Entry(trained, Axis, cost);
            Entries.Add(entry);
            _progress?.Report(new StudentSizeExperimentProgress(
                string.Format(CultureInfo.InvariantCulture, "{0}: accuracy {1:F4}, agreement {2:F4}, {3:N0} bytes, {4:F1} s{5}", entry.Name, entry.Accuracy, entry.Agreement, entry.ModelBytes, entry.TrainSeconds,
                    cost is null ? "" : string.Format(CultureInfo.InvariantCulture, "; p50 {0:F1} µs (ONNX Runtime {1}), timed in {2:F2} s", entry.LatencyP50Microseconds,
                        entry.OnnxLatencyP50Microseconds is double onnx ? onnx.ToString("F1", CultureInfo.InvariantCulture) + " µs" : "n/a", entry.CostSeconds)),
                entry.Name, entry));
        }
    }

    /// <summary>Passes the distillation experiment's reports on, in order, on the calling thread.</summary>
    private sealed class Forward(IProgress<StudentSizeExperimentProgress> progress) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value) => progress.Report(new StudentSizeExperimentProgress(value.Message, value.Student, Detail: value));
    }
}
