using System.Globalization;
using System.Text;
using Microsoft.ML;
using Parquet;
using Parquet.Schema;
using MLNetDistill.Numerics;
using MLNetDistill.Data;

namespace MLNetDistill.Cache;

/// <summary>
/// Writes a teacher's output (raw logits, soft labels, predicted class and optional label) to a cache file, and reads caches
/// (single files, folders or globs of shards) back as an <see cref="IDataView"/>, so students can be trained without running
/// the teacher again. The file format is documented in <c>Cache/CacheFormat.md</c>.
/// </summary>
public static class TeacherCache
{
    /// <summary>Rows per Parquet row group, at most; fewer when there are many classes, to bound the writer's memory.</summary>
    public const int DefaultRowGroupRows = 65_536;

    private const int ProgressEvery = 4096;
    private const long MaxBufferedValues = 16L << 20; // 64 MiB of floats per row group

    /// <summary>Writes the teacher-scored rows of <paramref name="scored"/> to a cache file, in order.</summary>
    /// <param name="scored">
    /// The teacher's output: <c>TeacherLogits</c> and <c>SoftLabels</c> (vectors of K Single), <c>TeacherPredictedLabel</c>
    /// (key of UInt32, 1-based; or a Single or Int32 class index; the arg-max of the logits when absent) and, optionally, the label.
    /// </param>
    /// <param name="path">
    /// The cache file: <c>.parquet</c> (metadata inside the file) or <c>.csv</c> (metadata in the sidecar <c>PATH.json</c>). It is
    /// written under a temporary name and renamed when complete; an existing file is replaced.
    /// </param>
    /// <param name="metadata">
    /// The teacher hash and file, temperature, data fingerprint and shard. <see cref="CacheMetadata.Classes"/>,
    /// <see cref="CacheMetadata.Rows"/> and <see cref="CacheMetadata.HasLabel"/> are filled in from the data, and
    /// <see cref="CacheMetadata.CreatedUtc"/> with the current time when left at its default.
    /// </param>
    /// <param name="labelColumn">
    /// The label column to copy (a Single class index, or any float for a regression teacher; Double, Int32 and keys are
    /// converted), or null for none. The default <c>Label</c> may be absent; any other name must exist.
    /// </param>
    /// <param name="progress">Receives the number of rows written so far, every few thousand rows and at the end.</param>
    /// <param name="cancellationToken">Stops the write; nothing is left behind.</param>
    /// <returns>The metadata as written.</returns>
    /// <exception cref="ArgumentException">The path's extension is not supported, or a column is missing or of the wrong type.</exception>
    /// <exception cref="OperationCanceledException">The write was cancelled.</exception>
    public static CacheMetadata Write(
        IDataView scored,
        string path,
        CacheMetadata metadata,
        string? labelColumn = DataColumnNames.Label,
        IProgress<long>? progress = null,
        CancellationToken cancellationToken = default) =>
        WriteCore(scored, path, metadata, labelColumn, progress, DefaultRowGroupRows, cancellationToken);

    /// <summary>
    /// As <see cref="Write"/>, with the metadata asked for only once the rows are written (so its hashes can be computed
    /// while the rows are scored), and the labeled and correctly predicted rows counted on the way.
    /// </summary>
    internal static (CacheMetadata Metadata, long LabeledRows, long CorrectRows) WriteCounting(
        IDataView scored, string path, Func<CacheMetadata> metadata, string? labelColumn, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        long labeled = 0, correct = 0;
        var written = WriteCore(scored, path, metadata, labelColumn, progress, DefaultRowGroupRows, rows => (labeled, correct) = (rows.LabeledRows, rows.CorrectRows), cancellationToken);
        return (written, labeled, correct);
    }

    /// <summary>Reads a teacher cache as a lazy data view.</summary>
    /// <param name="pathOrFolderOrGlob">
    /// A cache file (<c>.parquet</c> or <c>.csv</c>), a folder (all its <c>*.parquet</c> and <c>*.csv</c> files are the
    /// shards), or a glob in the file name (<c>dir/part-*.parquet</c>). Shards are put back into the original row order:
    /// row r of the data is row r / n of shard r mod n.
    /// </param>
    /// <param name="temperature">
    /// When given, <c>SoftLabels</c> are recomputed from the stored logits at this temperature; otherwise the stored soft
    /// labels are returned.
    /// </param>
    /// <returns>
    /// A view with <c>Label</c> (Single, when the cache has one), <c>TeacherLogits</c> and <c>SoftLabels</c> (vectors of K Single)
    /// and <c>TeacherPredictedLabel</c> (key of UInt32 with K values, 1-based).
    /// </returns>
    /// <exception cref="FileNotFoundException">Nothing matches the path.</exception>
    /// <exception cref="InvalidDataException">
    /// A file is not a complete cache (for example a CSV without its sidecar), or the shards do not fit together: a shard is
    /// missing or repeated, or they come from different teachers, class counts or data.
    /// </exception>
    public static IDataView Read(string pathOrFolderOrGlob, float? temperature = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathOrFolderOrGlob);
        if (temperature is float t)
        {
            MLNetDistill.Numerics.SoftLabelMath.CheckTemperature(t, nameof(temperature));
        }

        (IReadOnlyList<CacheShard> shards, CacheMetadata merged) = CacheShard.Resolve(pathOrFolderOrGlob, checkTemperature: temperature is null);
        return new CacheDataView(shards, merged, temperature);
    }

    /// <summary>Reads a cache's metadata without reading its rows.</summary>
    /// <param name="path">A cache file, folder or glob, as for <see cref="Read"/>.</param>
    /// <returns>
    /// The file's metadata; for several shards, their common metadata with <see cref="CacheMetadata.Rows"/> summed,
    /// <see cref="CacheMetadata.Shard"/> 0/1 and the latest <see cref="CacheMetadata.CreatedUtc"/>.
    /// </returns>
    /// <exception cref="FileNotFoundException">Nothing matches the path.</exception>
    /// <exception cref="InvalidDataException">The metadata is missing or damaged, or the shards do not fit together.</exception>
    public static CacheMetadata ReadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return CacheShard.Resolve(path, checkTemperature: true).Merged;
    }

    /// <summary>
    /// Reads the cache of a data file after checking that it was made from that file (its data fingerprint) and, when given,
    /// by that teacher (its SHA-256): the soft labels of the training rows for <c>DistillationExperimentOptions.TrainingSoftLabels</c>.
    /// </summary>
    /// <param name="pathOrFolderOrGlob">The cache: a file, a folder or a glob of shards, as for <see cref="Read"/>.</param>
    /// <param name="dataPath">The data file the cache must have been scored from.</param>
    /// <param name="teacherModelFile">The teacher's <c>.onnx</c> the cache must come from, or <see langword="null"/> for soft labels made without one.</param>
    /// <param name="temperature">The temperature the soft labels must be at: the stored ones when they were made at it, else recomputed from the stored logits.</param>
    /// <param name="cancellationToken">Stops the hashing of the data and teacher files.</param>
    /// <returns>The cache's rows, as <see cref="Read"/> gives them.</returns>
    /// <exception cref="InvalidDataException">The cache was made by another teacher or from other data; the message names both hashes.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <example>
    /// <code language="csharp">
    /// options.TrainingSoftLabels = TeacherCache.ReadMatching("train-cache.parquet", "train.csv", "teacher.onnx");
    /// </code>
    /// </example>
    public static IDataView ReadMatching(string pathOrFolderOrGlob, string dataPath, string? teacherModelFile = null, float temperature = 1f, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathOrFolderOrGlob);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataPath);
        MLNetDistill.Numerics.SoftLabelMath.CheckTemperature(temperature, nameof(temperature));
        CacheMetadata metadata = ReadMetadata(pathOrFolderOrGlob);

        // The fingerprint's row count is the whole data set's, which the merged cache holds; the rows themselves are matched
        // one by one when the cache is joined to the data.
        metadata.EnsureMatches(
            teacherModelFile is null ? metadata.TeacherSha256 : FileFingerprint.Sha256(teacherModelFile, cancellationToken),
            FileFingerprint.Data(dataPath, metadata.Rows, cancellationToken));
        return Read(pathOrFolderOrGlob, metadata.Temperature == temperature ? null : temperature);
    }

    /// <summary>As the public <see cref="Write"/>, with the row-group size chosen.</summary>
    internal static CacheMetadata WriteCore(
        IDataView scored, string path, CacheMetadata metadata, string? labelColumn, IProgress<long>? progress, int rowGroupRows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        CheckMetadata(metadata);
        return WriteCore(scored, path, () => metadata, labelColumn, progress, rowGroupRows, null, cancellationToken);
    }

    private static void CheckMetadata(CacheMetadata metadata)
    {
        MLNetDistill.Numerics.SoftLabelMath.CheckTemperature(metadata.Temperature, "metadata.Temperature");
        if (string.IsNullOrWhiteSpace(metadata.TeacherSha256))
        {
            throw new ArgumentException("metadata.TeacherSha256 is empty: set it to FileFingerprint.Sha256(teacherPath) so the cache can be checked later.", nameof(metadata));
        }
    }

    private static CacheMetadata WriteCore(
        IDataView scored, string path, Func<CacheMetadata> lateMetadata, string? labelColumn, IProgress<long>? progress, int rowGroupRows,
        Action<ScoredRows>? done, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scored);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupRows, 1);

        bool parquet = CacheColumns.IsParquet(path);
        if (!parquet && !path.EndsWith(CacheColumns.CsvExtension, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException(
                $"Cache path '{path}' must end in .parquet (recommended: compact, metadata inside) or .csv (text, metadata in '{Path.GetFileName(path)}.json').",
                nameof(path));
        }

        using ScoredRows rows = ScoredRows.Open(scored, labelColumn);
        CacheMetadata Final(long count)
        {
            done?.Invoke(rows);
            CacheMetadata metadata = lateMetadata();
            CheckMetadata(metadata);
            return Complete(metadata, count);
        }

        CacheMetadata Complete(CacheMetadata metadata, long count) => metadata with
        {
            FormatVersion = CacheMetadata.CurrentFormatVersion,
            TeacherSha256 = metadata.TeacherSha256.Trim().ToLowerInvariant(),
            Classes = rows.Classes,
            Rows = count,
            HasLabel = rows.HasLabel,
            CreatedUtc = metadata.CreatedUtc == default ? DateTime.UtcNow : metadata.CreatedUtc.ToUniversalTime(),
        };

        if (parquet)
        {
            CacheMetadata? written = null;
            AtomicFile.WriteAsync(
                path,
                async (stream, ct) => written = await WriteParquetAsync(rows, stream, Final, rowGroupRows, progress, ct).ConfigureAwait(false),
                cancellationToken).GetAwaiter().GetResult();
            return written!;
        }

        // The sidecar marks the cache complete, so it is written last. The rows go to a temporary file first (a failure or a
        // stop there leaves any previous cache, rows and sidecar, as it was); once they are on disk the old sidecar is removed,
        // so it never describes the new rows, the rows are renamed into place and the new sidecar follows. A process killed
        // between those two renames leaves a CSV without a sidecar, which readers refuse as incomplete.
        string sidecar = path + CacheColumns.SidecarSuffix;
        long count = 0;
        AtomicFile.Write(path, stream => count = WriteCsv(rows, stream, progress, cancellationToken), beforeRename: () =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            File.Delete(sidecar);
        });
        CacheMetadata result = Final(count);
        AtomicFile.Write(sidecar, stream => stream.Write(result.ToJson()));
        return result;
    }

    private static long WriteCsv(ScoredRows rows, Stream stream, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
        writer.Write(string.Join(',', CacheColumns.All(rows.Classes, rows.HasLabel)));
        writer.Write('\n');
        Span<char> scratch = stackalloc char[32];
        long count = 0;
        while (rows.MoveNext())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (rows.HasLabel)
            {
                WriteSingle(writer, rows.Label, scratch);
                writer.Write(',');
            }

            foreach (float value in rows.Logits)
            {
                WriteSingle(writer, value, scratch);
                writer.Write(',');
            }

            foreach (float value in rows.Soft)
            {
                WriteSingle(writer, value, scratch);
                writer.Write(',');
            }

            rows.Predicted.TryFormat(scratch, out int written, default, CultureInfo.InvariantCulture);
            writer.Write(scratch[..written]);
            writer.Write('\n');
            if (++count % ProgressEvery == 0)
            {
                progress?.Report(count);
            }
        }

        writer.Flush();
        progress?.Report(count);
        return count;
    }

    private static void WriteSingle(StreamWriter writer, float value, Span<char> scratch)
    {
        value.TryFormat(scratch, out int written, "R", CultureInfo.InvariantCulture);
        writer.Write(scratch[..written]);
    }

    private static async Task<CacheMetadata> WriteParquetAsync(
        ScoredRows rows, Stream stream, Func<long, CacheMetadata> final, int rowGroupRows, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        int classes = rows.Classes;
        int groupSize = (int)Math.Clamp(MaxBufferedValues / (2L * classes + 2), 1, rowGroupRows);
        DataField<float>? labelField = rows.HasLabel ? new DataField<float>(CacheColumns.Label) : null;
        var (logitFields, softFields) = CacheColumns.ClassFields(classes);

        var predField = new DataField<int>(CacheColumns.Predicted);
        var fields = new List<Field>(2 * classes + 2);
        if (labelField is not null)
        {
            fields.Add(labelField);
        }

        fields.AddRange(logitFields);
        fields.AddRange(softFields);
        fields.Add(predField);

        float[] labels = labelField is null ? [] : new float[groupSize];
        float[][] logits = NewColumns(classes, groupSize);
        float[][] soft = NewColumns(classes, groupSize);
        int[] predicted = new int[groupSize];

        ParquetWriter writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            long count = 0;
            int filled = 0;
            while (rows.HasBlocks && rows.MoveNextBlock())
            {
                // A block at a time: the teacher's batch is transposed into the row group's columns.
                cancellationToken.ThrowIfCancellationRequested();
                int n = rows.BlockRows;
                for (int start = 0; start < n;)
                {
                    int take = Math.Min(n - start, groupSize - filled);
                    TransposeBlock(rows, start, take, filled, labelField is null ? null : labels, logits, soft, predicted);
                    filled += take;
                    start += take;
                    if (filled == groupSize)
                    {
                        await WriteGroupAsync(filled).ConfigureAwait(false);
                        filled = 0;
                    }
                }

                long before = count;
                count += n;
                if (count / ProgressEvery != before / ProgressEvery)
                {
                    progress?.Report(count);
                }
            }

            while (!rows.HasBlocks && rows.MoveNext())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (labelField is not null)
                {
                    labels[filled] = rows.Label;
                }

                ReadOnlySpan<float> rowLogits = rows.Logits;
                ReadOnlySpan<float> rowSoft = rows.Soft;
                for (int k = 0; k < classes; k++)
                {
                    logits[k][filled] = rowLogits[k];
                    soft[k][filled] = rowSoft[k];
                }

                predicted[filled] = rows.Predicted;
                filled++;
                count++;
                if (filled == groupSize)
                {
                    await WriteGroupAsync(filled).ConfigureAwait(false);
                    filled = 0;
                }

                if (count % ProgressEvery == 0)
                {
                    progress?.Report(count);
                }
            }

            if (filled > 0)
            {
                await WriteGroupAsync(filled).ConfigureAwait(false);
            }

            // Written after the rows, so Rows is the true count.
            CacheMetadata result = final(count);
            writer.CustomMetadata = result.ToKeyValues();
            progress?.Report(count);
            return result;
        }

        async Task WriteGroupAsync(int n)
        {
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            if (labelField is not null)
            {
                await group.WriteAsync<float>(labelField, labels.AsMemory(0, n), cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            for (int k = 0; k < classes; k++)
            {
                await group.WriteAsync<float>(logitFields[k], logits[k].AsMemory(0, n), cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            for (int k = 0; k < classes; k++)
            {
                await group.WriteAsync<float>(softFields[k], soft[k].AsMemory(0, n), cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            await group.WriteAsync<int>(predField, predicted.AsMemory(0, n), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Copies rows [start, start + take) of the current block into the row group's columns from row <paramref name="filled"/> on.</summary>
    private static void TransposeBlock(ScoredRows rows, int start, int take, int filled, float[]? labels, float[][] logits, float[][] soft, int[] predicted)
    {
        int classes = rows.Classes;
        ReadOnlySpan<float> blockLogits = rows.BlockLogits;
        ReadOnlySpan<float> blockSoft = rows.BlockSoft;
        if (labels is not null)
        {
            rows.BlockLabels.Slice(start, take).CopyTo(labels.AsSpan(filled));
        }

        for (int k = 0; k < classes; k++)
        {
            Span<float> logitColumn = logits[k].AsSpan(filled, take);
            Span<float> softColumn = soft[k].AsSpan(filled, take);
            for (int r = 0; r < take; r++)
            {
                logitColumn[r] = blockLogits[(start + r) * classes + k];
                softColumn[r] = blockSoft[(start + r) * classes + k];
            }
        }

        rows.BlockPredicted.Slice(start, take).CopyTo(predicted.AsSpan(filled));
    }

    private static float[][] NewColumns(int count, int length)
    {
        float[][] columns = new float[count][];
        for (int i = 0; i < columns.Length; i++)
        {
            columns[i] = new float[length];
        }

        return columns;
    }
}
