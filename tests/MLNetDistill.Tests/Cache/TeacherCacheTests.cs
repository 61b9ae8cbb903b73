using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Tests.Data;
using MLNetDistill.Numerics;
using Parquet;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Tests.Cache;

public sealed class TeacherCacheTests : IDisposable
{
    private const string TeacherHash = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static CacheMetadata Meta(float temperature = 2f, ShardSpec? shard = null, string teacher = TeacherHash) => new()
    {
        TeacherSha256 = teacher,
        TeacherFile = "teacher.onnx",
        Temperature = temperature,
        DataFingerprint = "sha256:00ff;rows=10",
        Shard = shard ?? ShardSpec.Whole,
        CreatedUtc = new DateTime(2026, 11, 23, 8, 30, 15, DateTimeKind.Utc),
    };

    [Theory]
    [InlineData(".csv", 1, 2, true)]
    [InlineData(".csv", 10, 3, false)]
    [InlineData(".csv", 37, 10, true)]
    [InlineData(".parquet", 1, 2, false)]
    [InlineData(".parquet", 10, 3, true)]
    [InlineData(".parquet", 37, 10, true)]
    public void WriteThenRead_AnyShape_ValuesAreBitExactAndMetadataComplete(string extension, int rows, int classes, bool withLabel)
    {
        ScoredViews scored = ScoredViews.Create(rows, classes, withLabel);
        string path = _temp.File("cache" + extension);

        CacheMetadata written = TeacherCache.Write(scored.View, path, Meta());

        Assert.Equal(classes, written.Classes);
        Assert.Equal(rows, written.Rows);
        Assert.Equal(withLabel, written.HasLabel);
        Assert.Equal(TeacherHash.ToLowerInvariant(), written.TeacherSha256);
        Assert.Equal(written, TeacherCache.ReadMetadata(path));

        IDataView view = TeacherCache.Read(path);
        Assert.Equal(
            withLabel ? ["Label", "TeacherLogits", "SoftLabels", "TeacherPredictedLabel"] : ["TeacherLogits", "SoftLabels", "TeacherPredictedLabel"],
            ViewRows.ColumnNames(view));
        Assert.Equal(rows, view.GetRowCount());
        Assert.Equal((ulong)classes, ((KeyDataViewType)view.Schema["TeacherPredictedLabel"].Type).Count);
        AssertBitExact(scored.Logits, ViewRows.Vectors(view, "TeacherLogits"));
        AssertBitExact(scored.Soft, ViewRows.Vectors(view, "SoftLabels"));
        Assert.Equal(scored.Predicted.Select(p => (uint)p + 1), ViewRows.Keys(view, "TeacherPredictedLabel"));
        if (withLabel)
        {
            Assert.Equal(scored.Labels, ViewRows.Singles(view, "Label"));
        }

        Assert.Equal(extension == ".csv" ? ["cache.csv", "cache.csv.json"] : ["cache.parquet"], _temp.Entries());
    }

    [Fact]
    public async Task WriteThenRead_ParquetManyRowGroups_KeepsRowOrder()
    {
        ScoredViews scored = ScoredViews.Create(23, 4);
        string path = _temp.File("groups.parquet");

        TeacherCache.WriteCore(scored.View, path, Meta(), "Label", null, rowGroupRows: 5, CancellationToken.None);

        await using (ParquetReader reader = await ParquetReader.CreateAsync(path))
        {
            Assert.Equal(5, reader.RowGroupCount);
        }

        AssertBitExact(scored.Logits, ViewRows.Vectors(TeacherCache.Read(path), "TeacherLogits"));
        Assert.Equal(scored.Labels, ViewRows.Singles(TeacherCache.Read(path), "Label"));
    }

    [Theory]
    [InlineData(".csv", 0.5f)]
    [InlineData(".parquet", 5f)]
    public void Read_WithTemperature_RecomputesSoftLabelsFromLogits(string extension, float temperature)
    {
        ScoredViews scored = ScoredViews.Create(9, 5, temperature: 1f);
        string path = _temp.File("t" + extension);
        TeacherCache.Write(scored.View, path, Meta(temperature: 1f));

        List<float[]> soft = ViewRows.Vectors(TeacherCache.Read(path, temperature), "SoftLabels");

        for (int r = 0; r < soft.Count; r++)
        {
            float[] expected = new float[5];
            SoftLabelMath.Softmax(scored.Logits[r], temperature, expected);
            Assert.Equal(expected, soft[r]);
            if (r > 0)
            {
                Assert.NotEqual(scored.Soft[r], soft[r]); // row 0 holds a logit of 3.4e38: one-hot at any temperature
            }
        }
    }

    [Fact]
    public void Write_Csv_HeaderAndSidecarFollowTheFormat()
    {
        ScoredViews scored = ScoredViews.Create(3, 2);
        string path = _temp.File("c.csv");

        TeacherCache.Write(scored.View, path, Meta(shard: new ShardSpec(0, 1)));

        Assert.Equal("Label,logit_0,logit_1,soft_0,soft_1,teacher_pred", File.ReadLines(path).First());
        Assert.Equal(4, File.ReadAllLines(path).Length);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(path + ".json"));
        JsonElement root = json.RootElement;
        Assert.Equal(1, root.GetProperty("formatVersion").GetInt32());
        Assert.Equal(TeacherHash.ToLowerInvariant(), root.GetProperty("teacherSha256").GetString());
        Assert.Equal("teacher.onnx", root.GetProperty("teacherFile").GetString());
        Assert.Equal(2, root.GetProperty("classes").GetInt32());
        Assert.Equal(3, root.GetProperty("rows").GetInt64());
        Assert.Equal(2f, root.GetProperty("temperature").GetSingle());
        Assert.Equal("sha256:00ff;rows=10", root.GetProperty("dataFingerprint").GetString());
        Assert.Equal("0/1", root.GetProperty("shard").GetString());
        Assert.True(root.GetProperty("hasLabel").GetBoolean());
        Assert.Equal("2026-11-23T08:30:15.0000000Z", root.GetProperty("createdUtc").GetString());
    }

    [Fact]
    public async Task Write_Parquet_KeyValueMetadataUsesDocumentedKeys()
    {
        string path = _temp.File("k.parquet");

        TeacherCache.Write(ScoredViews.Create(4, 3, withLabel: false).View, path, Meta(shard: new ShardSpec(2, 5)));

        await using ParquetReader reader = await ParquetReader.CreateAsync(path);
        Dictionary<string, string> kv = reader.CustomMetadata;
        Assert.Equal("1", kv["mlnetdistill.format_version"]);
        Assert.Equal(TeacherHash.ToLowerInvariant(), kv["mlnetdistill.teacher_sha256"]);
        Assert.Equal("teacher.onnx", kv["mlnetdistill.teacher_file"]);
        Assert.Equal("3", kv["mlnetdistill.classes"]);
        Assert.Equal("4", kv["mlnetdistill.rows"]);
        Assert.Equal("2", kv["mlnetdistill.temperature"]);
        Assert.Equal("sha256:00ff;rows=10", kv["mlnetdistill.data_fingerprint"]);
        Assert.Equal("2/5", kv["mlnetdistill.shard"]);
        Assert.Equal("false", kv["mlnetdistill.has_label"]);
        Assert.Equal("2026-11-23T08:30:15.0000000Z", kv["mlnetdistill.created_utc"]);
        Assert.Equal(["logit_0", "logit_1", "logit_2", "soft_0", "soft_1", "soft_2", "teacher_pred"], reader.Schema.DataFields.Select(f => f.Name));
    }

    [Fact]
    public void Read_CsvWithoutSidecar_ThrowsIncomplete()
    {
        string path = _temp.File("lonely.csv");
        TeacherCache.Write(ScoredViews.Create(2, 2).View, path, Meta());
        File.Delete(path + ".json");

        var ex = Assert.Throws<InvalidDataException>(() => TeacherCache.Read(path));

        Assert.Contains("no metadata sidecar", ex.Message);
    }

    [Theory]
    [InlineData(".csv")]
    [InlineData(".parquet")]
    public void Write_CancelledOverExistingCache_KeepsPreviousCacheReadable(string extension)
    {
        string path = _temp.File("previous" + extension);
        TeacherCache.Write(ScoredViews.Create(5, 3).View, path, Meta());
        var before = _temp.Entries().ToDictionary(e => e, e => File.ReadAllBytes(_temp.File(e)));
        using var cancel = new CancellationTokenSource();
        var progress = new ActionProgress(rows => cancel.Cancel()); // stops after the first block of rows

        Assert.ThrowsAny<OperationCanceledException>(() =>
            TeacherCache.WriteCore(ScoredViews.Create(10_000, 3).View, path, Meta(), DataColumnNames.Label, progress, 1024, cancel.Token));

        Assert.Equal(before.Keys.Order(), _temp.Entries());
        foreach (var (name, bytes) in before)
        {
            Assert.Equal(bytes, File.ReadAllBytes(_temp.File(name)));
        }

        Assert.Equal(5, TeacherCache.Read(path).GetRowCount() ?? TeacherCache.ReadMetadata(path).Rows);
        Assert.Equal(5, TeacherCache.ReadMetadata(path).Rows);
    }

    [Fact]
    public void Read_FolderWithStaleTempShard_IgnoresTempFile()
    {
        string path = _temp.File("part-0.parquet");
        TeacherCache.Write(ScoredViews.Create(6, 2).View, path, Meta());
        File.WriteAllBytes(AtomicFile.TempPathFor(path), [1, 2, 3]); // what a killed writer leaves

        Assert.Equal(6, TeacherCache.ReadMetadata(_temp.Path).Rows);
        Assert.Equal(6, ViewRows.Vectors(TeacherCache.Read(_temp.Path), "SoftLabels").Count);
    }

    private sealed class ActionProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    [Fact]
    public void Write_OverExistingCsvCache_ReplacesRowsAndSidecar()
    {
        string path = _temp.File("again.csv");
        TeacherCache.Write(ScoredViews.Create(8, 2).View, path, Meta());

        TeacherCache.Write(ScoredViews.Create(3, 2, seed: 99).View, path, Meta());

        Assert.Equal(3, TeacherCache.ReadMetadata(path).Rows);
        Assert.Equal(3, ViewRows.Count(TeacherCache.Read(path)));
    }

    [Fact]
    public void Read_CsvWithRowsMissing_ThrowsTruncated()
    {
        string path = _temp.File("cut.csv");
        TeacherCache.Write(ScoredViews.Create(5, 2).View, path, Meta());
        File.WriteAllLines(path, File.ReadAllLines(path).Take(4));

        var ex = Assert.Throws<InvalidDataException>(() => ViewRows.Count(TeacherCache.Read(path)));

        Assert.Contains("truncated", ex.Message);
    }

    [Theory]
    [InlineData(".parquet", 10, 3)]
    [InlineData(".csv", 10, 3)]
    [InlineData(".parquet", 11, 4)]
    [InlineData(".csv", 2, 3)]
    public void Read_FolderOfShards_RestoresOriginalRowOrder(string extension, int rows, int shards)
    {
        ScoredViews scored = ScoredViews.Create(rows, 3);
        string folder = Path.Combine(_temp.Path, "shards");
        for (int i = 0; i < shards; i++)
        {
            var shard = new ShardSpec(i, shards);
            // Names run against the shard order: the metadata, not the name, must place the rows.
            CacheMetadata m = TeacherCache.Write(shard.Apply(scored.View), Path.Combine(folder, $"part-{shards - 1 - i}{extension}"), Meta(shard: shard));
            Assert.Equal(shard.RowsOf(rows), m.Rows);
        }

        IDataView view = TeacherCache.Read(folder);

        Assert.Equal(rows, view.GetRowCount());
        AssertBitExact(scored.Logits, ViewRows.Vectors(view, "TeacherLogits"));
        Assert.Equal(scored.Labels, ViewRows.Singles(view, "Label"));
        Assert.Equal(scored.Predicted.Select(p => (uint)p + 1), ViewRows.Keys(view, "TeacherPredictedLabel"));
        AssertBitExact(scored.Soft, ViewRows.Vectors(TeacherCache.Read(Path.Combine(folder, "part-*" + extension)), "SoftLabels"));
        CacheMetadata merged = TeacherCache.ReadMetadata(folder);
        Assert.Equal(rows, merged.Rows);
        Assert.Equal(ShardSpec.Whole, merged.Shard);
    }

    [Fact]
    public void Read_FolderWithShardMissing_ThrowsNamingIt()
    {
        ScoredViews scored = ScoredViews.Create(10, 2);
        foreach (int i in new[] { 0, 2 })
        {
            var shard = new ShardSpec(i, 3);
            TeacherCache.Write(shard.Apply(scored.View), _temp.File($"part-{i}.parquet"), Meta(shard: shard));
        }

        var ex = Assert.Throws<InvalidDataException>(() => TeacherCache.Read(_temp.Path));

        Assert.Contains("2 of 3", ex.Message);
        Assert.Contains("shard 1/3 is missing", ex.Message);
    }

    [Fact]
    public void Read_ShardsOfDifferentTeachers_ThrowsNamingBothHashes()
    {
        ScoredViews scored = ScoredViews.Create(10, 2);
        string other = new('9', 64);
        for (int i = 0; i < 2; i++)
        {
            var shard = new ShardSpec(i, 2);
            TeacherCache.Write(shard.Apply(scored.View), _temp.File($"part-{i}.parquet"), Meta(shard: shard, teacher: i == 0 ? TeacherHash : other));
        }

        var ex = Assert.Throws<InvalidDataException>(() => TeacherCache.Read(_temp.Path));

        Assert.Contains("different teachers", ex.Message);
        Assert.Contains(TeacherHash.ToLowerInvariant(), ex.Message);
        Assert.Contains(other, ex.Message);
    }

    [Fact]
    public void Read_SameShardTwice_ThrowsDuplicate()
    {
        ScoredViews scored = ScoredViews.Create(6, 2);
        for (int i = 0; i < 2; i++)
        {
            var shard = new ShardSpec(i, 2);
            TeacherCache.Write(shard.Apply(scored.View), _temp.File($"part-{i}.csv"), Meta(shard: shard));
        }

        TeacherCache.Write(new ShardSpec(1, 2).Apply(scored.View), _temp.File("part-1-retry.csv"), Meta(shard: new ShardSpec(1, 2)));

        var ex = Assert.Throws<InvalidDataException>(() => TeacherCache.Read(_temp.Path));

        Assert.Contains("Shard 1/2 appears twice", ex.Message);
    }

    [Fact]
    public void Read_SingleShardFile_ReadsJustItsRows()
    {
        ScoredViews scored = ScoredViews.Create(7, 2);
        var shard = new ShardSpec(1, 3);
        string path = _temp.File("one.parquet");
        TeacherCache.Write(shard.Apply(scored.View), path, Meta(shard: shard));

        Assert.Equal([scored.Labels[1], scored.Labels[4]], ViewRows.Singles(TeacherCache.Read(path), "Label"));
    }

    [Fact]
    public void Read_NothingThere_ThrowsFileNotFound()
    {
        string file = _temp.File("nothing.parquet");
        var missing = Assert.Throws<FileNotFoundException>(() => TeacherCache.Read(file));
        Assert.Contains($"Teacher cache '{file}' was not found", missing.Message, StringComparison.Ordinal);
        var empty = Assert.Throws<FileNotFoundException>(() => TeacherCache.Read(_temp.Path));
        Assert.Contains("holds no teacher-cache shards (*.parquet or *.csv)", empty.Message, StringComparison.Ordinal);
        var glob = Assert.Throws<FileNotFoundException>(() => TeacherCache.Read(Path.Combine(_temp.Path, "part-*.parquet")));
        Assert.Contains("matches 'part-*.parquet'", glob.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".csv")]
    [InlineData(".parquet")]
    public void Write_Cancelled_LeavesNoFileBehind(string extension)
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            TeacherCache.Write(ScoredViews.Create(5, 2).View, _temp.File("x" + extension), Meta(), cancellationToken: cts.Token));

        Assert.Empty(_temp.Entries());
    }

    [Fact]
    public void Write_WithProgress_ReportsTheFinalRowCount()
    {
        var reports = new List<long>();

        TeacherCache.Write(ScoredViews.Create(10, 2).View, _temp.File("p.parquet"), Meta(), progress: new SyncProgress(reports));

        Assert.Equal(10, reports[^1]);
    }

    [Fact]
    public void Write_NoSoftLabelsColumn_ThrowsNamingIt()
    {
        IDataView view = new MLContext().Transforms.DropColumns("SoftLabels").Fit(ScoredViews.Create(2, 2).View).Transform(ScoredViews.Create(2, 2).View);

        var ex = Assert.Throws<ArgumentException>(() => TeacherCache.Write(view, _temp.File("n.parquet"), Meta()));

        Assert.Contains("'SoftLabels'", ex.Message);
    }

    [Fact]
    public void Write_UnsupportedExtension_ThrowsListingFormats()
    {
        var ex = Assert.Throws<ArgumentException>(() => TeacherCache.Write(ScoredViews.Create(2, 2).View, _temp.File("c.json"), Meta()));

        Assert.Contains(".parquet", ex.Message);
        Assert.Contains(".csv", ex.Message);
    }

    private static void AssertBitExact(float[][] expected, List<float[]> actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r].Select(BitConverter.SingleToInt32Bits), actual[r].Select(BitConverter.SingleToInt32Bits));
        }
    }

    private sealed class SyncProgress(List<long> reports) : IProgress<long>
    {
        public void Report(long value) => reports.Add(value);
    }
}
