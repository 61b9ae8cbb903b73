using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

public sealed class CacheMetadataTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static CacheMetadata Meta(string fingerprint = "sha256:aa;rows=3") => new()
    {
        TeacherSha256 = "abc123",
        TeacherFile = "t.onnx",
        DataFingerprint = fingerprint,
    };

    [Fact]
    public void EnsureMatches_SameTeacherAnyCase_Passes()
    {
        Meta().EnsureMatches("ABC123", "sha256:aa;rows=3");
        Meta().EnsureMatches("abc123", null);
        Meta(fingerprint: string.Empty).EnsureMatches("abc123", "anything"); // unknown data is not checked
    }

    [Fact]
    public void EnsureMatches_OtherTeacher_ThrowsNamingBothHashes()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Meta().EnsureMatches("def456", null));

        Assert.Contains("made by teacher abc123", ex.Message);
        Assert.Contains("not def456", ex.Message);
        Assert.Contains("mlnet-distill score", ex.Message);
    }

    [Fact]
    public void EnsureMatches_OtherData_ThrowsNamingBothFingerprints()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Meta().EnsureMatches("abc123", "sha256:bb;rows=3"));

        Assert.Contains("sha256:aa;rows=3", ex.Message);
        Assert.Contains("sha256:bb;rows=3", ex.Message);
    }

    [Fact]
    public void JsonRoundTrip_AllFields_Equal()
    {
        CacheMetadata meta = Meta() with
        {
            Classes = 10,
            Rows = 123_456_789_012,
            Temperature = 3.3f,
            Shard = new ShardSpec(3, 7),
            HasLabel = true,
            CreatedUtc = new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc),
        };

        Assert.Equal(meta, CacheMetadata.FromJson(meta.ToJson(), "x.json"));
        Assert.Equal(meta, CacheMetadata.FromKeyValues(meta.ToKeyValues(), "x.parquet"));
    }

    [Fact]
    public void FromJson_NewerFormat_ThrowsAskingToUpgrade()
    {
        byte[] json = (Meta() with { FormatVersion = 2, Classes = 2 }).ToJson();

        var ex = Assert.Throws<InvalidDataException>(() => CacheMetadata.FromJson(json, "x.json"));

        Assert.Contains("format version 2", ex.Message);
        Assert.Contains("upgrade", ex.Message);
    }

    [Fact]
    public void FromKeyValues_KeyMissing_ThrowsNamingKey()
    {
        Dictionary<string, string> values = (Meta() with { Classes = 2 }).ToKeyValues();
        values.Remove("mlnetdistill.rows");

        var ex = Assert.Throws<InvalidDataException>(() => CacheMetadata.FromKeyValues(values, "x.parquet"));

        Assert.Contains("mlnetdistill.rows", ex.Message);
    }

    [Fact]
    public void Sha256_KnownContent_MatchesReferenceHash()
    {
        string empty = _temp.Write("empty", string.Empty);
        string abc = _temp.Write("abc", "abc");

        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", FileFingerprint.Sha256(empty));
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", FileFingerprint.Sha256(abc));
        Assert.Equal("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad;rows=42", FileFingerprint.Data(abc, 42));
    }
}
