using System.Globalization;
using Microsoft.ML;
using MLNetDistill.Augmentation;
using MLNetDistill.Teachers;

namespace MLNetDistill.Experiments;

/// <summary>Options of <see cref="StudentSizeExperiment"/>: the teacher, the candidate students, the temperatures and alphas to sweep, the cost axis, the tolerance of the pick and the time budget.</summary>
/// <example>
/// <code language="csharp">
/// var options = new StudentSizeExperimentOptions { AccuracyTolerance = 0.01, TimeBudget = TimeSpan.FromMinutes(5) };
/// options.Distillation.TeacherModelFile = "teacher.onnx";
/// options.Students.Add(DistillationStudent.FromSpec("sdca"));
/// options.Students.Add(DistillationStudent.FromSpec("mlp:32"));
/// options.Temperatures.Add(1f); // sweep: each student at T = 1 and T = 4 (one teacher run)
/// options.Temperatures.Add(4f);
/// var experiment = new StudentSizeExperiment(mlContext, options);
/// </code>
/// </example>
public sealed class StudentSizeExperimentOptions
{
    /// <summary>The default tolerance of the pick: within 2 % of the teacher's accuracy.</summary>
    public const double DefaultAccuracyTolerance = 0.02;

    private DistillationExperimentOptions _distillation = new();

    /// <summary>
    /// Gets or sets how every trial distills, as one <see cref="DistillationExperiment"/> would: the teacher
    /// (<see cref="DistillationExperimentOptions.TeacherModelFile"/> and <see cref="DistillationExperimentOptions.TeacherScoring"/>,
    /// used for the scoring and for timing the teacher, or a fitted <see cref="DistillationExperimentOptions.Teacher"/>), soft
    /// labels from caches, the text column (every candidate is then a text student), offline augmentation (its scoring time
    /// counts towards <see cref="TimeBudget"/>, and making the rows stops at half the budget, keeping the rows made), the
    /// temperature, alpha, the pseudo-label twins, the seed, the held-out share and the hard-label twins. Everything but its
    /// <see cref="DistillationExperimentOptions.Students"/>: the candidates are <see cref="Students"/>, expanded into trials
    /// by <see cref="Temperatures"/> and <see cref="Alphas"/>, so <c>Distillation.Students</c> stays empty.
    /// </summary>
    /// <value>Defaults to a new <see cref="DistillationExperimentOptions"/> at its defaults (no teacher yet); not <see langword="null"/>.</value>
    /// <exception cref="ArgumentNullException">The value set is <see langword="null"/>.</exception>
    public DistillationExperimentOptions Distillation
    {
        get => _distillation;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _distillation = value;
        }
    }

    /// <summary>Gets or sets <see cref="DistillationExperimentOptions.TeacherModelFile"/> of <see cref="Distillation"/>: the teacher's <c>.onnx</c> file.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    [Obsolete("Use Distillation.TeacherModelFile.")]
    public string? TeacherModelFile { get => Distillation.TeacherModelFile; set => Distillation.TeacherModelFile = value; }

    /// <summary>Gets or sets <see cref="DistillationExperimentOptions.TeacherScoring"/> of <see cref="Distillation"/>: how the teacher file runs.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    [Obsolete("Use Distillation.TeacherScoring.")]
    public TeacherScoringOptions? TeacherScoring { get => Distillation.TeacherScoring; set => Distillation.TeacherScoring = value; }

    /// <summary>Gets or sets <see cref="DistillationExperimentOptions.Teacher"/> of <see cref="Distillation"/>: a fitted teacher.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    [Obsolete("Use Distillation.Teacher.")]
    public TeacherScoringTransformer? Teacher { get => Distillation.Teacher; set => Distillation.Teacher = value; }

    /// <summary>Gets or sets <see cref="DistillationExperimentOptions.TrainingSoftLabels"/> of <see cref="Distillation"/>: the training rows' soft labels from a cache.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    [Obsolete("Use Distillation.TrainingSoftLabels.")]
    public IDataView? TrainingSoftLabels { get => Distillation.TrainingSoftLabels; set => Distillation.TrainingSoftLabels = value; }

    /// <summary>Gets or sets <see cref="DistillationExperimentOptions.TestSoftLabels"/> of <see cref="Distillation"/>: the test rows' soft labels from a cache.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    [Obsolete("Use Distillation.TestSoftLabels.")]
    public IDataView? TestSoftLabels { get => Distillation.TestSoftLabels; set => Distillation.TestSoftLabels = value; }

    /// <summary>Gets or sets <see cref="DistillationExperimentOptions.TextColumnName"/> of <see cref="Distillation"/>: the data's text column.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    [Obsolete("Use Distillation.TextColumnName.")]
    public string? TextColumnName { get => Distillation.TextColumnName; set => Distillation.TextColumnName = value; }

    /// <summary>Gets or sets <see cref="DistillationExperimentOptions.Augmentation"/> of <see cref="Distillation"/>: offline augmentation.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    [Obsolete("Use Distillation.Augmentation.")]
    public AugmentationOptions? Augmentation { get => Distillation.Augmentation; set => Distillation.Augmentation = value; }

    /// <summary>Gets the candidate students, trained in this order; a spec given twice is trained once (a warning is reported).</summary>
    /// <value>Defaults to empty; at least one is needed.</value>
    public IList<DistillationStudent> Students { get; } = new List<DistillationStudent>();

    /// <summary>Gets or sets what counts as cost on the leaderboard.</summary>
    /// <value>Defaults to <see cref="LeaderboardCostAxis.Size"/>. <see cref="LeaderboardCostAxis.Latency"/> needs <see cref="MeasureLatency"/>.</value>
    public LeaderboardCostAxis CostAxis { get; set; } = LeaderboardCostAxis.Size;

    /// <summary>Gets or sets the share of the teacher's accuracy the pick may lose, in [0, 1).</summary>
    /// <value>Defaults to 0.02 (<see cref="DefaultAccuracyTolerance"/>): the pick's accuracy is at least 98 % of the teacher's.</value>
    public double AccuracyTolerance { get; set; } = DefaultAccuracyTolerance;

    /// <summary>Gets or sets the wall-clock budget, teacher scoring included; checked before each student: a student started is finished, the rest are skipped and listed.</summary>
    /// <value>Defaults to <see langword="null"/>: no limit.</value>
    public TimeSpan? TimeBudget { get; set; }

    /// <summary>Gets or sets <see cref="DistillationExperimentOptions.Temperature"/> of <see cref="Distillation"/>: the soft labels' temperature.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    [Obsolete("Use Distillation.Temperature.")]
    public float? Temperature { get => Distillation.Temperature; set => Distillation.Temperature = value; }

    /// <summary>Gets or sets <see cref="DistillationExperimentOptions.Alpha"/> of <see cref="Distillation"/>: the weight of the soft labels against the hard labels.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    [Obsolete("Use Distillation.Alpha.")]
    public float? Alpha { get => Distillation.Alpha; set => Distillation.Alpha = value; }

    /// <summary>
    /// Gets the temperatures to sweep: each candidate is trained once per temperature (times each of <see cref="Alphas"/>),
    /// every trial on the same teacher run, its soft labels recomputed from the cached logits, softmax(logits / T).
    /// Each positive and finite; a value given twice is trained once. Families that ignore T (logit matching) are trained once.
    /// </summary>
    /// <value>Defaults to empty: no sweep, every candidate at <c>Distillation.Temperature</c> (<see cref="DistillationExperimentOptions.Temperature"/>). Not together with it.</value>
    public IList<float> Temperatures { get; } = new List<float>();

    /// <summary>
    /// Gets the alphas to sweep: each candidate is trained once per alpha (times each of <see cref="Temperatures"/>).
    /// Each in [0, 1]; a value given twice is trained once. Students that ignore alpha (logit matching, estimators of your own) are trained once.
    /// </summary>
    /// <value>Defaults to empty: no sweep, every candidate at <c>Distillation.Alpha</c> (<see cref="DistillationExperimentOptions.Alpha"/>). Not together with it.</value>
    public IList<float> Alphas { get; } = new List<float>();

    /// <summary>Gets or sets <see cref="DistillationExperimentOptions.PseudoBaseline"/> of <see cref="Distillation"/>: whether each trial also trains its pseudo-label twin.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    [Obsolete("Use Distillation.PseudoBaseline.")]
    public bool PseudoBaseline { get => Distillation.PseudoBaseline; set => Distillation.PseudoBaseline = value; }

    /// <summary>Gets or sets <see cref="DistillationExperimentOptions.Seed"/> of <see cref="Distillation"/>: the seed of the held-out split and every trial's student.</summary>
    /// <value>Defaults to 0.</value>
    [Obsolete("Use Distillation.Seed.")]
    public int Seed { get => Distillation.Seed; set => Distillation.Seed = value; }

    /// <summary>Gets or sets whether each student and the teacher are timed in both served forms: the ML.NET model one row at a time through a <c>PredictionEngine</c>'s mapper and in a batch pass, and the ONNX graph (the student's export, the teacher's own file) in ONNX Runtime one row at a time and in batches.</summary>
    /// <value>Defaults to <see langword="true"/>. <see langword="false"/> skips it: the latency fields are NaN or <see langword="null"/>, and <see cref="LeaderboardCostAxis.Latency"/> is refused.</value>
    public bool MeasureLatency { get; set; } = true;

    /// <summary>Gets or sets the test rows timed one at a time in each form (the first ones; fewer test rows are cycled through); the batch throughput is measured on the same rows.</summary>
    /// <value>Defaults to 500, at least 1: the 99th percentile is then the 495th time.</value>
    public int LatencyRows { get; set; } = 500;

    /// <summary>Gets or sets the rows run one at a time, untimed, before the timing of each form (JIT, caches, ONNX Runtime's first runs), at least 0.</summary>
    /// <value>Defaults to 50.</value>
    public int LatencyWarmupRows { get; set; } = 50;

    /// <summary>Checks the options that are this experiment's own (the distillation experiment checks the rest).</summary>
    internal void Check()
    {
        if (Students.Count == 0)
        {
            throw new ArgumentException(
                "No candidate students: add at least one, e.g. AddStudents(\"sdca\", \"lightgbm:trees=20\", \"mlp:32\").", nameof(Students));
        }

        if (Distillation.Students.Count > 0)
        {
            throw new ArgumentException(
                $"Distillation.Students holds {Distillation.Students.Count.ToString(CultureInfo.InvariantCulture)} students, but the candidates of a student-size experiment are its own Students (each expanded into trials): add them to Students and leave Distillation.Students empty.",
                nameof(Distillation));
        }

        if (!Enum.IsDefined(CostAxis))
        {
            throw new ArgumentOutOfRangeException(nameof(CostAxis), CostAxis, $"CostAxis {(int)CostAxis} is not a LeaderboardCostAxis: use Size, Parameters or Latency.");
        }

        if (CostAxis == LeaderboardCostAxis.Latency && !MeasureLatency)
        {
            throw new ArgumentException(
                "CostAxis is Latency but MeasureLatency is false, so there is no latency to rank on: set MeasureLatency to true (the default), or choose LeaderboardCostAxis.Size or LeaderboardCostAxis.Parameters.",
                nameof(MeasureLatency));
        }

        if (LatencyRows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(LatencyRows), LatencyRows,
                $"LatencyRows must be at least 1 but was {LatencyRows.ToString(CultureInfo.InvariantCulture)}; the default is 500 (or set MeasureLatency to false to skip timing).");
        }

        if (LatencyWarmupRows < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(LatencyWarmupRows), LatencyWarmupRows,
                $"LatencyWarmupRows must be at least 0 but was {LatencyWarmupRows.ToString(CultureInfo.InvariantCulture)}; the default is 50 (0 times from the first row).");
        }

        CheckTolerance(AccuracyTolerance, nameof(AccuracyTolerance));
        CheckTemperatures(Temperatures, nameof(Temperatures));
        CheckAlphas(Alphas, nameof(Alphas));
        if (Distillation.Temperature is float t && Temperatures.Count > 0)
        {
            throw new ArgumentException(
                $"Both Temperature ({t.ToString(CultureInfo.InvariantCulture)}) and Temperatures ({Format(Temperatures)}) are set: give one temperature, or the list to sweep (add {t.ToString(CultureInfo.InvariantCulture)} to it).", nameof(Temperatures));
        }

        if (Distillation.Alpha is float a && Alphas.Count > 0)
        {
            throw new ArgumentException(
                $"Both Alpha ({a.ToString(CultureInfo.InvariantCulture)}) and Alphas ({Format(Alphas)}) are set: give one alpha, or the list to sweep (add {a.ToString(CultureInfo.InvariantCulture)} to it).", nameof(Alphas));
        }

        if (TimeBudget is { } budget && budget <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(TimeBudget), budget, $"TimeBudget must be positive but was {budget}: give e.g. TimeSpan.FromMinutes(10), or null for no limit.");
        }
    }

    internal static void CheckTemperatures(IEnumerable<float> temperatures, string name)
    {
        int i = 0;
        foreach (float t in temperatures)
        {
            if (!(t > 0f) || float.IsInfinity(t))
            {
                throw new ArgumentOutOfRangeException(name, t,
                    $"{name}[{i}] is {t.ToString(CultureInfo.InvariantCulture)}, but a temperature must be positive and finite (soft labels are softmax(logits / T), typically T from 1 to 20): remove it or give e.g. 2.");
            }

            i++;
        }
    }

    internal static void CheckAlphas(IEnumerable<float> alphas, string name)
    {
        int i = 0;
        foreach (float a in alphas)
        {
            if (!(a >= 0f && a <= 1f))
            {
                throw new ArgumentOutOfRangeException(name, a,
                    $"{name}[{i}] is {a.ToString(CultureInfo.InvariantCulture)}, but alpha must be in [0, 1] (the weight of the soft labels; 1 - alpha weighs the hard label): remove it or give e.g. 0.5.");
            }

            i++;
        }
    }

    /// <summary>Values as written in messages and trial names: <c>1, 2.5, 4</c>.</summary>
    internal static string Format(IEnumerable<float> values) => string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    internal static void CheckTolerance(double tolerance, string name)
    {
        if (!(tolerance >= 0 && tolerance < 1))
        {
            throw new ArgumentOutOfRangeException(name, tolerance,
                $"The accuracy tolerance must be in [0, 1) (0.02 for within 2 % of the teacher) but was {tolerance.ToString(CultureInfo.InvariantCulture)}.");
        }
    }
}
