using MLNetDistill.Numerics;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// Consistent image augmentation of a training batch (<see cref="MlpAugmentation.Shift"/>): each row, read as a
/// height x width grayscale image in row-major order, is translated by (dx, dy), each uniform on [-s, s], with 0 shifted
/// in, and, with <c>flip</c>, mirrored left to right with probability 1/2 after the shift:
/// out(y, x) = in(y - dy, x' - dx) with x' = width - 1 - x when flipped, else x; 0 where y - dy or x' - dx is outside.
/// </summary>
/// <remarks>
/// A random crop of the image zero-padded by s on every side (torchvision's <c>RandomCrop(size, padding=s)</c>), then
/// <c>RandomHorizontalFlip</c>: the "crops" of Beyer et al. 2022's function matching at the scale of a 28 x 28 image.
/// The draws come row by row from one seeded <see cref="DeterministicRandom"/> stream (independent of shuffling, dropout
/// and mixup), on the calling thread: the same seed gives the same shifts whatever the thread count. Nothing is
/// allocated after construction.
/// </remarks>
internal sealed class ImageBatchAugmenter
{
    private readonly int[] _dx;
    private readonly int[] _dy;
    private readonly bool[] _flipped;
    private DeterministicRandom _random;

    /// <summary>Creates an augmenter.</summary>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="shift">The largest translation s, in pixels, 0 to min(width, height) - 1.</param>
    /// <param name="flip">Whether to mirror half the images left to right.</param>
    /// <param name="batchSize">The most rows per batch.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="stream">The random stream.</param>
    public ImageBatchAugmenter(int width, int height, int shift, bool flip, int batchSize, int seed, ulong stream)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (shift < 0 || shift >= Math.Min(width, height))
        {
            throw new ArgumentOutOfRangeException(nameof(shift), shift, $"The shift must be 0 to {Math.Min(width, height) - 1} pixels (less than the {width} x {height} image's side) but was {shift}.");
        }

        Width = width;
        Height = height;
        Shift = shift;
        Flip = flip;
        _dx = new int[batchSize];
        _dy = new int[batchSize];
        _flipped = new bool[batchSize];
        _random = new DeterministicRandom(seed, stream);
    }

    /// <summary>Gets the image width.</summary>
    public int Width { get; }

    /// <summary>Gets the image height.</summary>
    public int Height { get; }

    /// <summary>Gets the largest translation in pixels.</summary>
    public int Shift { get; }

    /// <summary>Gets whether images are mirrored with probability 1/2.</summary>
    public bool Flip { get; }

    /// <summary>Gets how many distinct views of an image there are: (2 s + 1)² shifts, times 2 with flips.</summary>
    public int ViewCount => ((2 * Shift) + 1) * ((2 * Shift) + 1) * (Flip ? 2 : 1);

    /// <summary>The view index, 0 to <see cref="ViewCount"/> - 1, of row <paramref name="row"/> of the last <see cref="Apply"/>.</summary>
    /// <param name="row">The row in the batch.</param>
    /// <returns>The view.</returns>
    public int ViewOf(int row) => View(_dx[row], _dy[row], _flipped[row]);

    /// <summary>Writes view <paramref name="view"/> of one image (what <see cref="Apply"/> writes for a row that drew that view).</summary>
    /// <param name="image">width x height pixels.</param>
    /// <param name="view">The view, 0 to <see cref="ViewCount"/> - 1.</param>
    /// <param name="output">Receives width x height pixels.</param>
    public void Render(ReadOnlySpan<float> image, int view, Span<float> output)
    {
        int side = (2 * Shift) + 1;
        bool flip = Flip && (view & 1) != 0;
        int shift = Flip ? view >> 1 : view;
        Transform(image, (shift % side) - Shift, (shift / side) - Shift, flip, output);
    }

    /// <summary>Gets the horizontal shifts of the last <see cref="Apply"/> (positive: content moves right).</summary>
    public ReadOnlySpan<int> ShiftX => _dx;

    /// <summary>Gets the vertical shifts of the last <see cref="Apply"/> (positive: content moves down).</summary>
    public ReadOnlySpan<int> ShiftY => _dy;

    /// <summary>Gets which rows of the last <see cref="Apply"/> were mirrored.</summary>
    public ReadOnlySpan<bool> Flipped => _flipped;

    /// <summary>Draws each row's shift (and flip) and writes the augmented batch.</summary>
    /// <param name="x">rows x (width x height) pixels, row-major.</param>
    /// <param name="rows">Rows in the batch.</param>
    /// <param name="augmented">Receives the rows x (width x height) augmented pixels; must not overlap <paramref name="x"/>.</param>
    public void Apply(ReadOnlySpan<float> x, int rows, Span<float> augmented)
    {
        int span = (2 * Shift) + 1;
        for (int r = 0; r < rows; r++)
        {
            _dx[r] = Shift == 0 ? 0 : _random.NextInt(span) - Shift;
            _dy[r] = Shift == 0 ? 0 : _random.NextInt(span) - Shift;
            _flipped[r] = Flip && (_random.NextUInt64() >> 63) != 0;
        }

        int d = Width * Height;
        for (int r = 0; r < rows; r++)
        {
            Transform(x.Slice(r * d, d), _dx[r], _dy[r], _flipped[r], augmented.Slice(r * d, d));
        }
    }

    private int View(int dx, int dy, bool flip)
    {
        int shift = ((dy + Shift) * ((2 * Shift) + 1)) + dx + Shift;
        return Flip ? (2 * shift) + (flip ? 1 : 0) : shift;
    }

    /// <summary>One image: shifted by (dx, dy) with 0 shifted in, then mirrored when <paramref name="flip"/>.</summary>
    private void Transform(ReadOnlySpan<float> image, int dx, int dy, bool flip, Span<float> output)
    {
        int w = Width;
        int lo = Math.Max(0, dx);
        int hi = Math.Min(w, w + dx);
        for (int y = 0; y < Height; y++)
        {
            Span<float> line = output.Slice(y * w, w);
            int sy = y - dy;
            if (sy < 0 || sy >= Height)
            {
                line.Clear();
                continue;
            }

            // line[x] = image(sy, x - dx) for x in [lo, hi).
            line[..lo].Clear();
            image.Slice((sy * w) + lo - dx, hi - lo).CopyTo(line[lo..hi]);
            line[hi..].Clear();
            if (flip)
            {
                line.Reverse();
            }
        }
    }
}
