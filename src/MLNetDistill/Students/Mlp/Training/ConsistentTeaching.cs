using System.Diagnostics;
using MLNetDistill.Losses;
using MLNetDistill.Teachers;

namespace MLNetDistill.Students.Mlp.Training;

/// <summary>
/// Consistent teaching (<see cref="MlpTrainerOptions.Augmentation"/> not None): shift (and flip) each image of a batch,
/// then mix the batch, and have the teacher score exactly the rows the student sees (or read a shifted view's logits back
/// from the <see cref="TeacherViewCache"/>); the student then learns the teacher's logits on them, with no labels.
/// </summary>
internal sealed class ConsistentTeaching : IDisposable
{
    private const ulong MixupStream = 4;
    private const ulong ShiftStream = 5;

    private readonly MlpTrainingData _data;
    private readonly TeacherBatchScorer _scorer;
    private readonly MixupBatchMixer? _mixer;
    private readonly ImageBatchAugmenter? _augmenter;
    private readonly float[] _xShifted = [];
    private readonly TeacherViewCache? _viewCache;
    private readonly float[] _xMixed = [];
    private readonly float[] _mixLogits;
    private int _lastMixRows;

    private ConsistentTeaching(MlpTrainerOptions o, MlpTrainingData data, int batch, TeacherScoringTransformer teacher, TeacherViewCache? viewCache)
    {
        _data = data;
        int classes = data.ClassCount;
        var image = o.Augmentation.HasFlag(MlpAugmentation.Shift) ? o.ImageShape(data.FeatureCount) : default;
        _scorer = new TeacherBatchScorer(teacher, batch);
        if (_scorer.FeatureCount != data.FeatureCount || _scorer.ClassCount != classes)
        {
            int f = _scorer.FeatureCount;
            int k = _scorer.ClassCount;
            _scorer.Dispose();
            throw new ArgumentException($"The teacher takes {f} features and gives {k} classes, but the student's data has {data.FeatureCount} features and {classes} classes: give the teacher that scored this data.");
        }

        if (o.Augmentation.HasFlag(MlpAugmentation.Shift))
        {
            _augmenter = new ImageBatchAugmenter(image.Width, image.Height, o.ShiftPixels, o.HorizontalFlip, batch, o.Seed, ShiftStream);
            _xShifted = new float[checked(batch * data.FeatureCount)];
            _viewCache = o.Augmentation == MlpAugmentation.Shift ? viewCache : null;
        }

        if (o.Augmentation.HasFlag(MlpAugmentation.Mixup))
        {
            _mixer = new MixupBatchMixer(o.MixupAlpha, batch, o.Seed, MixupStream);
            _xMixed = new float[checked(batch * data.FeatureCount)];
        }

        Loss = new KdLoss(o.Temperature, 1f, classes, teacherGivesLogits: true);
        _mixLogits = new float[batch * classes];
    }

    /// <summary>Gets the loss on an augmented batch: the student's logits against the teacher's on the same rows.</summary>
    public KdLoss Loss { get; }

    /// <summary>Gets the stopwatch ticks spent in teacher runs so far.</summary>
    public long TeacherTicks { get; private set; }

    /// <summary>
    /// The consistent teaching the options ask for, or null for <see cref="MlpAugmentation.None"/>; checked before any
    /// thread or buffer of the run exists, so a bad teacher leaks nothing.
    /// </summary>
    /// <param name="o">The validated options.</param>
    /// <param name="data">The training data.</param>
    /// <param name="batch">The most rows of a batch.</param>
    /// <param name="teacher">The fitted teacher, or null.</param>
    /// <param name="viewCache">The cache of the teacher's logits on every view, or null.</param>
    /// <returns>The augmentation, or null.</returns>
    /// <exception cref="ArgumentException">The student is a regression, no teacher was given, or the teacher does not fit the data.</exception>
    public static ConsistentTeaching? Create(MlpTrainerOptions o, MlpTrainingData data, int batch, TeacherScoringTransformer? teacher, TeacherViewCache? viewCache)
    {
        if (o.Augmentation == MlpAugmentation.None)
        {
            return null;
        }

        if (data.IsRegression)
        {
            throw new ArgumentException($"Augmentation {o.Augmentation} teaches a classifier on the teacher's logits; a regression student cannot use it. Set Augmentation to None.");
        }

        if (teacher is null)
        {
            throw new ArgumentException($"Augmentation {o.Augmentation} has the teacher score each augmented batch, but no teacher was given: soft labels already computed (a cache) cannot label new inputs. Give the fitted teacher (MlpStudentOptions.Teacher).");
        }

        return new ConsistentTeaching(o, data, batch, teacher, viewCache);
    }

    /// <summary>With <see cref="MlpAugmentation.Shift"/> alone and a cache not yet filled: scores every view of every row once.</summary>
    /// <param name="x">The batch's feature buffer, free to use as scratch.</param>
    public void FillViewCache(float[] x)
    {
        if (_viewCache is { Filled: false })
        {
            // Shift alone: every view of every row is scored once, in the first epoch's time, then read back.
            long fillStart = Stopwatch.GetTimestamp();
            _viewCache.Fill(_scorer, _augmenter!, _data.Features.Span, _data.FeatureCount, _xMixed.Length > 0 ? _xMixed : x);
            TeacherTicks += Stopwatch.GetTimestamp() - fillStart;
        }
    }

    /// <summary>Augments a gathered batch and has the teacher score the result.</summary>
    /// <param name="x">The gathered rows.</param>
    /// <param name="rows">The rows of the batch.</param>
    /// <param name="indices">The data's row numbers of the epoch's order.</param>
    /// <param name="first">The batch's first index in <paramref name="indices"/>.</param>
    /// <returns>The rows the student trains on.</returns>
    public float[] Apply(float[] x, int rows, int[] indices, int first)
    {
        // Consistent teaching: shift (and flip) each image, then mix the batch; the teacher scores
        // exactly the rows the student sees.
        float[] input = x;
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
                _viewCache.Logits(indices[first + r], _augmenter!.ViewOf(r)).CopyTo(_mixLogits.AsSpan(r * k, k));
            }
        }
        else
        {
            long teacherStart = Stopwatch.GetTimestamp();
            _scorer.Score(input.AsSpan(0, rows * d), rows, _mixLogits);
            TeacherTicks += Stopwatch.GetTimestamp() - teacherStart;
        }

        _lastMixRows = rows;
        return input;
    }

    /// <summary>The mixed batch: the student's logits on x̃ against the teacher's logits on the same x̃, no labels.</summary>
    /// <param name="rows">The rows of the batch.</param>
    /// <param name="studentLogits">The student's logits on them.</param>
    /// <returns>The loss batch.</returns>
    public LossBatch View(int rows, Span<float> studentLogits) => new()
    {
        Rows = rows,
        Classes = _data.ClassCount,
        StudentLogits = studentLogits,
        TeacherLogits = _mixLogits.AsSpan(0, rows * _data.ClassCount),
    };

    /// <summary>For tests: the last augmented batch the teacher scored, its logits, λ, shifts and flips.</summary>
    /// <param name="original">The un-augmented batch buffer.</param>
    /// <returns>Copies of the shifts, flips and permutation, with the buffers themselves.</returns>
    public MlpTrainer.MixedBatch LastMix(float[] original) => new(_mixer is null ? _xShifted : _xMixed, _mixLogits, _lastMixRows, _mixer?.Lambda ?? 1f)
    {
        Original = original,
        ShiftX = _augmenter is null ? [] : _augmenter.ShiftX.ToArray(),
        ShiftY = _augmenter is null ? [] : _augmenter.ShiftY.ToArray(),
        Flipped = _augmenter is null ? [] : _augmenter.Flipped.ToArray(),
        Permutation = _mixer is null ? [] : _mixer.Permutation.ToArray(),
    };

    /// <inheritdoc/>
    public void Dispose() => _scorer.Dispose();
}
