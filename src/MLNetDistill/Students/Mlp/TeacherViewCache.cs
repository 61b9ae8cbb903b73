using MLNetDistill.Teachers;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// The teacher's logits on every view (<see cref="ImageBatchAugmenter.ViewCount"/> shifts and flips) of every data row,
/// scored once, so that consistent teaching with <see cref="MlpAugmentation.Shift"/> alone costs the teacher
/// rows x views rows in all instead of rows per epoch: a view is one of finitely many exact inputs, and its logits are the
/// teacher's on exactly that input (mixup's λ is continuous, so mixed rows cannot be cached).
/// </summary>
/// <remarks>Filled on first use, in full batches through the trainer's batch scorer; reading a row's view allocates nothing.</remarks>
internal sealed class TeacherViewCache
{
    /// <summary>The most floats the cache may hold (256 MB); above it, the trainer scores every batch on the fly.</summary>
    internal const long MaxFloats = 64L * 1024 * 1024;

    private readonly float[] _logits;
    private readonly int _classes;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="rows">Data rows.</param>
    /// <param name="views">Views per row.</param>
    /// <param name="classes">Teacher classes K.</param>
    public TeacherViewCache(int rows, int views, int classes)
    {
        Rows = rows;
        Views = views;
        _classes = classes;
        _logits = new float[checked(rows * views * classes)];
    }

    /// <summary>Gets the data rows.</summary>
    public int Rows { get; }

    /// <summary>Gets the views per row.</summary>
    public int Views { get; }

    /// <summary>Gets whether <see cref="Fill"/> has run.</summary>
    public bool Filled { get; private set; }

    /// <summary>Whether a cache of <paramref name="rows"/> x <paramref name="views"/> x <paramref name="classes"/> floats fits under <see cref="MaxFloats"/>.</summary>
    public static bool Fits(int rows, int views, int classes) => (long)rows * views * classes <= MaxFloats;

    /// <summary>Scores every view of every row.</summary>
    /// <param name="scorer">The teacher's batch scorer.</param>
    /// <param name="augmenter">Renders the views.</param>
    /// <param name="features">Rows x d features.</param>
    /// <param name="d">Features per row.</param>
    /// <param name="buffer">At least scorer.BatchSize x d floats of scratch.</param>
    public void Fill(TeacherBatchScorer scorer, ImageBatchAugmenter augmenter, ReadOnlySpan<float> features, int d, Span<float> buffer)
    {
        long total = (long)Rows * Views;
        int batch = scorer.BatchSize;
        for (long first = 0; first < total; first += batch)
        {
            int count = (int)Math.Min(batch, total - first);
            for (int i = 0; i < count; i++)
            {
                long key = first + i;
                int row = (int)(key / Views);
                augmenter.Render(features.Slice(row * d, d), (int)(key % Views), buffer.Slice(i * d, d));
            }

            scorer.Score(buffer[..(count * d)], count, _logits.AsSpan(checked((int)(first * _classes)), count * _classes));
        }

        Filled = true;
    }

    /// <summary>The teacher's logits on view <paramref name="view"/> of data row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Logits(int row, int view) => _logits.AsSpan(((row * Views) + view) * _classes, _classes);
}
