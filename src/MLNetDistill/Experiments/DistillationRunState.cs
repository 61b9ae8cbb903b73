using System.Diagnostics;
using Microsoft.ML;
using MLNetDistill.Augmentation;
using MLNetDistill.Evaluation;
using MLNetDistill.Teachers;

namespace MLNetDistill.Experiments;

/// <summary>
/// What one <see cref="DistillationExperiment.Run"/> carries from stage to stage
/// (<c>PrepareTeacher → PrepareSets → ScoreSets → Augment → GatherStudentRows → EvaluateTeacher → TrainStudents</c>, each student then <c>MeasureCascade</c> when a cascade is asked for): the inputs, then what
/// each stage adds for the next. A stage reads what the stages before it set and sets its own part, nothing else.
/// </summary>
/// <param name="train">The training rows as given.</param>
/// <param name="test">The test rows as given, or null to hold some training rows out.</param>
/// <param name="transfer">The transfer rows as given, or null.</param>
/// <param name="labeled">Whether the training rows carry a <c>Label</c> column.</param>
/// <param name="needsHint">Whether a student trains on the teacher's penultimate layer.</param>
/// <param name="progress">Where the stages report.</param>
/// <param name="cancellationToken">Stops the stages.</param>
internal sealed class DistillationRunState(IDataView train, IDataView? test, IDataView? transfer, bool labeled, bool needsHint,
    IProgress<DistillationProgress>? progress, CancellationToken cancellationToken)
{
    /// <summary>Gets the training rows as given.</summary>
    public IDataView Train { get; } = train;

    /// <summary>Gets the test rows as given, or null (then <see cref="HeldOut"/>).</summary>
    public IDataView? Test { get; } = test;

    /// <summary>Gets the transfer rows as given, or null.</summary>
    public IDataView? Transfer { get; } = transfer;

    /// <summary>Gets whether the training rows carry hard labels.</summary>
    public bool Labeled { get; } = labeled;

    /// <summary>Gets whether a student trains on the teacher's penultimate layer (the teacher is opened with a hint output).</summary>
    public bool NeedsHint { get; } = needsHint;

    /// <summary>Gets where the stages report.</summary>
    public IProgress<DistillationProgress>? Progress { get; } = progress;

    /// <summary>Gets the token that stops the stages.</summary>
    public CancellationToken CancellationToken { get; } = cancellationToken;

    // PrepareTeacher

    /// <summary>Gets or sets the soft labels' temperature.</summary>
    public float Temperature { get; set; }

    /// <summary>Gets or sets the teacher (the caller's or <see cref="OwnedTeacher"/>), or null with soft labels from a cache only.</summary>
    public TeacherScoringTransformer? Teacher { get; set; }

    /// <summary>Gets or sets the teacher the run opened from its file and disposes at its end.</summary>
    public TeacherScoringTransformer? OwnedTeacher { get; set; }

    /// <summary>Gets or sets the teacher's hint column, when a student trains on it.</summary>
    public string? HintColumn { get; set; }

    // PrepareSets

    /// <summary>Gets or sets the training rows (with the cache's columns, when one is given), less the held-out rows.</summary>
    public IDataView TrainPart { get; set; } = null!;

    /// <summary>Gets or sets the test rows: held out of the training rows, or the given test rows (with their cache's columns).</summary>
    public IDataView TestPart { get; set; } = null!;

    /// <summary>Gets or sets whether the test rows were held out of the training rows.</summary>
    public bool HeldOut { get; set; }

    /// <summary>Gets or sets the training rows held out from the students to choose the cascade's threshold on, or null without a cascade.</summary>
    public IDataView? CascadePart { get; set; }

    // ScoreSets

    /// <summary>Gets or sets the clock of the teacher's scoring (the augmentation's rows included).</summary>
    public Stopwatch ScoringWatch { get; set; } = null!;

    /// <summary>Gets or sets the training rows with the teacher's columns, in memory.</summary>
    public IDataView ScoredTrain { get; set; } = null!;

    /// <summary>Gets or sets the test rows with the teacher's columns (when there are any), in memory.</summary>
    public IDataView ScoredTest { get; set; } = null!;

    /// <summary>Gets or sets the rows the distilled students learn from: training, then transfer, then synthetic rows.</summary>
    public IDataView StudentRows { get; set; } = null!;

    /// <summary>Gets or sets the cascade's held-out rows with the teacher's columns, in memory, or null without a cascade.</summary>
    public IDataView? ScoredCascade { get; set; }

    /// <summary>Gets or sets the number of the cascade's held-out rows (0 without a cascade).</summary>
    public long CascadeRows { get; set; }

    /// <summary>Gets or sets the number of training rows.</summary>
    public long TrainRows { get; set; }

    /// <summary>Gets or sets the number of test rows.</summary>
    public long TestRows { get; set; }

    /// <summary>Gets or sets the number of transfer rows.</summary>
    public long TransferRows { get; set; }

    /// <summary>Gets or sets the training rows the teacher scored in this run (0 from a cache).</summary>
    public long TrainScored { get; set; }

    /// <summary>Gets or sets the test rows the teacher scored in this run.</summary>
    public long TestScored { get; set; }

    /// <summary>Gets or sets the transfer rows the teacher scored in this run.</summary>
    public long TransferScored { get; set; }

    /// <summary>Gets or sets what budgeted labeling bought from the transfer rows, or null without a budget.</summary>
    public BudgetedLabelingResult? Budget { get; set; }

    // Augment

    /// <summary>Gets or sets the augmentation as used (it may skip invalid rows where the options did not ask), or null.</summary>
    public AugmentationOptions? Augmentation { get; set; }

    /// <summary>Gets or sets the synthetic rows made and scored.</summary>
    public long SyntheticRows { get; set; }

    /// <summary>Gets or sets the synthetic rows planned.</summary>
    public long PlannedSyntheticRows { get; set; }

    /// <summary>Gets or sets the seconds spent making and scoring the synthetic rows.</summary>
    public double SyntheticSeconds { get; set; }

    /// <summary>Gets or sets what the teacher's scoring did and took (set once every row the students learn from is in memory).</summary>
    public DistillationTeacherScoring TeacherScoring { get; set; } = null!;

    /// <summary>Gets or sets what the augmentation made, or null without one.</summary>
    public DistillationAugmentation? Augmented { get; set; }

    // EvaluateTeacher

    /// <summary>Gets or sets the number of classes of the soft labels.</summary>
    public int Classes { get; set; }

    /// <summary>Gets or sets whether the test rows carry the teacher's logits.</summary>
    public bool TestHasTeacher { get; set; }

    /// <summary>Gets or sets the teacher's metrics on the training rows.</summary>
    public DistillationMetrics TeacherOnTrain { get; set; } = null!;

    /// <summary>Gets or sets the teacher's metrics on the test rows, or null when they have no teacher outputs.</summary>
    public DistillationMetrics? TeacherOnTest { get; set; }

    /// <summary>Gets or sets the teacher's metrics on the training and test rows, or null when the test rows have no teacher outputs.</summary>
    public DistillationMetrics? TeacherOnAll { get; set; }

    // TrainStudents

    /// <summary>Gets the students trained so far, in order.</summary>
    public List<DistillationStudentResult> Students { get; } = [];
}
