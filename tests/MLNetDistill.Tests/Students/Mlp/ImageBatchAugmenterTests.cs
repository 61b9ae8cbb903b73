using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Tests.Students.Mlp;

public sealed class ImageBatchAugmenterTests
{
    /// <summary>A 4 x 3 image (width 4, height 3) whose pixel (y, x) holds 10 y + x + 1, so 0 means "shifted in".</summary>
    private static float[] Image(int width, int height)
    {
        float[] image = new float[width * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                image[(y * width) + x] = (10 * y) + x + 1;
            }
        }

        return image;
    }

    [Fact]
    public void Apply_KnownShift_PixelsMoveByDxDyWithZerosShiftedIn()
    {
        const int width = 4;
        const int height = 3;
        float[] image = Image(width, height);
        float[] output = new float[width * height];
        var augmenter = new ImageBatchAugmenter(width, height, shift: 2, flip: false, batchSize: 1, seed: 5, stream: 5);
        bool sawNonZeroShift = false;
        for (int draw = 0; draw < 40; draw++)
        {
            augmenter.Apply(image, 1, output);
            int dx = augmenter.ShiftX[0];
            int dy = augmenter.ShiftY[0];
            Assert.InRange(dx, -2, 2);
            Assert.InRange(dy, -2, 2);
            Assert.False(augmenter.Flipped[0]);
            sawNonZeroShift |= dx != 0 && dy != 0;
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    int sy = y - dy;
                    int sx = x - dx;
                    float expected = sy >= 0 && sy < height && sx >= 0 && sx < width ? image[(sy * width) + sx] : 0f;
                    Assert.Equal(expected, output[(y * width) + x]);
                }
            }
        }

        Assert.True(sawNonZeroShift);
    }

    [Fact]
    public void Apply_SeedWithShiftOneRightOneDown_GivesGoldenPixels()
    {
        // Find a draw of (dx, dy) = (1, 1) and check every pixel by hand: the content moves one right and one down.
        const int width = 4;
        const int height = 3;
        float[] image = Image(width, height);
        float[] output = new float[width * height];
        var augmenter = new ImageBatchAugmenter(width, height, shift: 1, flip: false, batchSize: 1, seed: 1, stream: 5);
        int tries = 0;
        do
        {
            augmenter.Apply(image, 1, output);
            tries++;
        }
        while (!(augmenter.ShiftX[0] == 1 && augmenter.ShiftY[0] == 1) && tries < 200);

        Assert.Equal(1, augmenter.ShiftX[0]);
        Assert.Equal(1, augmenter.ShiftY[0]);
        float[] golden =
        [
            0, 0, 0, 0,
            0, 1, 2, 3,
            0, 11, 12, 13,
        ];
        Assert.Equal(golden, output);
    }

    [Fact]
    public void Apply_Flip_MirrorsEachLineAfterTheShift()
    {
        const int width = 5;
        const int height = 4;
        float[] image = Image(width, height);
        float[] output = new float[width * height];
        var augmenter = new ImageBatchAugmenter(width, height, shift: 1, flip: true, batchSize: 1, seed: 9, stream: 5);
        int flipped = 0;
        const int draws = 400;
        for (int draw = 0; draw < draws; draw++)
        {
            augmenter.Apply(image, 1, output);
            int dx = augmenter.ShiftX[0];
            int dy = augmenter.ShiftY[0];
            bool flip = augmenter.Flipped[0];
            flipped += flip ? 1 : 0;
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    int sy = y - dy;
                    int sx = (flip ? width - 1 - x : x) - dx;
                    float expected = sy >= 0 && sy < height && sx >= 0 && sx < width ? image[(sy * width) + sx] : 0f;
                    Assert.Equal(expected, output[(y * width) + x]);
                }
            }
        }

        // Flips are fair coin tosses: 400 draws land well inside [150, 250].
        Assert.InRange(flipped, 150, 250);
    }

    [Fact]
    public void Apply_FlipOnlyNoShift_GivesMirrorImageOrTheImage()
    {
        float[] image = Image(3, 2);
        float[] output = new float[6];
        var augmenter = new ImageBatchAugmenter(3, 2, shift: 0, flip: true, batchSize: 1, seed: 2, stream: 5);
        bool sawFlip = false;
        bool sawKeep = false;
        for (int draw = 0; draw < 20; draw++)
        {
            augmenter.Apply(image, 1, output);
            Assert.Equal(0, augmenter.ShiftX[0]);
            Assert.Equal(0, augmenter.ShiftY[0]);
            float[] expected = augmenter.Flipped[0] ? [3, 2, 1, 13, 12, 11] : image;
            Assert.Equal(expected, output);
            sawFlip |= augmenter.Flipped[0];
            sawKeep |= !augmenter.Flipped[0];
        }

        Assert.True(sawFlip && sawKeep);
    }

    [Fact]
    public void Apply_SameSeed_SameShiftsAndPixels()
    {
        const int rows = 9;
        const int side = 6;
        var random = new Random(4);
        float[] x = Enumerable.Range(0, rows * side * side).Select(_ => (float)random.NextDouble()).ToArray();
        float[] a = new float[x.Length];
        float[] b = new float[x.Length];
        var first = new ImageBatchAugmenter(side, side, 2, true, rows, seed: 7, stream: 5);
        var second = new ImageBatchAugmenter(side, side, 2, true, rows, seed: 7, stream: 5);
        var other = new ImageBatchAugmenter(side, side, 2, true, rows, seed: 8, stream: 5);
        float[] c = new float[x.Length];
        for (int batch = 0; batch < 3; batch++)
        {
            first.Apply(x, rows, a);
            second.Apply(x, rows, b);
            other.Apply(x, rows, c);
            Assert.Equal(a, b);
            Assert.Equal(first.ShiftX.ToArray(), second.ShiftX.ToArray());
        }

        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Apply_ManyBatches_AllocatesNothing()
    {
        const int rows = 64;
        float[] x = new float[rows * 784];
        float[] output = new float[x.Length];
        var augmenter = new ImageBatchAugmenter(28, 28, 2, true, rows, seed: 1, stream: 5);
        augmenter.Apply(x, rows, output);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int batch = 0; batch < 50; batch++)
        {
            augmenter.Apply(x, rows, output);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Constructor_ShiftNotLessThanSide_ThrowsQuotingValueAndRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ImageBatchAugmenter(4, 3, shift: 3, flip: false, batchSize: 1, seed: 0, stream: 5));
        Assert.Contains("but was 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0 to 2", ex.Message, StringComparison.Ordinal);
    }
}
