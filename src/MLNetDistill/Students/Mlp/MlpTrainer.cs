using System.Diagnostics;
using System.Numerics.Tensors;
using MLNetDistill.Losses;
using MLNetDistill.Numerics;
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

    private const ulong ValidationStream = 2;
    private const ulong ShuffleStream = 3;
    private const ulong MixupStream = 4;
    private const ulong ShiftStream = 5;

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
        var run = new Run(o, data, plan: null, Teacher, views);
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
                run = new Run(o, data, plan, Teacher, views);
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
    /// The schedule the automatic search chose, by epoch, to train again on every row: constant (after any warm-up),
    /// then, after epoch <paramref name="CoolDownAfter"/> (-1 for none), a half cosine from <paramref name="CoolDownFrom"/>
    /// to 0 over <paramref name="CoolDownEpochs"/> epochs; <paramref name="Epochs"/> in all.
    /// </summary>
    private sealed record SchedulePlan(int Epochs, int CoolDownAfter, int CoolDownEpochs, float CoolDownFrom);

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

    /// <summary>What one pass over the validation rows measured.</summary>
    private readonly record struct ValidationScores(double Loss, double Accuracy, double Agreement, double Divergence);

    /// <summary>One training run: its buffers, model, loss and optimizer.</summary>
    private sealed class Run : IDisposable
    {
        private readonly MlpTrainerOptions _o;
        private readonly MlpTrainingData _data;
        private readonly ComputePool _pool;
        private readonly GemmContext _gemm;
        private readonly MlpPropagator _net;
        private readonly IDistillationLoss _loss;
        private readonly HintLoss? _hint;
        private readonly int _hintLayer;
        private readonly IOptimizer _optimizer;
        private readonly ParameterStore _store;
        private readonly int[] _train;
        private readonly int[] _validation;
        private readonly int _batch;
        private readonly float[] _x;
        private readonly float[] _soft;
        private readonly float[] _logits;
        private readonly float[] _hints;
        private readonly int[] _labels;
        private readonly float[] _targets;
        private readonly float[] _validationGrad;
        private readonly float[] _validationHiddenGrad;
        private readonly float[] _best;
        private readonly float[] _lastGood;
        private readonly LearningRateSchedule _schedule;
        private readonly Action<int, int> _gatherBody;
        private readonly long[] _phaseTicks = new long[5];
        private readonly float[] _teacherRow;
        private readonly float[] _studentRow;
        private readonly int _stepsPerEpoch;
        private readonly int _maxEpochs;
        private readonly int _patience;
        private readonly bool _search;
        private readonly bool _refit;
        private readonly bool _scoreAgainstTeacher;
        private int _coolDownAfter = -1;
        private int _coolDownStartStep = -1;
        private int _coolDownEpochs;
        private float _coolDownFrom;
        private readonly TeacherBatchScorer? _scorer;
        private readonly MixupBatchMixer? _mixer;
        private readonly ImageBatchAugmenter? _augmenter;
        private readonly float[] _xShifted = [];
        private readonly TeacherViewCache? _viewCache;
        private readonly KdLoss? _mixLoss;
        private readonly float[] _xMixed = [];
        private readonly float[] _mixLogits = [];
        private long _teacherTicks;
        private int _lastMixRows;
        private long _trainTicks;
        private int[] _gatherIndices = [];
        private int _gatherStart;

        public Run(MlpTrainerOptions o, MlpTrainingData data, SchedulePlan? plan, TeacherScoringTransformer? teacher, TeacherViewCache? viewCache)
        {
            _o = o;
            _data = data;
            _refit = plan is not null;
            int classes = data.ClassCount;
            if (o.LogitMatchingWeight > 0f && data.TeacherLogits.IsEmpty)
            {
                throw new ArgumentException("LogitMatchingWeight > 0 needs the teacher's logits, but the data has none; score the teacher with logits kept, or set LogitMatchingWeight to 0.");
            }

            if (o.HintWeight > 0f && data.Hints.IsEmpty)
            {
                throw new ArgumentException("HintWeight > 0 needs the teacher's hint tensors, but the data has none; score the teacher with a hint output, or set HintWeight to 0.");
            }

            // Validation split, fixed by the seed.
            int[] order = new int[data.Rows];
            for (int i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            int validationRows = plan is null ? (int)Math.Round(data.Rows * (double)o.ValidationFraction) : 0;
            validationRows = Math.Clamp(validationRows, 0, data.Rows - 1);
            if (validationRows > 0)
            {
                new DeterministicRandom(o.Seed, ValidationStream).Shuffle(order);
            }

            _validation = order[..validationRows];
            _train = order[validationRows..];
            Array.Sort(_validation);
            Array.Sort(_train);

            _batch = Math.Min(o.BatchSize, Math.Max(_train.Length, _validation.Length));
            // Before any thread or buffer exists, so a bad teacher leaks nothing.
            if (o.Augmentation != MlpAugmentation.None)
            {
                if (data.IsRegression)
                {
                    throw new ArgumentException($"Augmentation {o.Augmentation} teaches a classifier on the teacher's logits; a regression student cannot use it. Set Augmentation to None.");
                }

                if (teacher is null)
                {
                    throw new ArgumentException($"Augmentation {o.Augmentation} has the teacher score each augmented batch, but no teacher was given: soft labels already computed (a cache) cannot label new inputs. Give the fitted teacher (MlpStudentOptions.Teacher).");
                }

                var image = o.Augmentation.HasFlag(MlpAugmentation.Shift) ? o.ImageShape(data.FeatureCount) : default;

                _scorer = new TeacherBatchScorer(teacher, _batch);
                if (_scorer.FeatureCount != data.FeatureCount || _scorer.ClassCount != classes)
                {
                    int f = _scorer.FeatureCount;
                    int k = _scorer.ClassCount;
                    _scorer.Dispose();
                    throw new ArgumentException($"The teacher takes {f} features and gives {k} classes, but the student's data has {data.FeatureCount} features and {classes} classes: give the teacher that scored this data.");
                }

                if (o.Augmentation.HasFlag(MlpAugmentation.Shift))
                {
                    _augmenter = new ImageBatchAugmenter(image.Width, image.Height, o.ShiftPixels, o.HorizontalFlip, _batch, o.Seed, ShiftStream);
                    _xShifted = new float[checked(_batch * data.FeatureCount)];
                    _viewCache = o.Augmentation == MlpAugmentation.Shift ? viewCache : null;
                }

                if (o.Augmentation.HasFlag(MlpAugmentation.Mixup))
                {
                    _mixer = new MixupBatchMixer(o.MixupAlpha, _batch, o.Seed, MixupStream);
                    _xMixed = new float[checked(_batch * data.FeatureCount)];
                }

                _mixLoss = new KdLoss(o.Temperature, 1f, classes, teacherGivesLogits: true);
                _mixLogits = new float[_batch * classes];
            }

            _pool = new ComputePool(o.NumberOfThreads ?? Math.Min(Environment.ProcessorCount, 8));
            _gemm = new GemmContext(_pool);
            var builder = new ParameterStore.Builder();
            Model = new MlpModel(data.FeatureCount, o.HiddenLayerSizes, classes, o.Activation, o.LayerNorm, o.DropoutRate, builder);
            var terms = new List<(IDistillationLoss, float)>
            {
                data.IsRegression
                    ? (new RegressionDistillationLoss(o.Alpha), 1f)
                    : (new KdLoss(o.Temperature, o.Alpha, classes, teacherGivesLogits: data.SoftLabels.IsEmpty), 1f),
            };
            if (o.LogitMatchingWeight > 0f && !data.IsRegression)
            {
                terms.Add((new LogitMseLoss(classes), o.LogitMatchingWeight));
            }

            _hintLayer = o.HintLayer < 0 ? o.HiddenLayerSizes.Length - 1 : o.HintLayer;
            if (o.HintWeight > 0f)
            {
                _hint = new HintLoss(o.HiddenLayerSizes[_hintLayer], data.HintSize, _batch, builder, _gemm);
                terms.Add((_hint, o.HintWeight));
            }

            if (o.RelationalWeight > 0f)
            {
                var embedding = data.TeacherLogits.IsEmpty ? TeacherEmbedding.Probabilities : TeacherEmbedding.Logits;
                terms.Add((new RkdDistanceLoss(StudentEmbedding.Logits, embedding, _batch, classes, _gemm, classes), o.RelationalWeight));
            }

            _loss = terms.Count == 1 ? terms[0].Item1 : new WeightedLossSum([.. terms]);
            _store = builder.Build();
            Model.Initialize(o.Seed);
            _hint?.Initialize(o.Seed);
            _ = _store.Gradients;
            _net = new MlpPropagator(Model, _batch, _gemm, training: true);
            if (_hint is not null)
            {
                _net.HiddenGradient(_hintLayer, _batch);
            }

            _optimizer = o.Optimizer == MlpOptimizer.AdamW
                ? new AdamWOptimizer(_store, _pool, o.WeightDecay)
                : new SgdOptimizer(_store, _pool, o.Momentum, o.Nesterov, o.WeightDecay);
            // Epochs = N: N epochs at most, cosine over all of them. Epochs = 0 (automatic): a search on the
            // validation slice at a constant rate until its score stops improving, then a cosine cool-down (see
            // MlpTrainerOptions.Epochs); then the chosen plan again on every row. Without a validation slice the
            // automatic run is a cosine over the budget's epochs.
            _stepsPerEpoch = (_train.Length + _batch - 1) / _batch;
            bool auto = o.Epochs == 0;
            _search = auto && plan is null && _validation.Length > 0;
            _maxEpochs = plan?.Epochs ?? (auto ? AutoEpochCap(_stepsPerEpoch) : o.Epochs);
            _patience = _search && o.EarlyStoppingPatience > 0
                ? Math.Max(o.EarlyStoppingPatience, (AutoPatienceSteps + _stepsPerEpoch - 1) / _stepsPerEpoch)
                : o.EarlyStoppingPatience;
            _schedule = new LearningRateSchedule(o.LearningRate, (int)Math.Round(o.WarmupEpochs * _stepsPerEpoch),
                _stepsPerEpoch * _maxEpochs, o.CosineDecay && !_search && plan is null);
            if (plan is { CoolDownAfter: >= 0 })
            {
                StartCoolDown(plan.CoolDownAfter, plan.CoolDownAfter * _stepsPerEpoch, plan.CoolDownEpochs, plan.CoolDownFrom);
            }

            // Hard-label twins (alpha 0 with labels) stop on their own loss; every other student on the teacher.
            _scoreAgainstTeacher = o.Alpha > 0f || (data.IsRegression ? data.Targets.IsEmpty : data.Labels.IsEmpty);

            _x = new float[checked(_batch * data.FeatureCount)];
            _soft = data.SoftLabels.IsEmpty ? [] : new float[_batch * classes];
            _logits = data.TeacherLogits.IsEmpty ? [] : new float[_batch * classes];
            _hints = data.Hints.IsEmpty ? [] : new float[checked(_batch * data.HintSize)];
            _labels = data.Labels.IsEmpty ? [] : new int[_batch];
            _targets = data.Targets.IsEmpty ? [] : new float[_batch];
            _validationGrad = new float[_batch * classes];
            _teacherRow = new float[classes];
            _studentRow = new float[classes];
            _validationHiddenGrad = _hint is null ? [] : new float[_batch * o.HiddenLayerSizes[_hintLayer]];
            _best = new float[_store.Length];
            _lastGood = new float[_store.Length];
            _gatherBody = GatherRows;
        }

        public double TeacherSeconds => (double)_teacherTicks / Stopwatch.Frequency;

        public double TrainSeconds => (double)_trainTicks / Stopwatch.Frequency;

        public MlpModel Model { get; }

        public double[] PhaseSeconds => Array.ConvertAll(_phaseTicks, t => (double)t / Stopwatch.Frequency);

        public int BestEpoch { get; private set; }

        public int EpochsRun { get; private set; }

        public int MaxEpochs => _maxEpochs;

        /// <summary>After the automatic schedule's search on the validation slice, the schedule it chose.</summary>
        public SchedulePlan? ChosenSchedule { get; private set; }

        public void Execute(IProgress<MlpEpochProgress>? progress, CancellationToken cancellationToken)
        {
            Array.Copy(_store.Values, _lastGood, _store.Length);
            Array.Copy(_store.Values, _best, _store.Length);
            var shuffle = new DeterministicRandom(_o.Seed, ShuffleStream);
            bool validate = _validation.Length > 0;
            double bestScore = double.PositiveInfinity;
            int badEpochs = 0;
            int step = 0;
            int lastGoodEpoch = 0;
            int lastEpoch = _maxEpochs;
            for (int epoch = 1; epoch <= lastEpoch; epoch++)
            {
                long start = Stopwatch.GetTimestamp();
                if (_o.Shuffle)
                {
                    shuffle.Shuffle(_train);
                }

                double lossSum = 0;
                long teacherAtStart = _teacherTicks;
                if (_viewCache is { Filled: false })
                {
                    // Shift alone: every view of every row is scored once, in the first epoch's time, then read back.
                    long fillStart = Stopwatch.GetTimestamp();
                    _viewCache.Fill(_scorer!, _augmenter!, _data.Features.Span, _data.FeatureCount, _xMixed.Length > 0 ? _xMixed : _x);
                    _teacherTicks += Stopwatch.GetTimestamp() - fillStart;
                }

                float lr = _o.LearningRate;
                for (int first = 0; first < _train.Length; first += _batch)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int rows = Math.Min(_batch, _train.Length - first);
                    long t0 = Stopwatch.GetTimestamp();
                    Gather(_train, first, rows);
                    float[] input = _x;
                    if (_scorer is not null)
                    {
                        // Consistent teaching: shift (and flip) each image, then mix the batch; the teacher scores
                        // exactly the rows the student sees.
                        int d = _data.FeatureCount;
                        if (_augmenter is not null)
                        {
                            _augmenter.Apply(input, rows, _xShifted);
                            input = _xShifted;
                        }

                        if (_mixer is not null)
                        {
                            _mixer.Mix(input, rows, d, _xMixed);
                            input = _xMixed;
                        }

                        if (_viewCache is not null)
                        {
                            int k = _data.ClassCount;
                            for (int r = 0; r < rows; r++)
                            {
                                _viewCache.Logits(_train[first + r], _augmenter!.ViewOf(r)).CopyTo(_mixLogits.AsSpan(r * k, k));
                            }
                        }
                        else
                        {
                            long teacherStart = Stopwatch.GetTimestamp();
                            _scorer.Score(input.AsSpan(0, rows * d), rows, _mixLogits);
                            _teacherTicks += Stopwatch.GetTimestamp() - teacherStart;
                        }

                        _lastMixRows = rows;
                    }

                    long t1 = Stopwatch.GetTimestamp();
                    lr = LearningRateAt(step);
                    _net.Forward(input, rows, training: true, DeterministicRandom.Mix(((ulong)(uint)_o.Seed << 32) ^ (ulong)step));
                    Span<float> logitGrad = _net.LogitGradients(rows);
                    logitGrad.Clear();
                    Span<float> hiddenGrad = default;
                    if (_hint is not null)
                    {
                        hiddenGrad = _net.HiddenGradient(_hintLayer, rows);
                        hiddenGrad.Clear();
                    }

                    long t2 = Stopwatch.GetTimestamp();
                    float value = _mixLoss is null
                        ? _loss.Forward(BatchView(rows), 1f, new LossGradients { Logits = logitGrad, Hidden = hiddenGrad })
                        : _mixLoss.Forward(MixedBatchView(rows), 1f, new LossGradients { Logits = logitGrad });
                    long t3 = Stopwatch.GetTimestamp();
                    if (!float.IsFinite(value))
                    {
                        Diverged(epoch, first / _batch, value, lr, lastGoodEpoch, validate);
                    }

                    _net.Backward(input, rows);
                    long t4 = Stopwatch.GetTimestamp();
                    _optimizer.Step(lr);
                    long t5 = Stopwatch.GetTimestamp();
                    _phaseTicks[0] += t1 - t0;
                    _phaseTicks[1] += t2 - t1;
                    _phaseTicks[2] += t3 - t2;
                    _phaseTicks[3] += t4 - t3;
                    _phaseTicks[4] += t5 - t4;
                    step++;
                    lossSum += (double)value * rows;
                }

                double trainLoss = lossSum / _train.Length;
                if (!float.IsFinite(TensorPrimitives.Sum(_store.Values)))
                {
                    Diverged(epoch, -1, float.NaN, lr, lastGoodEpoch, validate);
                }

                ValidationScores? scores = null;
                bool isBest = true;
                if (validate)
                {
                    var v = Evaluate();
                    if (!double.IsFinite(v.Loss) || !double.IsFinite(v.Divergence))
                    {
                        Diverged(epoch, -1, (float)v.Loss, lr, lastGoodEpoch, validate);
                    }

                    scores = v;
                    double score = Score(v);
                    isBest = score < bestScore;
                    if (isBest)
                    {
                        bestScore = score;
                        badEpochs = 0;
                        BestEpoch = epoch;
                        Array.Copy(_store.Values, _best, _store.Length);
                    }
                    else
                    {
                        badEpochs++;
                    }
                }
                else
                {
                    BestEpoch = epoch;
                }

                Array.Copy(_store.Values, _lastGood, _store.Length);
                lastGoodEpoch = epoch;
                EpochsRun = epoch;
                long epochTicks = Stopwatch.GetTimestamp() - start;
                _trainTicks += epochTicks;
                progress?.Report(new MlpEpochProgress(epoch, lastEpoch, trainLoss, scores?.Loss, scores is null || _data.IsRegression ? null : scores.Value.Accuracy, lr,
                    Stopwatch.GetElapsedTime(start).TotalSeconds, isBest)
                {
                    ValidationAgreement = scores is null || _data.IsRegression ? null : scores.Value.Agreement,
                    ValidationDivergence = scores?.Divergence,
                    Refit = _refit,
                    TeacherSeconds = (double)(_teacherTicks - teacherAtStart) / Stopwatch.Frequency,
                });
                if (_coolDownAfter >= 0)
                {
                    // The cool-down runs to its end (its last epochs are the point of it).
                    continue;
                }

                bool plateau = validate && _patience > 0 && badEpochs >= _patience;
                if (_search && _o.CosineDecay)
                {
                    // Cool down on a plateau, or when only the cool-down's length is left of the budget.
                    int coolDown = Math.Max(CoolDownMinEpochs, (int)Math.Ceiling(CoolDownFraction * epoch));
                    if (plateau || epoch + coolDown >= lastEpoch)
                    {
                        coolDown = Math.Min(coolDown, lastEpoch - epoch);
                        if (coolDown > 0)
                        {
                            StartCoolDown(epoch, step, coolDown, lr);
                            lastEpoch = epoch + coolDown;
                            continue;
                        }
                    }
                }

                if (plateau)
                {
                    break;
                }
            }

            if (validate && _o.RestoreBestWeights)
            {
                Array.Copy(_best, _store.Values, _store.Length);
            }
            else
            {
                BestEpoch = EpochsRun;
            }

            if (_search)
            {
                // The whole search's schedule (with its cool-down), or, without one, up to the best epoch.
                ChosenSchedule = _coolDownAfter >= 0
                    ? new SchedulePlan(EpochsRun, _coolDownAfter, _coolDownEpochs, _coolDownFrom)
                    : new SchedulePlan(BestEpoch, -1, 0, 0f);
            }
        }

        private void StartCoolDown(int afterEpoch, int step, int epochs, float from)
        {
            _coolDownAfter = afterEpoch;
            _coolDownStartStep = step;
            _coolDownEpochs = epochs;
            _coolDownFrom = from;
        }

        private float LearningRateAt(int step)
        {
            if (_coolDownStartStep < 0 || step < _coolDownStartStep)
            {
                return _schedule.At(step);
            }

            double progress = Math.Min(1.0, (double)(step - _coolDownStartStep) / (_coolDownEpochs * _stepsPerEpoch));
            return (float)(_coolDownFrom * 0.5 * (1 + Math.Cos(Math.PI * progress)));
        }

        /// <summary>The early-stopping score of an epoch, lower is better: the divergence from the teacher, or (hard-label twins) the loss.</summary>
        private double Score(in ValidationScores v) => _scoreAgainstTeacher ? v.Divergence : v.Loss;

        public void Dispose()
        {
            _scorer?.Dispose();
            _pool.Dispose();
        }

        private void Diverged(int epoch, int batch, float value, float lr, int lastGoodEpoch, bool validate)
        {
            Array.Copy(validate && _o.RestoreBestWeights ? _best : _lastGood, _store.Values, _store.Length);
            string where = batch >= 0 ? $"epoch {epoch}, batch {batch + 1}" : $"epoch {epoch}";
            string kept = lastGoodEpoch == 0 ? "its initial weights" : $"the weights of epoch {lastGoodEpoch}";
            throw new ArithmeticException(
                $"Training diverged in {where}: the loss became {value}. Lower the learning rate (it was {lr:G3}; try {lr / 10:G3}), " +
                $"or the temperature, or add warm-up. The model keeps {kept}.");
        }

        private LossBatch BatchView(int rows)
        {
            int classes = _data.ClassCount;
            return new LossBatch
            {
                Rows = rows,
                Classes = classes,
                StudentLogits = _net.Logits(rows),
                TeacherProbabilities = _soft.AsSpan(0, _soft.Length == 0 ? 0 : rows * classes),
                TeacherLogits = _logits.AsSpan(0, _logits.Length == 0 ? 0 : rows * classes),
                Labels = _labels.AsSpan(0, _labels.Length == 0 ? 0 : rows),
                Targets = _targets.AsSpan(0, _targets.Length == 0 ? 0 : rows),
                StudentHidden = _hint is null ? default : _net.HiddenOutput(_hintLayer, rows),
                HiddenSize = _hint is null ? 0 : _o.HiddenLayerSizes[_hintLayer],
                TeacherHint = _hints.AsSpan(0, _hints.Length == 0 ? 0 : rows * _data.HintSize),
                HintSize = _data.HintSize,
            };
        }

        /// <summary>The mixed batch: the student's logits on x̃ against the teacher's logits on the same x̃, no labels.</summary>
        private LossBatch MixedBatchView(int rows)
        {
            int classes = _data.ClassCount;
            return new LossBatch
            {
                Rows = rows,
                Classes = classes,
                StudentLogits = _net.Logits(rows),
                TeacherLogits = _mixLogits.AsSpan(0, rows * classes),
            };
        }

        /// <summary>For tests: the last augmented batch the teacher scored, its logits, λ, shifts and flips.</summary>
        internal MixedBatch? LastMix => _scorer is null ? null : new MixedBatch(_mixer is null ? _xShifted : _xMixed, _mixLogits, _lastMixRows, _mixer?.Lambda ?? 1f)
        {
            Original = _x,
            ShiftX = _augmenter is null ? [] : _augmenter.ShiftX.ToArray(),
            ShiftY = _augmenter is null ? [] : _augmenter.ShiftY.ToArray(),
            Flipped = _augmenter is null ? [] : _augmenter.Flipped.ToArray(),
            Permutation = _mixer is null ? [] : _mixer.Permutation.ToArray(),
        };

        private ValidationScores Evaluate()
        {
            double lossSum = 0;
            double divergenceSum = 0;
            int correct = 0;
            int agree = 0;
            int classes = _data.ClassCount;
            float t = _o.Temperature;
            for (int first = 0; first < _validation.Length; first += _batch)
            {
                int rows = Math.Min(_batch, _validation.Length - first);
                Gather(_validation, first, rows);
                _net.Forward(_x, rows, training: false, 0);
                var grads = new LossGradients
                {
                    Logits = _validationGrad.AsSpan(0, rows * classes),
                    Hidden = _hint is null ? default : _validationHiddenGrad.AsSpan(0, rows * _o.HiddenLayerSizes[_hintLayer]),
                };
                lossSum += (double)_loss.Forward(BatchView(rows), 1f, grads) * rows;
                ReadOnlySpan<float> logits = _net.Logits(rows);
                if (_data.IsRegression)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        double d = logits[r] - _logits[r];
                        divergenceSum += d * d;
                    }

                    continue;
                }

                for (int r = 0; r < rows; r++)
                {
                    ReadOnlySpan<float> z = logits.Slice(r * classes, classes);
                    ReadOnlySpan<float> p = _teacherRow;
                    if (_soft.Length > 0)
                    {
                        p = _soft.AsSpan(r * classes, classes);
                    }
                    else
                    {
                        SoftLabelMath.Softmax(_logits.AsSpan(r * classes, classes), t, _teacherRow);
                    }

                    SoftLabelMath.Softmax(z, t, _studentRow);
                    divergenceSum += SoftLabelMath.KlDivergence(p, _studentRow);
                    int predicted = SoftLabelMath.ArgMax(z);
                    int teacher = SoftLabelMath.ArgMax(p);
                    agree += predicted == teacher ? 1 : 0;
                    int target = _labels.Length > 0 ? _labels[r] : -1;
                    correct += predicted == (target < 0 ? teacher : target) ? 1 : 0;
                }
            }

            int n = _validation.Length;
            return new ValidationScores(lossSum / n, (double)correct / n, (double)agree / n, divergenceSum / n);
        }

        /// <summary>Copies rows indices[first..first+rows) of every input into the batch buffers.</summary>
        private void Gather(int[] indices, int first, int rows)
        {
            _gatherIndices = indices;
            _gatherStart = first;
            _pool.For(rows, 64, _gatherBody);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private void GatherRows(int start, int end)
        {
            int d = _data.FeatureCount;
            int k = _data.ClassCount;
            int h = _data.HintSize;
            ReadOnlySpan<float> features = _data.Features.Span;
            ReadOnlySpan<float> soft = _data.SoftLabels.Span;
            ReadOnlySpan<float> logits = _data.TeacherLogits.Span;
            ReadOnlySpan<float> hints = _data.Hints.Span;
            ReadOnlySpan<int> labels = _data.Labels.Span;
            ReadOnlySpan<float> targets = _data.Targets.Span;
            for (int r = start; r < end; r++)
            {
                int row = _gatherIndices[_gatherStart + r];
                features.Slice(row * d, d).CopyTo(_x.AsSpan(r * d, d));
                if (_soft.Length > 0)
                {
                    soft.Slice(row * k, k).CopyTo(_soft.AsSpan(r * k, k));
                }

                if (_logits.Length > 0)
                {
                    logits.Slice(row * k, k).CopyTo(_logits.AsSpan(r * k, k));
                }

                if (_hints.Length > 0)
                {
                    hints.Slice(row * h, h).CopyTo(_hints.AsSpan(r * h, h));
                }

                if (_labels.Length > 0)
                {
                    _labels[r] = labels[row];
                }

                if (_targets.Length > 0)
                {
                    _targets[r] = targets[row];
                }
            }
        }
    }
}
