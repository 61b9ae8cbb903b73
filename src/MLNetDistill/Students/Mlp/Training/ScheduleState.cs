namespace MLNetDistill.Students.Mlp.Training;

/// <summary>
/// Where a run is in its learning-rate schedule: the step count, the epoch it will stop after, the rate of the current
/// step, and the automatic schedule's cool-down (a half cosine down to 0, started on a plateau or near the budget's end).
/// </summary>
internal sealed class ScheduleState
{
    private readonly LearningRateSchedule _schedule;
    private readonly float _baseRate;
    private int _coolDownStartStep = -1;
    private int _coolDownEpochs;
    private float _coolDownFrom;

    /// <summary>Sets up the schedule of one run.</summary>
    /// <param name="o">The validated options.</param>
    /// <param name="plan">The search's chosen schedule for a refit on every row, or null.</param>
    /// <param name="stepsPerEpoch">Optimizer steps per epoch.</param>
    /// <param name="search">Whether this run is the automatic schedule's search on the validation slice.</param>
    public ScheduleState(MlpTrainerOptions o, SchedulePlan? plan, int stepsPerEpoch, bool search)
    {
        // Epochs = N: N epochs at most, cosine over all of them. Epochs = 0 (automatic): a search on the
        // validation slice at a constant rate until its score stops improving, then a cosine cool-down (see
        // MlpTrainerOptions.Epochs); then the chosen plan again on every row. Without a validation slice the
        // automatic run is a cosine over the budget's epochs.
        StepsPerEpoch = stepsPerEpoch;
        _baseRate = o.LearningRate;
        bool auto = o.Epochs == 0;
        MaxEpochs = plan?.Epochs ?? (auto ? MlpTrainer.AutoEpochCap(stepsPerEpoch) : o.Epochs);
        LastEpoch = MaxEpochs;
        _schedule = new LearningRateSchedule(o.LearningRate, (int)Math.Round(o.WarmupEpochs * stepsPerEpoch),
            stepsPerEpoch * MaxEpochs, o.CosineDecay && !search && plan is null);
        if (plan is { CoolDownAfter: >= 0 })
        {
            StartCoolDown(plan.CoolDownAfter, plan.CoolDownAfter * stepsPerEpoch, plan.CoolDownEpochs, plan.CoolDownFrom);
        }
    }

    /// <summary>Gets the optimizer steps per epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>Gets the most epochs the run may take.</summary>
    public int MaxEpochs { get; }

    /// <summary>Gets the epoch the run stops after (earlier than <see cref="MaxEpochs"/> once a cool-down is set).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Gets the optimizer steps taken so far.</summary>
    public int Step { get; private set; }

    /// <summary>Gets the learning rate of the current (or last) step.</summary>
    public float Rate { get; private set; }

    /// <summary>Gets the epoch after which the cool-down started, or -1 before one.</summary>
    public int CoolDownAfter { get; private set; } = -1;

    /// <summary>Gets whether a cool-down is set (it then runs to its end).</summary>
    public bool CoolingDown => CoolDownAfter >= 0;

    /// <summary>Starts an epoch: the rate reads the base rate until its first step.</summary>
    public void BeginEpoch() => Rate = _baseRate;

    /// <summary>Starts a step: sets <see cref="Rate"/> to this step's learning rate.</summary>
    /// <returns>The rate.</returns>
    public float BeginStep()
    {
        Rate = RateAt(Step);
        return Rate;
    }

    /// <summary>Counts a finished step.</summary>
    public void EndStep() => Step++;

    /// <summary>
    /// For the automatic search: cools down on a plateau, or when only the cool-down's length is left of the budget
    /// (at least <see cref="MlpTrainer.CoolDownMinEpochs"/>, <see cref="MlpTrainer.CoolDownFraction"/> of the epochs so far).
    /// </summary>
    /// <param name="epoch">The epoch just finished.</param>
    /// <param name="plateau">Whether the validation score stopped improving.</param>
    /// <returns>Whether a cool-down started (the run then goes on until its end).</returns>
    public bool TryStartCoolDown(int epoch, bool plateau)
    {
        int coolDown = Math.Max(MlpTrainer.CoolDownMinEpochs, (int)Math.Ceiling(MlpTrainer.CoolDownFraction * epoch));
        if (!plateau && epoch + coolDown < LastEpoch)
        {
            return false;
        }

        coolDown = Math.Min(coolDown, LastEpoch - epoch);
        if (coolDown <= 0)
        {
            return false;
        }

        StartCoolDown(epoch, Step, coolDown, Rate);
        LastEpoch = epoch + coolDown;
        return true;
    }

    /// <summary>The schedule of this run, with its cool-down, as a plan to train again on every row.</summary>
    /// <param name="epochsRun">The epochs this run took.</param>
    /// <returns>The plan.</returns>
    public SchedulePlan CoolDownPlan(int epochsRun) => new(epochsRun, CoolDownAfter, _coolDownEpochs, _coolDownFrom);

    private void StartCoolDown(int afterEpoch, int step, int epochs, float from)
    {
        CoolDownAfter = afterEpoch;
        _coolDownStartStep = step;
        _coolDownEpochs = epochs;
        _coolDownFrom = from;
    }

    private float RateAt(int step)
    {
        if (_coolDownStartStep < 0 || step < _coolDownStartStep)
        {
            return _schedule.At(step);
        }

        double progress = Math.Min(1.0, (double)(step - _coolDownStartStep) / (_coolDownEpochs * StepsPerEpoch));
        return (float)(_coolDownFrom * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
