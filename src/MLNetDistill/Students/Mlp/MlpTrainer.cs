using MLNetDistill.Students.Mlp.Training;
using MLNetDistill.Teachers;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// Trains an <see cref="MlpModel"/> on an <see cref="MlpTrainingData"/> with the distillation loss the
/// <see cref="MlpTrainerOptions"/> describe: mini-batches, AdamW or SGD, warm-up and cosine decay, a held-out
/// validation split scored against the teacher with early stopping, and the best weights kept; or, with
/// <see cref="MlpTrainerOptions.Epochs"/> = 0, the automatic schedule (see there). Everything a run needs is allocated
/// before the first step; the same options and data give a bit-identical model.
/// </summary>
internal sealed class MlpTrainer
{
    /// <summary>The automatic schedule's budget: at least this many optimizer steps...</summary>
    internal const int AutoMinSteps = 5000;

    /// <summary>... and at least this many epochs ...</summary>
    internal const int AutoMinEpochs = 60;

    /// <summary>... but never more epochs than this (tiny data sets).</summary>
    internal const int AutoMaxEpochs = 1000;

    /// <summary>The automatic schedule waits at least this many steps without a better validation score (in whole epochs).</summary>
    internal const int AutoPatienceSteps = 300;

    /// <summary>The automatic schedule's cool-down lasts this fraction of the epochs before it ...</summary>
    internal const double CoolDownFraction = 0.25;

    /// <summary>... and at least this many epochs.</summary>
    internal const int CoolDownMinEpochs = 3;

    /// <summary>Creates a trainer.</summary>
    /// <param name="options">The options; checked when <see cref="Train"/> starts.</param>
    public MlpTrainer(MlpTrainerOptions options)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public MlpTrainerOptions Options { get; }

    /// <summary>The fitted teacher that scores augmented batches on the fly (<see cref="MlpTrainerOptions.Augmentation"/> not None); not owned.</summary>
    public TeacherScoringTransformer? Teacher { get; init; }

    /// <summary>Seconds the last <see cref="Train"/> spent in teacher runs on the fly (0 without augmentation), over every pass.</summary>
    public double TeacherSeconds { get; private set; }

    /// <summary>Wall-clock seconds of the last <see cref="Train"/>'s epochs (training steps and validation), over every pass.</summary>
    public double TrainSeconds { get; private set; }

    /// <summary>The teacher's share of the last <see cref="Train"/>'s training time: <see cref="TeacherSeconds"/> / <see cref="TrainSeconds"/>.</summary>
    public double TeacherShare => TrainSeconds > 0 ? TeacherSeconds / TrainSeconds : 0;

    /// <summary>
    /// The model of the last <see cref="Train"/> call: the trained one, or, when training stopped on a non-finite loss
    /// or was cancelled, the one with the last good weights.
    /// </summary>
    public MlpModel? Model { get; private set; }

    /// <summary>
    /// Where the last <see cref="Train"/> spent its training steps, in seconds summed over all epochs: gathering batches,
    /// forward, loss, backward, optimizer (a diagnostic for benchmarks; validation is not included).
    /// </summary>
    internal double[] PhaseSeconds { get; private set; } = new double[5];

    /// <summary>
    /// The epoch whose weights the last <see cref="Train"/> returned: the best validation epoch, or the last; for the
    /// automatic schedule, the epochs of its final pass over every row.
    /// </summary>
    public int BestEpoch { get; private set; }

    /// <summary>How many epochs the last <see cref="Train"/> ran (for the automatic schedule, in its final pass).</summary>
    public int EpochsRun { get; private set; }

    /// <summary>The most epochs the last <see cref="Train"/> could run: the explicit count, or the automatic schedule's cap.</summary>
    public int MaxEpochs { get; private set; }

    /// <summary>Trains a new student.</summary>
    /// <param name="data">The rows and the teacher's outputs.</param>
    /// <param name="progress">Receives one report per epoch; may be null.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>The trained model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and the expected range.</exception>
    /// <exception cref="ArgumentException">The options need data that is missing (teacher logits for logit matching, hints for a hint term).</exception>
    /// <exception cref="ArithmeticException">The training loss became NaN or infinite; <see cref="Model"/> keeps the last good weights.</exception>
    public MlpModel Train(MlpTrainingData data, IProgress<MlpEpochProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var o = Options;
        o.Validate();
        Model = null;
        TeacherSeconds = 0;
        TrainSeconds = 0;
        var views = ViewCache(o, data);
        var run = new TrainingRun(o, data, plan: null, Teacher, views);
        int cap = run.MaxEpochs;
        try
        {
            run.Execute(progress, cancellationToken);
            if (run.ChosenSchedule is { } plan)
            {
                // The automatic schedule was chosen on the validation slice: train again on every row with it.
                var search = run;
                TeacherSeconds += search.TeacherSeconds;
                TrainSeconds += search.TrainSeconds;
                run = new TrainingRun(o, data, plan, Teacher, views);
                search.Dispose();
                run.Execute(progress, cancellationToken);
            }
        }
        finally
        {
            Model = run.Model;
            PhaseSeconds = run.PhaseSeconds;
            BestEpoch = run.BestEpoch;
            EpochsRun = run.EpochsRun;
            MaxEpochs = cap;
            TeacherSeconds += run.TeacherSeconds;
            TrainSeconds += run.TrainSeconds;
            LastMixedBatch = run.LastMix;
            run.Dispose();
        }

        return run.Model;
    }

    /// <summary>
    /// The cache of the teacher's logits on every view of every row, for <see cref="MlpAugmentation.Shift"/> without mixup
    /// when <see cref="MlpTrainerOptions.CacheTeacherViews"/> is set and it fits; shared by both passes of an automatic schedule.
    /// </summary>
    private TeacherViewCache? ViewCache(MlpTrainerOptions o, MlpTrainingData data)
    {
        if (o.Augmentation != MlpAugmentation.Shift || !o.CacheTeacherViews || Teacher is null || data.IsRegression)
        {
            return null;
        }

        int side = (2 * o.ShiftPixels) + 1;
        int views = side * side * (o.HorizontalFlip ? 2 : 1);
        return TeacherViewCache.Fits(data.Rows, views, data.ClassCount) ? new TeacherViewCache(data.Rows, views, data.ClassCount) : null;
    }

    /// <summary>The most epochs of an automatic run: at least <see cref="AutoMinSteps"/> steps and <see cref="AutoMinEpochs"/> epochs, at most <see cref="AutoMaxEpochs"/>.</summary>
    /// <param name="stepsPerEpoch">Optimizer steps per epoch.</param>
    /// <returns>The epoch cap.</returns>
    internal static int AutoEpochCap(int stepsPerEpoch) =>
        Math.Clamp((AutoMinSteps + stepsPerEpoch - 1) / stepsPerEpoch, AutoMinEpochs, AutoMaxEpochs);

    /// <summary>
    /// For tests: the last augmented batch of the last <see cref="Train"/> (rows x features: what the student trained on),
    /// the teacher's logits on it (rows x K), its λ (1 without mixup), and the image shifts and flips (empty without Shift).
    /// </summary>
    internal MixedBatch? LastMixedBatch { get; private set; }

    /// <summary>An augmented batch and the teacher's logits on it.</summary>
    internal sealed record MixedBatch(float[] Mixed, float[] TeacherLogits, int Rows, float Lambda)
    {
        /// <summary>Gets the un-augmented rows of the batch (rows x features), as gathered from the data (only without a validation slice, whose passes reuse the buffer).</summary>
        public float[] Original { get; init; } = [];

        /// <summary>Gets each row's horizontal shift (empty without <see cref="MlpAugmentation.Shift"/>).</summary>
        public int[] ShiftX { get; init; } = [];

        /// <summary>Gets each row's vertical shift.</summary>
        public int[] ShiftY { get; init; } = [];

        /// <summary>Gets whether each row was mirrored.</summary>
        public bool[] Flipped { get; init; } = [];

        /// <summary>Gets the mixup permutation π (row i was mixed with row π(i)); empty without mixup.</summary>
        public int[] Permutation { get; init; } = [];
    }
}
