namespace MLNetDistill.Students.Mlp.Training;

/// <summary>
/// Early stopping on the validation slice: the best score so far and how many epochs in a row have not beaten it. The
/// score is the divergence from the teacher, or, for a hard-label twin (alpha 0 with labels or targets), the loss.
/// </summary>
internal sealed class EarlyStopping
{
    private readonly int _patience;
    private readonly bool _scoreAgainstTeacher;
    private double _bestScore = double.PositiveInfinity;
    private int _badEpochs;

    /// <summary>Sets up early stopping for one run.</summary>
    /// <param name="o">The validated options.</param>
    /// <param name="data">The training data.</param>
    /// <param name="stepsPerEpoch">Optimizer steps per epoch.</param>
    /// <param name="search">Whether this run is the automatic schedule's search, which waits at least <see cref="MlpTrainer.AutoPatienceSteps"/> steps.</param>
    public EarlyStopping(MlpTrainerOptions o, MlpTrainingData data, int stepsPerEpoch, bool search)
    {
        _patience = search && o.EarlyStoppingPatience > 0
            ? Math.Max(o.EarlyStoppingPatience, (MlpTrainer.AutoPatienceSteps + stepsPerEpoch - 1) / stepsPerEpoch)
            : o.EarlyStoppingPatience;

        // Hard-label twins (alpha 0 with labels) stop on their own loss; every other student on the teacher.
        _scoreAgainstTeacher = o.Alpha > 0f || (data.IsRegression ? data.Targets.IsEmpty : data.Labels.IsEmpty);
    }

    /// <summary>Gets whether the patience has run out: that many epochs in a row brought no better score.</summary>
    public bool Plateau => _patience > 0 && _badEpochs >= _patience;

    /// <summary>Records an epoch's validation scores.</summary>
    /// <param name="v">The scores.</param>
    /// <returns>Whether the epoch is the best so far.</returns>
    public bool Observe(in ValidationScores v)
    {
        double score = _scoreAgainstTeacher ? v.Divergence : v.Loss;
        bool isBest = score < _bestScore;
        if (isBest)
        {
            _bestScore = score;
            _badEpochs = 0;
        }
        else
        {
            _badEpochs++;
        }

        return isBest;
    }
}
