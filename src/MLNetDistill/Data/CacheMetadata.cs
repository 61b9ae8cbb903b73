using System.Globalization;
using System.Text.Json;

namespace MLNetDistill.Data;

/// <summary>
/// What a teacher cache file says about itself: which teacher made it from which data, with how many classes, rows and at
/// which temperature, and which shard it is. Stored as Parquet key-value metadata or as a JSON sidecar; see
/// <c>Cache/CacheFormat.md</c>.
/// </summary>
public sealed record CacheMetadata
{
    /// <summary>The cache format this version writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    private const string Prefix = "mlnetdistill.";

    /// <summary>The cache format version; <see cref="CurrentFormatVersion"/> when written.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>The SHA-256 of the teacher model file, as lowercase hex (see <see cref="FileFingerprint.Sha256"/>).</summary>
    public required string TeacherSha256 { get; init; }

    /// <summary>The teacher model's file name, for people reading the metadata.</summary>
    public required string TeacherFile { get; init; }

    /// <summary>The number of classes K (the length of the logit and soft-label vectors). Set by <c>TeacherCache.Write</c>.</summary>
    public int Classes { get; init; }

    /// <summary>The number of rows in this file. Set by <c>TeacherCache.Write</c> once all rows are written.</summary>
    public long Rows { get; init; }

    /// <summary>The temperature at which the stored soft labels were computed from the logits.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>
    /// Identifies the data the cache was scored from, such as <see cref="FileFingerprint.Data"/> of the data file; empty when unknown.
    /// All shards of one cache share it.
    /// </summary>
    public string DataFingerprint { get; init; } = string.Empty;

    /// <summary>Which shard of the data this file holds; <see cref="ShardSpec.Whole"/> for a cache of all rows.</summary>
    public ShardSpec Shard { get; init; } = ShardSpec.Whole;

    /// <summary>Whether the file has a <c>Label</c> column. Set by <c>TeacherCache.Write</c>.</summary>
    public bool HasLabel { get; init; }

    /// <summary>When the cache was written, in UTC. Set by <c>TeacherCache.Write</c> when left at its default.</summary>
    public DateTime CreatedUtc { get; init; }

    /// <summary>
    /// Throws unless this cache was made by the teacher with hash <paramref name="teacherSha256"/> (and, when given, from the
    /// data with fingerprint <paramref name="dataFingerprint"/>).
    /// </summary>
    /// <param name="teacherSha256">The hash of the teacher about to be used (case is ignored).</param>
    /// <param name="dataFingerprint">The fingerprint of the data about to be used, or null to skip that check. A cache whose fingerprint is empty (unknown) is not checked.</param>
    /// <exception cref="InvalidDataException">The teacher or the data differ; the message names both values.</exception>
    public void EnsureMatches(string teacherSha256, string? dataFingerprint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(teacherSha256);
        if (!string.Equals(TeacherSha256, teacherSha256.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException(
                $"This cache was made by teacher {TeacherSha256} ('{TeacherFile}'), not {teacherSha256.Trim().ToLowerInvariant()}: " +
                "re-run `mlnet-distill score` with this teacher, or pass the teacher that made the cache.");
        }

        if (dataFingerprint is not null && DataFingerprint.Length > 0 && !string.Equals(DataFingerprint, dataFingerprint, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException(
                $"This cache was made from data {DataFingerprint}, not {dataFingerprint}: " +
                "re-run `mlnet-distill score` on this data, or pass the data the cache was made from.");
        }
    }

    /// <summary>The metadata as Parquet key-value pairs (<c>mlnetdistill.*</c>).</summary>
    internal Dictionary<string, string> ToKeyValues() => new(StringComparer.Ordinal)
    {
        [Prefix + "format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
        [Prefix + "teacher_sha256"] = TeacherSha256,
        [Prefix + "teacher_file"] = TeacherFile,
        [Prefix + "classes"] = Classes.ToString(CultureInfo.InvariantCulture),
        [Prefix + "rows"] = Rows.ToString(CultureInfo.InvariantCulture),
        [Prefix + "temperature"] = Temperature.ToString("R", CultureInfo.InvariantCulture),
        [Prefix + "data_fingerprint"] = DataFingerprint,
        [Prefix + "shard"] = Shard.ToString(),
        [Prefix + "has_label"] = HasLabel ? "true" : "false",
        [Prefix + "created_utc"] = CreatedUtc.ToString("O", CultureInfo.InvariantCulture),
    };

    /// <summary>Reads the metadata from Parquet key-value pairs.</summary>
    internal static CacheMetadata FromKeyValues(IReadOnlyDictionary<string, string> values, string path)
    {
        string Get(string key) => values.TryGetValue(Prefix + key, out string? value)
            ? value
            : throw new InvalidDataException(
                $"'{path}' has no '{Prefix}{key}' metadata: it is not a teacher cache written by MLNetDistill, or it was not written completely. Re-run `mlnet-distill score`.");

        return Create(
            path,
            Get("format_version"),
            Get("teacher_sha256"),
            Get("teacher_file"),
            Get("classes"),
            Get("rows"),
            Get("temperature"),
            Get("data_fingerprint"),
            Get("shard"),
            Get("has_label"),
            Get("created_utc"));
    }

    /// <summary>The metadata as the JSON sidecar of a CSV cache (camelCase names).</summary>
    internal byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("formatVersion", FormatVersion);
            json.WriteString("teacherSha256", TeacherSha256);
            json.WriteString("teacherFile", TeacherFile);
            json.WriteNumber("classes", Classes);
            json.WriteNumber("rows", Rows);
            json.WriteNumber("temperature", Temperature);
            json.WriteString("dataFingerprint", DataFingerprint);
            json.WriteString("shard", Shard.ToString());
            json.WriteBoolean("hasLabel", HasLabel);
            json.WriteString("createdUtc", CreatedUtc.ToString("O", CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>Reads the metadata from a JSON sidecar.</summary>
    internal static CacheMetadata FromJson(ReadOnlySpan<byte> utf8, string path)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw new InvalidDataException($"Cache metadata '{path}' is not UTF-8 text (it holds invalid byte sequences): the file is damaged. Re-run `mlnet-distill score` to write it again.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray());
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Cache metadata '{path}' is not valid JSON ({ex.Message}): re-run `mlnet-distill score` to write it again.", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"Cache metadata '{path}' is not a JSON object: re-run `mlnet-distill score` to write it again.");
            }

            string Get(string key) => root.TryGetProperty(key, out JsonElement value)
                ? value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString()!,
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => value.GetRawText(),
                }
                : throw new InvalidDataException(
                    $"Cache metadata '{path}' has no '{key}': it was not written by MLNetDistill or not completely. Re-run `mlnet-distill score`.");

            return Create(
                path,
                Get("formatVersion"),
                Get("teacherSha256"),
                Get("teacherFile"),
                Get("classes"),
                Get("rows"),
                Get("temperature"),
                Get("dataFingerprint"),
                Get("shard"),
                Get("hasLabel"),
                Get("createdUtc"));
        }
    }

    private static CacheMetadata Create(
        string path, string version, string teacher, string teacherFile, string classes, string rows, string temperature,
        string fingerprint, string shard, string hasLabel, string created)
    {
        int formatVersion = ParseInt(path, "format version", version);
        if (formatVersion > CurrentFormatVersion || formatVersion < 1)
        {
            throw new InvalidDataException(
                $"'{path}' is a teacher cache of format version {formatVersion}, but this MLNetDistill reads version {CurrentFormatVersion}: " +
                "upgrade MLNetDistill, or re-run `mlnet-distill score` with this version.");
        }

        ShardSpec shardSpec;
        try
        {
            shardSpec = ShardSpec.Parse(shard);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"'{path}' has a bad shard in its metadata: {ex.Message}", ex);
        }

        if (!float.TryParse(temperature, NumberStyles.Float, CultureInfo.InvariantCulture, out float t) || !(t > 0) || float.IsInfinity(t))
        {
            throw new InvalidDataException($"'{path}' has temperature '{temperature}' in its metadata; expected a positive number.");
        }

        if (!bool.TryParse(hasLabel, out bool labelled))
        {
            throw new InvalidDataException($"'{path}' has has_label '{hasLabel}' in its metadata; expected true or false.");
        }

        if (!DateTime.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime createdUtc))
        {
            throw new InvalidDataException($"'{path}' has created time '{created}' in its metadata; expected an ISO 8601 time.");
        }

        int classCount = ParseInt(path, "class count", classes);
        long rowCount = long.TryParse(rows, NumberStyles.None, CultureInfo.InvariantCulture, out long r)
            ? r
            : throw new InvalidDataException($"'{path}' has row count '{rows}' in its metadata; expected a non-negative integer.");
        if (classCount <= 0 || string.IsNullOrWhiteSpace(teacher))
        {
            throw new InvalidDataException($"'{path}' has {classCount} classes and teacher '{teacher}' in its metadata; expected at least one class and a teacher hash.");
        }

        return new CacheMetadata
        {
            FormatVersion = formatVersion,
            TeacherSha256 = teacher,
            TeacherFile = teacherFile,
            Classes = classCount,
            Rows = rowCount,
            Temperature = t,
            DataFingerprint = fingerprint,
            Shard = shardSpec,
            HasLabel = labelled,
            CreatedUtc = createdUtc,
        };
    }

    private static int ParseInt(string path, string what, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new InvalidDataException($"'{path}' has {what} '{text}' in its metadata; expected a non-negative integer.");
}
