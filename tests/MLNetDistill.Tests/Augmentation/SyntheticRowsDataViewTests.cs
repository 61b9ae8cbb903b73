using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Augmentation;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Augmentation;

public sealed class SyntheticRowsDataViewTests
{
    private readonly MLContext _ml = new(0);

    [Theory]
    [InlineData(AugmentationMethod.Spunge)]
    [InlineData(AugmentationMethod.Munge)]
    [InlineData(AugmentationMethod.Mixup)]
    public void Create_SameSeed_SameRowsForEveryCursorAndAnotherSeedOthers(AugmentationMethod method)
    {
        var options = new AugmentationOptions { Method = method, Factor = 2 };

        var first = Read(SyntheticRowsDataView.Create(AugmentationTestData.BreastCancer, options.Validated(), 5, CancellationToken.None));
        var again = Read(SyntheticRowsDataView.Create(AugmentationTestData.BreastCancer, options.Validated(), 5, CancellationToken.None));
        var other = Read(SyntheticRowsDataView.Create(AugmentationTestData.BreastCancer, options.Validated(), 6, CancellationToken.None));

        Assert.Equal(2 * 569, first.Count);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Theory]
    [InlineData(5, 100_000, 2845)]
    [InlineData(0.5, 100_000, 285)]
    [InlineData(5, 1000, 1000)]
    public void GetRowCount_FactorAndCap_FactorTimesRowsAtMostMaxRows(double factor, int maxRows, long expected)
    {
        var view = SyntheticRowsDataView.Create(AugmentationTestData.BreastCancer, new AugmentationOptions { Factor = factor, MaxRows = maxRows }.Validated(), 0, CancellationToken.None);

        Assert.Equal(expected, view.GetRowCount());
        Assert.Equal(expected, Read(view).Count);
    }

    [Theory]
    [InlineData(AugmentationMethod.Spunge)]
    [InlineData(AugmentationMethod.Munge)]
    [InlineData(AugmentationMethod.Mixup)]
    public void Cursor_100kRowsOf30Features_AllocatesNoMemoryPerRow(AugmentationMethod method)
    {
        // 569 training rows, factor 200 capped at 100,000: 12 MB of features if they were held; generated one row at a time.
        var view = SyntheticRowsDataView.Create(AugmentationTestData.BreastCancer, new AugmentationOptions { Method = method, Factor = 200 }.Validated(), 0, CancellationToken.None);
        var column = view.Schema[DataColumnNames.Features];
        double sum = 0;
        Read(view); // warm up (JIT) over every path

        long before = GC.GetAllocatedBytesForCurrentThread();
        long rows = 0;
        using (var cursor = view.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> row = default;
            while (cursor.MoveNext())
            {
                getter(ref row);
                sum += row.GetValues()[0];
                rows++;
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(100_000, rows);
        Assert.True(allocated < 64 * 1024, $"{allocated:N0} bytes allocated for {rows:N0} rows");
        Assert.True(double.IsFinite(sum), $"sum of the first feature {sum}");
    }

    [Fact]
    public void Create_NaNFeature_ErrorNamesTheRowAndIndex()
    {
        var data = TestData.Vectors(_ml, [[1f, 2f], [3f, float.NaN], [5f, 6f]]);

        var e = Assert.Throws<InvalidDataException>(() => SyntheticRowsDataView.Create(data, new AugmentationOptions().Validated(), 0, CancellationToken.None));

        Assert.Contains("row 1", e.Message);
        Assert.Contains("index 1", e.Message);
    }

    [Fact]
    public void Create_NaNFeature_ErrorNamesTheSkipOption()
    {
        var data = TestData.Vectors(_ml, [[1f, 2f], [3f, float.PositiveInfinity], [5f, 6f]]);

        var e = Assert.Throws<InvalidDataException>(() => SyntheticRowsDataView.Create(data, new AugmentationOptions().Validated(), 0, CancellationToken.None));

        Assert.Contains("skip-invalid=1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NaNFeatureWithSkipInvalidRows_LeavesTheRowOutAndCountsIt()
    {
        var data = TestData.Vectors(_ml, [[1f, 2f], [3f, float.NaN], [5f, 6f], [float.NegativeInfinity, 0f]]);
        var options = AugmentationOptions.Parse("mixup:factor=50,skip-invalid=1");

        var view = SyntheticRowsDataView.Create(data, options, 0, CancellationToken.None);
        var rows = Read(view);

        Assert.Equal(2, view.SkippedTrainingRows);
        Assert.Equal(2, view.TrainingRows);
        Assert.Equal(100, rows.Count); // factor × the two valid rows
        Assert.All(rows, r =>
        {
            float[] v = r.Split(',').Select(x => float.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.True(v.All(float.IsFinite) && v[0] >= 1 && v[0] <= 5, r); // mixes of (1, 2) and (5, 6) only
        });
        Assert.Equal(1, options.Settings(0)["skip-invalid"]);
    }

    [Fact]
    public void Create_StopAsked_EndsAtTheNextCheckAndCountIsUnknown()
    {
        int asked = 0;
        var view = SyntheticRowsDataView.Create(AugmentationTestData.BreastCancer, new AugmentationOptions { Factor = 10 }.Validated(), 0, CancellationToken.None, () => ++asked >= 3);

        var rows = Read(view);

        Assert.Null(view.GetRowCount());
        Assert.Equal(5690, view.PlannedRows);
        Assert.Equal(3 * 256, rows.Count); // asked at rows 256, 512 and 768; the third says stop
    }

    [Theory]
    [InlineData(AugmentationMethod.Munge)]
    [InlineData(AugmentationMethod.Mixup)]
    public void Create_OneRowForPairingMethod_ErrorSaysTwoRowsAreNeeded(AugmentationMethod method)
    {
        var data = TestData.Vectors(_ml, [[1f, 2f]]);

        var e = Assert.Throws<ArgumentException>(() => SyntheticRowsDataView.Create(data, new AugmentationOptions { Method = method }.Validated(), 0, CancellationToken.None));

        Assert.Contains("at least 2 training rows", e.Message);
        Assert.Contains("has 1", e.Message);
    }

    [Fact]
    public void Create_CategoricalIndexOutOfRange_ErrorQuotesTheIndex()
    {
        var options = new AugmentationOptions();
        options.CategoricalFeatureIndices.Add(30);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticRowsDataView.Create(AugmentationTestData.BreastCancer, options.Validated(), 0, CancellationToken.None));

        Assert.Contains("holds 30", e.Message);
        Assert.Contains("0 to 29", e.Message);
    }

    private static List<string> Read(IDataView view, int? take = null)
    {
        var rows = new List<string>();
        var column = view.Schema[DataColumnNames.Features];
        using var cursor = view.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> row = default;
        while (cursor.MoveNext() && (take is null || rows.Count < take))
        {
            getter(ref row);
            rows.Add(string.Join(",", row.DenseValues()));
        }

        return rows;
    }
}
