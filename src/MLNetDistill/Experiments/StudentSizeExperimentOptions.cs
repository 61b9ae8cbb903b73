using System.Globalization;
using Microsoft.ML;
using MLNetDistill.Augmentation;
using MLNetDistill.Teachers;

namespace MLNetDistill.Experiments;

/// <summary>Options of <see cref="StudentSizeExperiment"/>: the teacher, the candidate students, the temperatures and alphas to sweep, the cost axis, the tolerance of the pick and the time budget.</summary>
/// <example>
/// <code language="csharp">
/// var options = new StudentSizeExperimentOptions { TeacherModelFile = "teacher.onnx", AccuracyTolerance = 0.01, TimeBudget = TimeSpan.FromMinutes(5) };
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

    /// <summary>Gets or sets the teacher's <c>.onnx</c> file (one session, each data set scored once, shared by every student).</summary>
    /// <value>Defaults to <see langword="null"/>. Set this or <see cref="Teacher"/>.</value>
    public string? TeacherModelFile { get; set; }

    /// <summary>Gets or sets how the teacher of <see cref="TeacherModelFile"/> runs (tokenizer, token limit, device, batch size, the output read, ...): a template, as <see cref="DistillationExperimentOptions.TeacherScoring"/>, used for the scoring and for timing the teacher.</summary>
    /// <value>Defaults to <see langword="null"/>: <see cref="TeacherScoringOptions"/>' defaults. Not with a fitted <see cref="Teacher"/>.</value>
    public TeacherScoringOptions? TeacherScoring { get; set; }

    /// <summary>Gets or sets a fitted teacher (<c>mlContext.Transforms.ScoreWithTeacher(...).Fit(data)</c>); the caller keeps and disposes it.</summary>
    /// <value>Defaults to <see langword="null"/>. Not together with <see cref="TeacherModelFile"/>.</value>
    public TeacherScoringTransformer? Teacher { get; set; }

    /// <summary>Gets or sets the training rows' soft labels read from a cache (<see cref="DistillationExperimentOptions.TrainingSoftLabels"/>), for a teacher known only by its labels.</summary>
    /// <value>Defaults to <see langword="null"/>: the teacher scores the training rows.</value>
    public IDataView? TrainingSoftLabels { get; set; }

    /// <summary>Gets or sets the test rows' soft labels read from a cache (<see cref="DistillationExperimentOptions.TestSoftLabels"/>): agreement, KL and the inheritance table against a teacher known only by its labels.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public IDataView? TestSoftLabels { get; set; }

    /// <summary>Gets or sets the data's text column (<see cref="DistillationExperimentOptions.TextColumnName"/>): every candidate is a text student, <c>FeaturizeText</c> inside its model.</summary>
    /// <value>Defaults to <see langword="null"/>: students read <c>Features</c>.</value>
    public string? TextColumnName { get; set; }

    /// <summary>Gets or sets offline augmentation (<see cref="DistillationExperimentOptions.Augmentation"/>): synthetic rows the teacher labels once, shared by every candidate; their scoring time counts towards <see cref="TimeBudget"/>, and making them stops at half the budget (the rows made by then are kept and the report says how many of those planned).</summary>
    /// <value>Defaults to <see langword="null"/>: no augmentation.</value>
    public AugmentationOptions? Augmentation { get; set; }

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

    /// <summary>Gets or sets the soft labels' temperature.</summary>
    /// <value>Defaults to <see langword="null"/>: as in <see cref="DistillationExperimentOptions.Temperature"/>.</value>
    public float? Temperature { get; set; }

    /// <summary>Gets or sets the weight of the soft labels against the hard labels.</summary>
    /// <value>Defaults to <see langword="null"/>: each family's default, as in <see cref="DistillationExperimentOptions.Alpha"/>.</value>
    public float? Alpha { get; set; }

    /// <summary>
    /// Gets the temperatures to sweep: each candidate is trained once per temperature (times each of <see cref="Alphas"/>),
    /// every trial on the same teacher run, its soft labels recomputed from the cached logits, softmax(logits / T).
    /// Each positive and finite; a value given twice is trained once. Families that ignore T (logit matching) are trained once.
    /// </summary>
    /// <value>Defaults to empty: no sweep, every candidate at <see cref="Temperature"/>. Not together with <see cref="Temperature"/>.</value>
    public IList<float> Temperatures { get; } = new List<float>();

    /// <summary>
    /// Gets the alphas to sweep: each candidate is trained once per alpha (times each of <see cref="Temperatures"/>).
    /// Each in [0, 1]; a value given twice is trained once. Students that ignore alpha (logit matching, estimators of your own) are trained once.
    /// </summary>
    /// <value>Defaults to empty: no sweep, every candidate at <see cref="Alpha"/>. Not together with <see cref="Alpha"/>.</value>
    public IList<float> Alphas { get; } = new List<float>();

    /// <summary>Gets or sets whether each trial is also trained on the teacher's arg-max labels of the same rows, its pseudo-label twin (<see cref="DistillationExperimentOptions.PseudoBaseline"/>); the leaderboard entries then carry <see cref="LeaderboardEntry.PseudoBaselineAccuracy"/> and <see cref="LeaderboardEntry.PseudoBaselineAgreement"/>. It doubles the training time.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool PseudoBaseline { get; set; }

    /// <summary>Gets or sets the seed (of the held-out split and every trial's student, as <see cref="DistillationExperimentOptions.Seed"/>).</summary>
    /// <remarks>
    /// The same inputs and seed give byte-identical model files, chart and leaderboard apart from its timing fields
    /// (<c>trainSeconds</c>, <c>seconds</c>, <c>costSeconds</c>, the <c>latency*</c>, <c>onnxLatency*</c>, <c>*ThroughputRowsPerSecond</c>
    /// and <c>latencySpeedUp</c> fields), with two exceptions that depend on the clock by design: on the
    /// <see cref="LeaderboardCostAxis.Latency"/> axis the costs, the Pareto front, the pick and the chart follow the measured
    /// times, and a <see cref="TimeBudget"/> decides which trials run.
    /// </remarks>
    /// <value>Defaults to 0.</value>
    public int Seed { get; set; }

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
        if (Temperature is float t && Temperatures.Count > 0)
        {
            throw new ArgumentException(
                $"Both Temperature ({t.ToString(CultureInfo.InvariantCulture)}) and Temperatures ({Format(Temperatures)}) are set: give one temperature, or the list to sweep (add {t.ToString(CultureInfo.InvariantCulture)} to it).", nameof(Temperatures));
        }

        if (Alpha is float a && Alphas.Count > 0)
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
