using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

public sealed class ClassValuesTests
{
    [Fact]
    public void Resolve_SingleLabel_GivesSingleIndices()
    {
        var classes = ClassValues.Resolve(Schema(new MLContext(1), [2f, 0f, 1f]), "Label", null, 3);
        Assert.Equal(NumberDataViewType.Single, classes.ItemType);
        Assert.True(classes.IsIndices);
        Assert.Equal("0, 1, 2", classes.Describe());
    }

    [Fact]
    public void Resolve_NoLabel_GivesSingleIndices()
    {
        var classes = ClassValues.Resolve(Schema(new MLContext(1), [0f]), "Missing", null, 12);
        Assert.Equal("0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... and 2 more", classes.Describe());
    }

    [Fact]
    public void Resolve_KeyOfOtherCount_ThrowsNamingBothCounts()
    {
        var ml = new MLContext(1);
        var keyed = Keyed(ml, [0f, 1f], ValueToKeyMappingEstimator.KeyOrdinality.ByValue);
        var ex = Assert.Throws<ArgumentException>(() => ClassValues.Resolve(keyed, "Label", null, 3));
        Assert.Contains("key of 2 values but the teacher has 3 classes", ex.Message);
    }

    [Fact]
    public void Resolve_NumericTextKeyInOrdinalOrder_ThrowsBecauseNumbersDoNotAscend()
    {
        // "10" sorts before "2" as text, but as class numbers it comes last: such a key does not follow the teacher's order.
        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, 12).Select(i => new TextRow { Label = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var data = ml.Data.LoadFromEnumerable(rows);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(data).Transform(data).Schema;
        var ex = Assert.Throws<ArgumentException>(() => ClassValues.Resolve(keyed, "Label", null, 12));
        Assert.Contains("'0', '1', '10', '11', '2'", ex.Message);
    }

    [Fact]
    public void KeyValueAnnotations_RoundTripThroughFromKeyValues()
    {
        var ml = new MLContext(1);
        var byValue = ClassValues.Resolve(Keyed(ml, [2f, 0f, 1f], ValueToKeyMappingEstimator.KeyOrdinality.ByValue), "Label", null, 3);
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Key", new KeyDataViewType(typeof(uint), 3), byValue.KeyValueAnnotations());
        var back = ClassValues.FromKeyValues(builder.ToSchema()["Key"]);
        Assert.NotNull(back);
        Assert.True(back.SameValues(byValue));
    }

    private static DataViewSchema Schema(MLContext ml, float[] labels) => ml.Data.LoadFromEnumerable(labels.Select(l => new LabelRow { Label = l })).Schema;

    private static DataViewSchema Keyed(MLContext ml, float[] labels, ValueToKeyMappingEstimator.KeyOrdinality order)
    {
        var data = ml.Data.LoadFromEnumerable(labels.Select(l => new LabelRow { Label = l }));
        return ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: order).Fit(data).Transform(data).Schema;
    }

    private sealed class LabelRow
    {
        public float Label { get; set; }
    }

    private sealed class TextRow
    {
        public string Label { get; set; } = "";
    }
}
