using Microsoft.ML;
using MLNetDistill.Augmentation;
using MLNetDistill.Teachers;
using MLNetDistill.Numerics;
using MLNetDistill.Cache;
using MLNetDistill.Serving;

namespace MLNetDistill.Experiments;

/// <summary>Options of <see cref="DistillationExperiment"/>: the teacher, the students and how they are trained. Copied and checked when the experiment is made.</summary>
public sealed class DistillationExperimentOptions
{
    /// <summary>The temperature used when none is given and no fitted teacher says otherwise.</summary>
    public const float DefaultTemperature = 1f;

    /// <summary>The share of the training rows held out for evaluation when no test data is given.</summary>
    public const float DefaultTestFraction = 0.2f;

    /// <summary>The share of the training rows held out from the students to choose the cascade's threshold, when a cascade is asked for.</summary>
    public const float DefaultCascadeHoldoutFraction = 0.1f;

    /// <summary>Gets or sets the teacher's <c>.onnx</c> file; the experiment opens one session over it, scores each data set once, and closes it.</summary>
    /// <value>Defaults to <see langword="null"/>. Set this, <see cref="Teacher"/>, or <see cref="TrainingSoftLabels"/> (soft labels made earlier).</value>
    public string? TeacherModelFile { get; set; }

    /// <summary>
    /// Gets or sets how the teacher of <see cref="TeacherModelFile"/> runs: its tokenizer file and token limit
    /// (<see cref="TeacherScoringOptions.TokenizerFile"/>, <see cref="TeacherScoringOptions.MaxTokens"/>), device
    /// (<see cref="TeacherScoringOptions.GpuDeviceId"/>, <see cref="TeacherScoringOptions.FallbackToCpu"/>), batch size, the
    /// output read (<see cref="TeacherScoringOptions.TeacherOutputName"/>), <see cref="TeacherScoringOptions.SkipInvalidRows"/>
    /// and the rest. A template: the experiment copies it when it is made and fills in <see cref="TeacherScoringOptions.ModelFile"/>
    /// (<see cref="TeacherModelFile"/>), <see cref="TeacherScoringOptions.Temperature"/> (<see cref="Temperature"/>),
    /// <see cref="TeacherScoringOptions.TextColumnName"/> (<see cref="TextColumnName"/>) and the default column names, which the
    /// experiment reads; its own values of those are ignored.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: <see cref="TeacherScoringOptions"/>' defaults (CPU, 256 rows a batch, the tokenizer beside the teacher). Not with a fitted <see cref="Teacher"/>, which was built with its own options.</value>
    public TeacherScoringOptions? TeacherScoring { get; set; }

    /// <summary>Gets or sets a fitted teacher (<c>mlContext.Transforms.ScoreWithTeacher(...).Fit(data)</c>); the caller keeps and disposes it.</summary>
    /// <value>Defaults to <see langword="null"/>. Not together with <see cref="TeacherModelFile"/>.</value>
    public TeacherScoringTransformer? Teacher { get; set; }

    /// <summary>
    /// Gets or sets the teacher's output for the training rows read back from a cache (<c>TeacherCache.Read</c> or
    /// <c>TeacherCache.ReadMatching</c>): one row per training row, in order, with <c>TeacherLogits</c> and <c>SoftLabels</c> at
    /// <see cref="Temperature"/>. The training rows are then not scored again; the data flows on exactly as the teacher's live output would.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: the teacher scores the training rows.</value>
    public IDataView? TrainingSoftLabels { get; set; }

    /// <summary>Gets the students to train, each on the same scored rows.</summary>
    /// <value>Defaults to empty; at least one is needed.</value>
    public IList<DistillationStudent> Students { get; } = new List<DistillationStudent>();

    /// <summary>Gets or sets the soft labels' temperature T, softmax(logits / T); positive and finite.</summary>
    /// <value>Defaults to <see langword="null"/>: the fitted <see cref="Teacher"/>'s temperature, else 1 (the measured best for tree and linear students; see README).</value>
    public float? Temperature { get; set; }

    /// <summary>Gets or sets alpha, the weight of the soft labels against the hard labels, in [0, 1].</summary>
    /// <value>Defaults to <see langword="null"/>: each family's default (0.5 for ML.NET students; for MLPs the MLP trainer's, <c>MlpTrainerOptions.Alpha</c>).</value>
    public float? Alpha { get; set; }

    /// <summary>Gets or sets whether each student is also trained on the hard labels alone (its baseline).</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool Baseline { get; set; }

    /// <summary>
    /// Gets or sets whether each student is also trained on pseudo-labels (its pseudo-label twin): the same spec, in a context
    /// of its own seeded like the student's, trained on the teacher's arg-max class (the arg-max of <c>TeacherLogits</c>) as a
    /// hard label for exactly the rows the distilled student learns from (training, transfer and synthetic rows), and
    /// measured on the same test rows. It is what users do by hand without distillation, so the gain of soft labels over
    /// it is the honest measure of what soft labels add. Unlike the hard-label twin it needs no human labels.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool PseudoBaseline { get; set; }

    /// <summary>Gets or sets the seed: the same inputs and seed give the same models and metrics (timings aside).</summary>
    /// <remarks>
    /// The seed makes the held-out split and every student from a spec (each built in an <see cref="MLContext"/> seeded with it,
    /// its hard-label twin in another). Each family's defaults are deterministic: SDCA trains on one thread (<c>NumberOfThreads = 1</c>:
    /// with more, its lock-free parallel updates race and ML.NET does not guarantee determinism), L-BFGS and FastTree on one
    /// thread too (so no result depends on the machine's core count), LightGbm with
    /// <c>Deterministic = true</c>, <c>NumberOfThreads = 1</c>, <c>ForceColumnWise = true</c> and the seed, the MLP engine is
    /// bit-identical for any thread count. L-BFGS has no random choice, so the seed does not change its model. Saved with
    /// <see cref="DistillationResultWriter"/>, the same model gives the same zip and ONNX bytes. A custom
    /// <see cref="DistillationStudent"/> estimator is trained as given, with the context it was made in.
    /// </remarks>
    /// <value>Defaults to 0.</value>
    public int Seed { get; set; }

    /// <summary>Gets or sets the share of the training rows held out (seeded) for evaluation when no test data is given, in (0, 1).</summary>
    /// <value>Defaults to 0.2.</value>
    public float TestFraction { get; set; } = DefaultTestFraction;

    /// <summary>
    /// Gets or sets offline augmentation: synthetic rows made from the training rows (after the test rows are held out), labeled
    /// by the teacher (same session, once, in batches) and added to the distilled students' rows like transfer rows; the
    /// hard-label twins never see them. Needs a teacher (<see cref="TeacherModelFile"/> or <see cref="Teacher"/>): soft labels
    /// from a cache cannot label new rows.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: no augmentation.</value>
    public AugmentationOptions? Augmentation { get; set; }

    /// <summary>
    /// Gets or sets the soft labels of the test rows, read from a cache (<c>TeacherCache.Read</c>), in the test rows' order: a
    /// teacher known only by its labels (an LLM, a Python model without an ONNX file) is then judged like a live one
    /// (agreement, KL, its accuracy, the inheritance table). Needs test data given to <see cref="DistillationExperiment.Run"/>;
    /// when the test rows are held out of the training rows they already carry <see cref="TrainingSoftLabels"/>' labels. When a
    /// teacher model is given too, the test rows are judged against this cache and the teacher does not score them.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: the teacher scores the test rows, or, with no teacher model, agreement and KL are not measured.</value>
    public IDataView? TestSoftLabels { get; set; }

    /// <summary>
    /// Gets or sets the data's text column: every student from a spec becomes a text student, ML.NET's <c>FeaturizeText</c>
    /// (its spec's <c>text=</c> settings, else <see cref="Students.TextFeaturization.Default"/>) fitted into its own model before its
    /// trainer, so the saved model takes the raw text and needs no tokenizer file.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: students read the numeric <c>Features</c> column (a spec with <c>text=</c> reads the column <c>Text</c>).</value>
    public string? TextColumnName { get; set; }

    /// <summary>
    /// Gets or sets budgeted teacher labeling of the transfer rows: the pool is the transfer rows given to
    /// <see cref="DistillationExperiment.Run"/>, and instead of labeling them all, the teacher labels only the rows the selecting
    /// student (<see cref="BudgetOptions.Student"/>, else the first student from a spec) is least sure of, round by round, until the
    /// budget is spent; every student then learns from the training rows and the rows bought. The result's
    /// <see cref="DistillationExperimentResult.Budget"/> holds the curve and the same budgets spent at random.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: the teacher labels every transfer row.</value>
    public BudgetOptions? Budget { get; set; }

    /// <summary>
    /// Gets or sets what each student's cascade must reach: the student answers, and the teacher takes the rows the student
    /// is least sure of (<see cref="CascadeRule"/>). The threshold is chosen on <see cref="CascadeHoldoutFraction"/> of the
    /// training rows, held out from the students (never on the test rows), and the cascade is then measured on the test rows:
    /// <see cref="DistillationStudentResult.Cascade"/>, with its curve of quality against the share of rows deferred.
    /// Needs the teacher's outputs on the test rows (a teacher model, or <see cref="TestSoftLabels"/>).
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: no cascade, no rows held out for it, every other figure as without it.</value>
    public CascadeTarget? CascadeTarget { get; set; }

    /// <summary>
    /// Gets or sets the share of the training rows (after the test rows are held out, when they are) held out from the
    /// students to choose the cascade's threshold on, in (0, 1). Only carved out when <see cref="CascadeTarget"/> is set, so
    /// without a cascade the students learn from every training row, exactly as before; with one they learn from the rest
    /// (and so do their hard-label and pseudo-label twins). The split is seeded with <see cref="Seed"/>.
    /// </summary>
    /// <value>Defaults to 0.1 (<see cref="DefaultCascadeHoldoutFraction"/>).</value>
    public float CascadeHoldoutFraction { get; set; } = DefaultCascadeHoldoutFraction;

    /// <summary>
    /// Gets or sets how the cascade turns a student's class probabilities into its confidence (the rows of lowest confidence
    /// go to the teacher): the top probability, the margin between the two most likely classes, the negated entropy,
    /// or a learned rule (a small model predicting whether the student agrees with the teacher, trained on the even held-out
    /// rows, its threshold chosen on the odd ones, as the cascade estimator does). The curves of all four are measured on
    /// the test rows beside it (<see cref="DistillationCascade.RuleCurves"/>).
    /// </summary>
    /// <value>Defaults to <see cref="DeferralRule.TopProbability"/>.</value>
    public DeferralRule CascadeRule { get; set; } = DeferralRule.TopProbability;

    /// <summary>A checked copy: the experiment keeps its own options, so changing these later does not change it.</summary>
    internal DistillationExperimentOptions Validated()
    {
        CheckTeacher();
        CheckTeacherScoring();
        CheckStudentsAndRanges();
        CheckAugmentationAndText();
        CheckCascade();
        var copy = CopySettings();
        copy.Augmentation = Augmentation?.Validated();
        copy.TeacherScoring = TeacherScoring?.Clone();
        copy.Budget = ValidatedBudget();
        copy.CascadeTarget = CascadeTarget?.Clone();
        foreach (var student in Students)
        {
            copy.Students.Add(student);
        }

        return copy;
    }

    /// <summary>The budget checked and completed with the experiment's seed, alpha, text column and selecting student, or null.</summary>
    private BudgetOptions? ValidatedBudget()
    {
        if (Budget is null)
        {
            return null;
        }

        if (TeacherModelFile is null && Teacher is null)
        {
            throw new ArgumentException(
                "Budget buys teacher labels for transfer rows, and soft labels from a cache cannot label new rows: give TeacherModelFile (or a fitted Teacher) as well as, or instead of, TrainingSoftLabels.",
                nameof(Budget));
        }

        var budget = Budget.Validated();
        budget.Seed ??= Seed;
        budget.Alpha ??= Alpha;
        budget.TextColumnName ??= TextColumnName;
        budget.Student ??= Students.FirstOrDefault(s => s.Spec is not null)?.Spec!.ToString()
            ?? throw new ArgumentException("Budget needs a student from a spec to pick the rows: set Budget.Student (e.g. \"sdca\"), or add a student with DistillationStudent.FromSpec.", nameof(Budget));
        return budget;
    }

    /// <summary>A copy of every setting but <see cref="Students"/> (left empty) and <see cref="Budget"/> (a sweep's trials do not buy labels), unchecked, sharing the objects these options refer to (teacher, scoring template, augmentation, caches).</summary>
    internal DistillationExperimentOptions CopySettings() => new()
    {
        TestSoftLabels = TestSoftLabels,
        TextColumnName = TextColumnName,
        Augmentation = Augmentation,
        TeacherModelFile = TeacherModelFile,
        TeacherScoring = TeacherScoring,
        Teacher = Teacher,
        TrainingSoftLabels = TrainingSoftLabels,
        Temperature = Temperature,
        Alpha = Alpha,
        Baseline = Baseline,
        PseudoBaseline = PseudoBaseline,
        Seed = Seed,
        TestFraction = TestFraction,
        CascadeTarget = CascadeTarget,
        CascadeHoldoutFraction = CascadeHoldoutFraction,
        CascadeRule = CascadeRule,
    };

    /// <summary>Exactly one teacher (file, fitted transformer, or a cache of soft labels), and the file exists.</summary>
    private void CheckTeacher()
    {
        if (TeacherModelFile is not null && Teacher is not null)
        {
            throw new ArgumentException(
                $"Both TeacherModelFile ('{TeacherModelFile}') and a fitted Teacher are set: give one teacher (the file, or the transformer fitted from it).", nameof(TeacherModelFile));
        }

        if (TeacherModelFile is null && Teacher is null && TrainingSoftLabels is null)
        {
            throw new ArgumentException(
                "No teacher: set TeacherModelFile (the teacher's .onnx), Teacher (a fitted ScoreWithTeacher transformer), or TrainingSoftLabels (the training rows' soft labels read from a cache).",
                nameof(TeacherModelFile));
        }

        if (TeacherModelFile is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(TeacherModelFile, nameof(TeacherModelFile));
            if (!File.Exists(TeacherModelFile))
            {
                throw new FileNotFoundException($"Teacher model '{TeacherModelFile}' was not found: check the path (relative paths start from '{Environment.CurrentDirectory}').", TeacherModelFile);
            }
        }
    }

    /// <summary>At least one student and no null one; temperature, alpha and the held-out share in range.</summary>
    private void CheckStudentsAndRanges()
    {
        if (Students.Count == 0)
        {
            throw new ArgumentException("No students: add at least one, e.g. options.Students.Add(DistillationStudent.FromSpec(\"sdca\")).", nameof(Students));
        }

        if (Students.Any(s => s is null))
        {
            throw new ArgumentException("Students holds a null entry: add DistillationStudent.FromSpec(...) or DistillationStudent.FromEstimator(...) values only.", nameof(Students));
        }

        if (Temperature is float t)
        {
            Numerics.SoftLabelMath.CheckTemperature(t, nameof(Temperature));
        }

        if (Alpha is float a)
        {
            Numerics.SoftLabelMath.CheckAlpha(a, nameof(Alpha));
        }

        if (!(TestFraction > 0f && TestFraction < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(TestFraction), TestFraction, $"TestFraction must be in (0, 1) (for example 0.2, a fifth of the training rows held out) but was {TestFraction}.");
        }
    }

    /// <summary>Augmentation needs a teacher model and numeric features; a text column is not blank.</summary>
    private void CheckAugmentationAndText()
    {
        if (Augmentation is not null && TeacherModelFile is null && Teacher is null)
        {
            throw new ArgumentException(
                "Augmentation makes new rows, and soft labels from a cache cannot label new rows: give TeacherModelFile (or a fitted Teacher) as well as, or instead of, TrainingSoftLabels.",
                nameof(Augmentation));
        }

        if (TextColumnName is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(TextColumnName, nameof(TextColumnName));
            if (Augmentation is not null)
            {
                throw new ArgumentException(
                    $"Augmentation makes synthetic rows from numeric features, and the students read the text column '{TextColumnName}': leave Augmentation unset for text students.",
                    nameof(Augmentation));
            }
        }
    }

    /// <summary>The cascade's held-out share in (0, 1), a known rule and a target given one way; checked only when a cascade is asked for.</summary>
    private void CheckCascade()
    {
        if (CascadeTarget is null)
        {
            return;
        }

        if (!(CascadeHoldoutFraction > 0f && CascadeHoldoutFraction < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(CascadeHoldoutFraction), CascadeHoldoutFraction,
                $"CascadeHoldoutFraction must be in (0, 1) (for example 0.1, a tenth of the training rows held out to choose the cascade's threshold) but was {CascadeHoldoutFraction}.");
        }

        if (!Enum.IsDefined(CascadeRule))
        {
            throw new ArgumentException(
                $"CascadeRule {CascadeRule} is not a deferral rule: use TopProbability, Margin, Entropy or Learned.",
                nameof(CascadeRule));
        }

        CascadeTarget.Validate();
    }

    /// <summary>The options the experiment opens <paramref name="file"/> with: a copy of <see cref="TeacherScoring"/> with the experiment's file, temperature, text column and column names.</summary>
    internal TeacherScoringOptions TeacherScoringFor(string file, float temperature)
    {
        var scoring = TeacherScoring?.Clone() ?? new TeacherScoringOptions();
        var defaults = new TeacherScoringOptions();
        scoring.ModelFile = file;
        scoring.Temperature = temperature;
        scoring.TextColumnName = TextColumnName;
        scoring.Task = TeacherTask.Auto;
        scoring.LogitsColumnName = defaults.LogitsColumnName;
        scoring.SoftLabelsColumnName = defaults.SoftLabelsColumnName;
        scoring.PredictedLabelColumnName = defaults.PredictedLabelColumnName;
        scoring.ScoreColumnName = defaults.ScoreColumnName;
        scoring.LabelColumnName = defaults.LabelColumnName;
        return scoring;
    }

    /// <summary>Checks <see cref="TeacherScoring"/> as the experiment will use it (with a stand-in file when there is no teacher file yet).</summary>
    private void CheckTeacherScoring()
    {
        if (TeacherScoring is null)
        {
            return;
        }

        if (Teacher is not null)
        {
            throw new ArgumentException(
                "TeacherScoring sets how the experiment runs TeacherModelFile, and a fitted Teacher was built with its own options: set the options when fitting the teacher (ScoreWithTeacher(options)), or leave TeacherScoring unset.",
                nameof(TeacherScoring));
        }

        if (TextColumnName is null && (TeacherScoring.TokenizerFile is not null || TeacherScoring.MaxTokens is not null))
        {
            throw new ArgumentException(
                "TeacherScoring.TokenizerFile and MaxTokens apply to a text teacher: set TextColumnName to the column that holds the texts, or leave them unset.",
                nameof(TeacherScoring));
        }

        TeacherScoringFor(TeacherModelFile ?? "teacher.onnx", Temperature ?? DefaultTemperature).Validate();
    }
}
