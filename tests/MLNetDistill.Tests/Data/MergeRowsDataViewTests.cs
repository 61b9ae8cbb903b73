using Microsoft.ML;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

public sealed class MergeRowsDataViewTests
{
    private sealed class Row
    {
        public float Value { get; set; }
    }

    private static IDataView View(MLContext ml, params float[] values) => ml.Data.LoadFromEnumerable(values.Select(v => new Row { Value = v }));

    [Fact]
    public void Cursor_ThreeParts_InterleavesInTheGivenOrderKeepingEachPartsOrder()
    {
        var ml = new MLContext(0);
        var merged = new MergeRowsDataView([View(ml, 1, 4), View(ml, 2, 5), View(ml, 3)], [0, 1, 2, 0, 1]);

        Assert.Equal([1f, 2f, 3f, 4f, 5f], ViewRows.Singles(merged, "Value"));
        Assert.Equal(5, merged.GetRowCount());
    }

    [Fact]
    public void Cursor_OrderNamesMoreRowsThanAPartHas_ThrowsNamingThePart()
    {
        var ml = new MLContext(0);
        var merged = new MergeRowsDataView([View(ml, 1), View(ml, 2)], [0, 0]);

        var e = Assert.Throws<InvalidOperationException>(() => ViewRows.Singles(merged, "Value"));

        Assert.Contains("Part 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RowSubset_AscendingPositions_KeepsThoseRows()
    {
        var ml = new MLContext(0);

        Assert.Equal([20f, 40f], ViewRows.Singles(new RowSubsetDataView(View(ml, 10, 20, 30, 40), [1, 3]), "Value"));
        Assert.Throws<ArgumentException>(() => new RowSubsetDataView(View(ml, 10, 20), [1, 1]));
    }
}
