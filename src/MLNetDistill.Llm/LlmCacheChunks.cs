using System.Globalization;
using MLNetDistill.Data;
using Parquet;
using Parquet.Schema;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;
using CacheColumns = MLNetDistill.Cache.CacheColumns;

namespace MLNetDistill.Llm;

/// <summary>
/// The chunks of an LLM labeling run in progress: the folder <c>CACHE.chunks</c> beside the cache file, holding one Parquet
/// file per chunk of answered rows (<c>chunk-000000.parquet</c>, <c>chunk-000001.parquet</c>, ...). Each chunk is written
/// once, under a temporary hidden name renamed into place when complete (<see cref="AtomicFile"/>), and never rewritten, so
/// a run's disk writes grow with its rows, not with rows times checkpoints. A chunk holds its rows by row id (the <c>row</c>
/// column), in the order they were answered, with the cache's columns and metadata; a run stopped or killed leaves the
/// complete chunks, and a rerun reads them back and asks only the rows none of them holds. The format is in
/// <c>Cache/CacheFormat.md</c> (section "Soft labels from an LLM").
/// </summary>
internal sealed class LlmCacheChunks
{
    /// <summary>What the chunk folder's name adds to the cache file's.</summary>
    public const string FolderSuffix = ".chunks";

    /// <summary>The column holding each row's 0-based index in the data.</summary>
    public const string RowColumn = "row";

    /// <summary>The metadata key holding the rows of the whole data set the chunk belongs to.</summary>
    public const string DataRowsKey = "mlnetdistill.llm_data_rows";

    private const string Prefix = "chunk-";

    private int _next;

    /// <param name="cachePath">The cache file the chunks will be merged into.</param>
    public LlmCacheChunks(string cachePath)
    {
        Folder = FolderFor(cachePath);
    }

    /// <summary>Gets the chunk folder.</summary>
    public string Folder { get; }

    /// <summary>Gets the chunk files this run wrote.</summary>
    public int Written { get; private set; }

    /// <summary>Gets the chunk files read back from an earlier run.</summary>
    public int Read { get; private set; }

    /// <summary>The chunk folder of <paramref name="cachePath"/>: <c>CACHE.chunks</c>, beside it.</summary>
    public static string FolderFor(string cachePath) => Path.GetFullPath(cachePath) + FolderSuffix;

    /// <summary>
    /// Reads the complete chunks an earlier run left (temporary files of a chunk that was being written are ignored: its rows
    /// are asked again), checks each against this run's identity and data, and copies their rows into <paramref name="rows"/>.
    /// </summary>
    /// <returns>The rows newly marked in <paramref name="done"/>.</returns>
    /// <exception cref="InvalidDataException">A chunk is of another model, prompt, classes or data, or is damaged; the message names the file and the fix.</exception>
    public long Resume(LlmCacheRows rows, bool[] done, string teacherSha256, string dataFingerprint)
    {
        if (!Directory.Exists(Folder))
        {
            return 0;
        }

        long marked = 0;
        foreach (var (number, path) in Chunks())
        {
            _next = Math.Max(_next, number + 1);
            marked += ReadChunk(path, rows, done, teacherSha256, dataFingerprint);
            Read++;
        }

        return marked;
    }

    /// <summary>Writes the rows <paramref name="ids"/> (answered, in any order) as the next chunk, atomically.</summary>
    /// <param name="rows">The soft labels in memory.</param>
    /// <param name="ids">The rows of the chunk (0-based indices into the data).</param>
    /// <param name="identity">The run's teacher hash and file and data fingerprint; the counts are filled in here.</param>
    public async Task WriteAsync(LlmCacheRows rows, IReadOnlyList<long> ids, CacheMetadata identity)
    {
        int classes = rows.Classes;
        var rowField = new DataField<long>(RowColumn);
        var (logitFields, softFields) = CacheColumns.ClassFields(classes);

        var predField = new DataField<int>(CacheColumns.Predicted);
        var fields = new List<Field>(2 * classes + 2) { rowField };
        fields.AddRange(logitFields);
        fields.AddRange(softFields);
        fields.Add(predField);

        var metadata = identity with
        {
            FormatVersion = CacheMetadata.CurrentFormatVersion,
            TeacherSha256 = identity.TeacherSha256.Trim().ToLowerInvariant(),
            Classes = classes,
            Rows = ids.Count,
            HasLabel = false,
            Shard = ShardSpec.Whole,
            CreatedUtc = DateTime.UtcNow,
        };
        var keyValues = metadata.ToKeyValues();
        keyValues[DataRowsKey] = rows.Rows.ToString(CultureInfo.InvariantCulture);

        string path = Path.Combine(Folder, Name(_next));
        Directory.CreateDirectory(Folder);
        await AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            ParquetWriter writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, cancellationToken: ct).ConfigureAwait(false);
            await using (writer.ConfigureAwait(false))
            {
                writer.CustomMetadata = keyValues;
                for (int start = 0; start < ids.Count; start += TeacherCache.DefaultRowGroupRows)
                {
                    int n = Math.Min(TeacherCache.DefaultRowGroupRows, ids.Count - start);
                    var rowIds = new long[n];
                    var predicted = new int[n];
                    var logits = new float[classes][];
                    var soft = new float[classes][];
                    for (int k = 0; k < classes; k++)
                    {
                        logits[k] = new float[n];
                        soft[k] = new float[n];
                    }

                    for (int i = 0; i < n; i++)
                    {
                        long id = ids[start + i];
                        rowIds[i] = id;
                        predicted[i] = rows.Predicted(id);
                        var rowLogits = rows.Logits(id);
                        var rowSoft = rows.Soft(id);
                        for (int k = 0; k < classes; k++)
                        {
                            logits[k][i] = rowLogits[k];
                            soft[k][i] = rowSoft[k];
                        }
                    }

                    using ParquetRowGroupWriter group = writer.CreateRowGroup();
                    await group.WriteAsync<long>(rowField, rowIds, cancellationToken: ct).ConfigureAwait(false);
                    for (int k = 0; k < classes; k++)
                    {
                        await group.WriteAsync<float>(logitFields[k], logits[k], cancellationToken: ct).ConfigureAwait(false);
                    }

                    for (int k = 0; k < classes; k++)
                    {
                        await group.WriteAsync<float>(softFields[k], soft[k], cancellationToken: ct).ConfigureAwait(false);
                    }

                    await group.WriteAsync<int>(predField, predicted, cancellationToken: ct).ConfigureAwait(false);
                }
            }
        }).ConfigureAwait(false);
        _next++;
        Written++;
    }

    /// <summary>Removes the chunk folder (once its rows are in the merged cache file), temporary files of killed runs included.</summary>
    public void Delete()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    /// <summary>The complete chunk files in the folder, by number (hidden temporary files and anything else are not chunks).</summary>
    internal IEnumerable<(int Number, string Path)> Chunks()
    {
        var chunks = new List<(int, string)>();
        foreach (string path in Directory.EnumerateFiles(Folder, Prefix + "*" + CacheColumns.ParquetExtension))
        {
            string digits = Path.GetFileNameWithoutExtension(path)[Prefix.Length..];
            if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number < int.MaxValue)
            {
                chunks.Add((number, path));
            }
        }

        chunks.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return chunks;
    }

    private static string Name(int number) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{number:D6}{CacheColumns.ParquetExtension}");

    private static long ReadChunk(string path, LlmCacheRows rows, bool[] done, string teacherSha256, string dataFingerprint)
    {
        string fix = $"delete '{path}' (its rows are asked again), or the folder '{Path.GetDirectoryName(path)}' to start over";
        ParquetReader reader = ParquetColumns.Open(path);
        try
        {
            var keyValues = ParquetColumns.Decode(path, "its key-value metadata", () => reader.CustomMetadata);
            var metadata = CacheMetadata.FromKeyValues(keyValues, path);
            rows.CheckIdentity(path, metadata, teacherSha256, dataFingerprint, $"the chunk folder '{Path.GetDirectoryName(path)}'");
            if (!keyValues.TryGetValue(DataRowsKey, out string? dataRowsText) ||
                !long.TryParse(dataRowsText, NumberStyles.None, CultureInfo.InvariantCulture, out long dataRows) || dataRows != rows.Rows)
            {
                throw new InvalidDataException(
                    $"Chunk '{path}' belongs to data of {dataRowsText ?? "unknown"} rows ({DataRowsKey}), not the {rows.Rows:N0} rows given: it was made from other data. Give another output file, or {fix}.");
            }

            var fields = new Dictionary<string, DataField>(StringComparer.Ordinal);
            foreach (DataField field in ParquetColumns.Decode(path, "its schema", () => reader.Schema.DataFields))
            {
                fields[field.Name] = field;
            }

            DataField rowField = Field(fields, RowColumn, typeof(long), path, fix);
            var logitFields = new DataField[rows.Classes];
            var softFields = new DataField[rows.Classes];
            for (int k = 0; k < rows.Classes; k++)
            {
                logitFields[k] = Field(fields, CacheColumns.Logit(k), typeof(float), path, fix);
                softFields[k] = Field(fields, CacheColumns.Soft(k), typeof(float), path, fix);
            }

            long total = 0, marked = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                int n = (int)reader.RowGroups[g].RowCount;
                total += n;
                if (total > metadata.Rows)
                {
                    break;
                }

                using ParquetRowGroupReader group = ParquetColumns.Decode(path, $"row group {g}", () => reader.OpenRowGroupReader(g));
                var ids = new long[n];
                ParquetColumns.Decode(path, $"row group {g}'s {RowColumn} column", () =>
                {
                    group.ReadAsync<long>(rowField, ids.AsMemory()).AsTask().GetAwaiter().GetResult();
                    return 0;
                });
                var logits = new float[rows.Classes][];
                var soft = new float[rows.Classes][];
                for (int k = 0; k < rows.Classes; k++)
                {
                    logits[k] = new float[n];
                    soft[k] = new float[n];
                    int column = k;
                    ParquetColumns.Decode(path, $"row group {g}", () =>
                    {
                        ParquetColumns.ReadAsSingle(group, logitFields[column], logits[column]);
                        ParquetColumns.ReadAsSingle(group, softFields[column], soft[column]);
                        return 0;
                    });
                }

                for (int i = 0; i < n; i++)
                {
                    long id = ids[i];
                    if (id < 0 || id >= rows.Rows)
                    {
                        throw new InvalidDataException($"Chunk '{path}' holds row {id}, outside the data's rows 0 to {rows.Rows - 1}: the file is damaged or of other data. {char.ToUpperInvariant(fix[0])}{fix[1..]}.");
                    }

                    if (done[id])
                    {
                        continue; // also in the cache file or an earlier chunk (a run killed while merging): the same answer
                    }

                    var rowLogits = rows.Logits(id);
                    var rowSoft = rows.Soft(id);
                    for (int k = 0; k < rows.Classes; k++)
                    {
                        rowLogits[k] = logits[k][i];
                        rowSoft[k] = soft[k][i];
                    }

                    done[id] = true;
                    marked++;
                }
            }

            if (total != metadata.Rows)
            {
                throw new InvalidDataException($"Chunk '{path}' holds {total:N0} rows but its metadata records {metadata.Rows:N0}: the file is damaged. {char.ToUpperInvariant(fix[0])}{fix[1..]}.");
            }

            return marked;
        }
        finally
        {
            ParquetColumns.Close(reader);
        }
    }

    private static DataField Field(Dictionary<string, DataField> fields, string name, Type type, string path, string fix)
    {
        if (!fields.TryGetValue(name, out DataField? field) || field.ClrType != type || field.IsArray || field.MaxRepetitionLevel != 0)
        {
            throw new InvalidDataException(
                $"Chunk '{path}' has no {type.Name} column '{name}': it is not a chunk of the LLM labeler. Give another output file, or {fix}.");
        }

        return field;
    }
}
