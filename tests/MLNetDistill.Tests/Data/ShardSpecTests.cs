using Microsoft.ML;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

public sealed class ShardSpecTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("2/3", 2, 3)]
    [InlineData(" 6/7 ", 6, 7)]
    public void Parse_IndexOfCount_ReturnsShard(string text, int index, int count)
    {
        ShardSpec shard = ShardSpec.Parse(text);

        Assert.Equal(new ShardSpec(index, count), shard);
        Assert.Equal(text.Trim(), shard.ToString());
    }

    [Theory]
    [InlineData("3/3", "0-based")]
    [InlineData("5/2", "must be less than n")]
    [InlineData("0/0", "at least 1")]
    [InlineData("1/-2", "at least 1")]
    [InlineData("-1/2", "not of the form i/n")]
    [InlineData("abc", "not of the form i/n")]
    [InlineData("1/", "not of the form i/n")]
    [InlineData("", "not of the form i/n")]
    public void Parse_Bad_ThrowsSayingWhy(string text, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => ShardSpec.Parse(text));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Parse_Auto_KubernetesIndexedJobWithShardsOption()
    {
        ShardSpec shard = ShardSpec.Parse("auto", 4, Env(("JOB_COMPLETION_INDEX", "3")));

        Assert.Equal(new ShardSpec(3, 4), shard);
    }

    [Fact]
    public void Parse_Auto_KubernetesWithoutShardsOption_ThrowsAskingForShards()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ShardSpec.Parse("auto", null, Env(("JOB_COMPLETION_INDEX", "1"))));

        Assert.Contains("--shards", ex.Message);
        Assert.Contains("JOB_COMPLETION_INDEX=1", ex.Message);
    }

    [Fact]
    public void Parse_Auto_KubernetesIndexBeyondShards_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => ShardSpec.Parse("auto", 2, Env(("JOB_COMPLETION_INDEX", "2"))));
        Assert.Equal("shardsOption", ex.ParamName);
        Assert.Contains("JOB_COMPLETION_INDEX=2 is not below --shards 2", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", "4", null, null, 0, 4)]
    [InlineData("5", "5", "1", null, 4, 5)] // --array=1-5: ids start at SLURM_ARRAY_TASK_MIN
    [InlineData("7", "3", "3", "2", 2, 3)] // --array=3-7:2 -> ids 3, 5, 7
    public void Parse_Auto_SlurmArray_SubtractsMinAndDividesByStep(string id, string count, string? min, string? step, int index, int shards)
    {
        var variables = new List<(string, string)> { ("SLURM_ARRAY_TASK_ID", id), ("SLURM_ARRAY_TASK_COUNT", count) };
        if (min is not null)
        {
            variables.Add(("SLURM_ARRAY_TASK_MIN", min));
        }

        if (step is not null)
        {
            variables.Add(("SLURM_ARRAY_TASK_STEP", step));
        }

        Assert.Equal(new ShardSpec(index, shards), ShardSpec.Parse("auto", null, Env([.. variables])));
    }

    [Fact]
    public void Parse_Auto_SlurmCountDisagreesWithShardsOption_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            ShardSpec.Parse("auto", 8, Env(("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "4"))));

        Assert.Contains("SLURM_ARRAY_TASK_COUNT=4", ex.Message);
    }

    [Fact]
    public void Parse_Auto_NoScheduler_ThrowsNamingTheVariables()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ShardSpec.Parse("auto", 4, Env()));

        Assert.Contains("JOB_COMPLETION_INDEX", ex.Message);
        Assert.Contains("SLURM_ARRAY_TASK_ID", ex.Message);
        Assert.Contains("SLURM_ARRAY_TASK_COUNT", ex.Message);
    }

    [Fact]
    public void Parse_ExplicitWithDisagreeingShardsOption_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => ShardSpec.Parse("1/4", 3, Env()));
        Assert.Equal("shardsOption", ex.ParamName);
        Assert.Contains("Shard '1/4' says 4 shards but --shards says 3", ex.Message, StringComparison.Ordinal);
        Assert.Equal(new ShardSpec(1, 4), ShardSpec.Parse("1/4", 4, Env(("JOB_COMPLETION_INDEX", "0"))));
    }

    [Theory]
    [InlineData(10, 0, 3, new[] { 0, 3, 6, 9 })]
    [InlineData(10, 2, 3, new[] { 2, 5, 8 })]
    [InlineData(2, 2, 3, new int[0])]
    [InlineData(7, 0, 1, new[] { 0, 1, 2, 3, 4, 5, 6 })]
    public void Apply_RowsOfData_KeepsEveryNthFromIndex(int rows, int index, int count, int[] expected)
    {
        using var temp = new TempFolder();
        string path = temp.File("d.parquet");
        ParquetFeatureReaderTests.WriteMixed(path, [rows]);
        IDataView data = ParquetFeatureReader.Load(path, "label");
        var shard = new ShardSpec(index, count);

        IDataView view = shard.Apply(data);

        Assert.Equal(expected.Select(i => (float)i), ViewRows.Vectors(view, "Features").Select(v => v[0])); // column id
        Assert.Equal(expected.Length, view.GetRowCount());
        Assert.Equal(expected.Length, shard.RowsOf(rows));
    }

    [Fact]
    public void Apply_SourceOfUnknownLength_FiltersLazilyWithUnknownCount()
    {
        IDataView data = new MLContext().Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(i => new Item { Value = i }));

        IDataView view = new ShardSpec(1, 4).Apply(data);

        Assert.Null(view.GetRowCount());
        Assert.Equal([1f, 5f], ViewRows.Singles(view, "Value"));
    }

    [Fact]
    public void Constructor_IndexOutOfRange_Throws()
    {
        var index = Assert.Throws<ArgumentOutOfRangeException>(() => new ShardSpec(2, 2));
        Assert.Equal("index", index.ParamName);
        Assert.Equal(2, index.ActualValue);
        Assert.Contains("Shard index 2 is outside [0, 1] for 2 shards", index.Message, StringComparison.Ordinal);
        var count = Assert.Throws<ArgumentOutOfRangeException>(() => new ShardSpec(0, 0));
        Assert.Equal("count", count.ParamName);
        Assert.Contains("The shard count must be at least 1 but was 0.", count.Message, StringComparison.Ordinal);
    }

    public sealed class Item
    {
        public float Value { get; set; }
    }
}
