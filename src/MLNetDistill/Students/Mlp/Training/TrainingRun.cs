using System.Diagnostics;
using System.Numerics.Tensors;
using MLNetDistill.Losses;
using MLNetDistill.Numerics;
using MLNetDistill.Teachers;

namespace MLNetDistill.Students.Mlp.Training;

/// <summary>
/// One training run of <see cref="MlpTrainer"/>, as named stages: <see cref="Execute"/> runs epochs
/// (<see cref="RunEpoch"/>: <see cref="TrainBatch"/> over the shuffled rows, then <see cref="Validate"/>), recovers
/// from a non-finite loss (<see cref="RecoverFromDivergence"/>), and moves the schedule on after each epoch
/// (<see cref="AdvanceSchedule"/>: cool-down or early stop); then <see cref="Finish"/> keeps the best weights.
/// Everything is allocated before the first step.
/// </summary>
internal sealed class TrainingRun : IDisposable
{
    private const ulong ValidationStream = 2;
    private const ulong ShuffleStream = 3;

    private readonly MlpTrainerOptions _o;
    private readonly MlpTrainingData _data;
    private readonly int[] _train;
    private readonly int _batch;
    private readonly bool _search;
    private readonly bool _refit;
    private readonly ConsistentTeaching? _teaching;
    private readonly TrainingNetwork _network;
    private readonly BatchBuffers _buffers;
    private readonly Validator _validator;
    private readonly ScheduleState _schedule;
    private readonly EarlyStopping _stopping;
    private readonly WeightCheckpoints _checkpoints;
    private readonly long[] _phaseTicks = new long[5];
    private long _trainTicks;
    private DeterministicRandom _shuffle;

    /// <summary>Checks the data against the options and allocates the run.</summary>
    /// <param name="o">The validated options.</param>
    /// <param name="data">The training data.</param>
    /// <param name="plan">The automatic search's chosen schedule to train again on every row, or null.</param>
    /// <param name="teacher">The fitted teacher for augmented batches, or null.</param>
    /// <param name="viewCache">The cache of the teacher's logits on every view, or null.</param>
    public TrainingRun(MlpTrainerOptions o, MlpTrainingData data, SchedulePlan? plan, TeacherScoringTransformer? teacher, TeacherViewCache? viewCache)
    {
        _o = o;
        _data = data;
        _refit = plan is not null;
        CheckTeacherOutputs(o, data);
        int[] validation;
        (_train, validation) = SplitRows(o, data, plan);
        _batch = Math.Min(o.BatchSize, Math.Max(_train.Length, validation.Length));

        // Before any thread or buffer exists, so a bad teacher leaks nothing.
        _teaching = ConsistentTeaching.Create(o, data, _batch, teacher, viewCache);
        _network = new TrainingNetwork(o, data, _batch);
        int stepsPerEpoch = (_train.Length + _batch - 1) / _batch;
        _search = o.Epochs == 0 && plan is null && validation.Length > 0;
        _schedule = new ScheduleState(o, plan, stepsPerEpoch, _search);
        _stopping = new EarlyStopping(o, data, stepsPerEpoch, _search);
        _buffers = new BatchBuffers(data, _batch, _network.Pool);
        _validator = new Validator(validation, _batch, o, data, _network, _buffers);
        _checkpoints = new WeightCheckpoints(_network.Store);
    }

    /// <summary>Gets the seconds spent in teacher runs.</summary>
    public double TeacherSeconds => (double)TeacherTicks / Stopwatch.Frequency;

    /// <summary>Gets the wall-clock seconds of the epochs.</summary>
    public double TrainSeconds => (double)_trainTicks / Stopwatch.Frequency;

    /// <summary>Gets the model being trained.</summary>
    public MlpModel Model => _network.Model;

    /// <summary>Gets the seconds of each phase of the training steps: gather, forward, loss, backward, optimizer.</summary>
    public double[] PhaseSeconds => Array.ConvertAll(_phaseTicks, t => (double)t / Stopwatch.Frequency);

    /// <summary>Gets the epoch whose weights the run returns.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Gets the epochs run.</summary>
    public int EpochsRun { get; private set; }

    /// <summary>Gets the most epochs the run could take.</summary>
    public int MaxEpochs => _schedule.MaxEpochs;

    /// <summary>After the automatic schedule's search on the validation slice, the schedule it chose.</summary>
    public SchedulePlan? ChosenSchedule { get; private set; }

    /// <summary>For tests: the last augmented batch the teacher scored, its logits, λ, shifts and flips.</summary>
    internal MlpTrainer.MixedBatch? LastMix => _teaching?.LastMix(_buffers.X);

    private long TeacherTicks => _teaching?.TeacherTicks ?? 0;

    /// <summary>Trains: epoch after epoch until the schedule ends or stops early, then keeps the weights to return.</summary>
    /// <param name="progress">Receives one report per epoch; may be null.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public void Execute(IProgress<MlpEpochProgress>? progress, CancellationToken cancellationToken)
    {
        _checkpoints.SaveInitial();
        _shuffle = new DeterministicRandom(_o.Seed, ShuffleStream);
        for (int epoch = 1; epoch <= _schedule.LastEpoch; epoch++)
        {
            RunEpoch(epoch, progress, cancellationToken);
            if (!AdvanceSchedule(epoch))
            {
                break;
            }
        }

        Finish();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _teaching?.Dispose();
        _network.Dispose();
    }

    private static void CheckTeacherOutputs(MlpTrainerOptions o, MlpTrainingData data)
    {
        if (o.LogitMatchingWeight > 0f && data.TeacherLogits.IsEmpty)
        {
            throw new ArgumentException("LogitMatchingWeight > 0 needs the teacher's logits, but the data has none; score the teacher with logits kept, or set LogitMatchingWeight to 0.");
        }

        if (o.HintWeight > 0f && data.Hints.IsEmpty)
        {
            throw new ArgumentException("HintWeight > 0 needs the teacher's hint tensors, but the data has none; score the teacher with a hint output, or set HintWeight to 0.");
        }
    }

    /// <summary>The training and validation rows, each sorted: the validation split is fixed by the seed (none for a refit).</summary>
    private static (int[] Train, int[] Validation) SplitRows(MlpTrainerOptions o, MlpTrainingData data, SchedulePlan? plan)
    {
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

        int[] validation = order[..validationRows];
        int[] train = order[validationRows..];
        Array.Sort(validation);
        Array.Sort(train);
        return (train, validation);
    }

    /// <summary>One epoch: every training batch, the weights' health, validation, a checkpoint and the epoch's report.</summary>
    private void RunEpoch(int epoch, IProgress<MlpEpochProgress>? progress, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        if (_o.Shuffle)
        {
            _shuffle.Shuffle(_train);
        }

        long teacherAtStart = TeacherTicks;
        _teaching?.FillViewCache(_buffers.X);
        _schedule.BeginEpoch();
        double trainLoss = TrainBatches(epoch, cancellationToken);
        if (!float.IsFinite(TensorPrimitives.Sum(_network.Store.Values)))
        {
            RecoverFromDivergence(epoch, -1, float.NaN);
        }

        ValidationScores? scores = null;
        bool isBest = true;
        if (_validator.Rows > 0)
        {
            scores = Validate(epoch, out isBest);
        }
        else
        {
            BestEpoch = epoch;
        }

        _checkpoints.SaveLastGood(epoch);
        EpochsRun = epoch;
        long epochTicks = Stopwatch.GetTimestamp() - start;
        _trainTicks += epochTicks;
        progress?.Report(Report(epoch, trainLoss, scores, isBest, start, teacherAtStart));
    }

    /// <summary>Trains on every batch of the epoch's order.</summary>
    /// <returns>The mean training loss over the rows.</returns>
    private double TrainBatches(int epoch, CancellationToken cancellationToken)
    {
        double lossSum = 0;
        for (int first = 0; first < _train.Length; first += _batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(_batch, _train.Length - first);
            float value = TrainBatch(epoch, first, rows);
            lossSum += (double)value * rows;
        }

        return lossSum / _train.Length;
    }

    /// <summary>One optimizer step: gather (and augment) the batch, forward, loss, backward, update; timed by phase.</summary>
    /// <returns>The batch's loss.</returns>
    private float TrainBatch(int epoch, int first, int rows)
    {
        long t0 = Stopwatch.GetTimestamp();
        _buffers.Gather(_train, first, rows);
        float[] input = _teaching is null ? _buffers.X : _teaching.Apply(_buffers.X, rows, _train, first);
        long t1 = Stopwatch.GetTimestamp();
        float lr = _schedule.BeginStep();
        var net = _network.Net;
        net.Forward(input, rows, training: true, DeterministicRandom.Mix(((ulong)(uint)_o.Seed << 32) ^ (ulong)_schedule.Step));
        Span<float> logitGrad = net.LogitGradients(rows);
        logitGrad.Clear();
        Span<float> hiddenGrad = default;
        if (_network.Hint is not null)
        {
            hiddenGrad = net.HiddenGradient(_network.HintLayer, rows);
            hiddenGrad.Clear();
        }

        long t2 = Stopwatch.GetTimestamp();
        float value = _teaching is null
            ? _network.Loss.Forward(_network.View(_buffers, rows), 1f, new LossGradients { Logits = logitGrad, Hidden = hiddenGrad })
            : _teaching.Loss.Forward(_teaching.View(rows, net.Logits(rows)), 1f, new LossGradients { Logits = logitGrad });
        long t3 = Stopwatch.GetTimestamp();
        if (!float.IsFinite(value))
        {
            RecoverFromDivergence(epoch, first / _batch, value);
        }

        net.Backward(input, rows);
        long t4 = Stopwatch.GetTimestamp();
        _network.Optimizer.Step(lr);
        long t5 = Stopwatch.GetTimestamp();
        _phaseTicks[0] += t1 - t0;
        _phaseTicks[1] += t2 - t1;
        _phaseTicks[2] += t3 - t2;
        _phaseTicks[3] += t4 - t3;
        _phaseTicks[4] += t5 - t4;
        _schedule.EndStep();
        return value;
    }

    /// <summary>Scores the epoch on the validation rows and keeps its weights if it is the best so far.</summary>
    private ValidationScores Validate(int epoch, out bool isBest)
    {
        var v = _validator.Run();
        if (!double.IsFinite(v.Loss) || !double.IsFinite(v.Divergence))
        {
            RecoverFromDivergence(epoch, -1, (float)v.Loss);
        }

        isBest = _stopping.Observe(v);
        if (isBest)
        {
            BestEpoch = epoch;
            _checkpoints.SaveBest();
        }

        return v;
    }

    /// <summary>A non-finite loss or weight: puts the best (or last good) weights back and stops with the fix.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="batch">The 0-based batch, or -1 for the end of the epoch.</param>
    /// <param name="value">The non-finite value.</param>
    /// <exception cref="ArithmeticException">Always.</exception>
    private void RecoverFromDivergence(int epoch, int batch, float value)
    {
        if (_validator.Rows > 0 && _o.RestoreBestWeights)
        {
            _checkpoints.RestoreBest();
        }
        else
        {
            _checkpoints.RestoreLastGood();
        }

        float lr = _schedule.Rate;
        int lastGoodEpoch = _checkpoints.LastGoodEpoch;
        string where = batch >= 0 ? $"epoch {epoch}, batch {batch + 1}" : $"epoch {epoch}";
        string kept = lastGoodEpoch == 0 ? "its initial weights" : $"the weights of epoch {lastGoodEpoch}";
        throw new ArithmeticException(
            $"Training diverged in {where}: the loss became {value}. Lower the learning rate (it was {lr:G3}; try {lr / 10:G3}), " +
            $"or the temperature, or add warm-up. The model keeps {kept}.");
    }

    /// <summary>After an epoch: a running cool-down goes on to its end; the automatic search may start one; a plateau stops.</summary>
    /// <returns>Whether to run another epoch (up to <see cref="ScheduleState.LastEpoch"/>).</returns>
    private bool AdvanceSchedule(int epoch)
    {
        if (_schedule.CoolingDown)
        {
            // The cool-down runs to its end (its last epochs are the point of it).
            return true;
        }

        bool plateau = _validator.Rows > 0 && _stopping.Plateau;
        if (_search && _o.CosineDecay && _schedule.TryStartCoolDown(epoch, plateau))
        {
            return true;
        }

        return !plateau;
    }

    /// <summary>Puts the best weights back (with validation) and, after the automatic search, keeps the schedule it chose.</summary>
    private void Finish()
    {
        if (_validator.Rows > 0 && _o.RestoreBestWeights)
        {
            _checkpoints.RestoreBest();
        }
        else
        {
            BestEpoch = EpochsRun;
        }

        if (_search)
        {
            // The whole search's schedule (with its cool-down), or, without one, up to the best epoch.
            ChosenSchedule = _schedule.CoolingDown ? _schedule.CoolDownPlan(EpochsRun) : new SchedulePlan(BestEpoch, -1, 0, 0f);
        }
    }

    private MlpEpochProgress Report(int epoch, double trainLoss, ValidationScores? scores, bool isBest, long start, long teacherAtStart) =>
        new(epoch, _schedule.LastEpoch, trainLoss, scores?.Loss, scores is null || _data.IsRegression ? null : scores.Value.Accuracy, _schedule.Rate,
            Stopwatch.GetElapsedTime(start).TotalSeconds, isBest)
        {
            ValidationAgreement = scores is null || _data.IsRegression ? null : scores.Value.Agreement,
            ValidationDivergence = scores?.Divergence,
            Refit = _refit,
            TeacherSeconds = (double)(TeacherTicks - teacherAtStart) / Stopwatch.Frequency,
        };
}
