using Microsoft.ML;

// The old name, kept for one release. It lives beside the new type, not in Data/, so that Data/ imports nothing from Cache/.
namespace MLNetDistill.Data;

/// <summary>Moved to <see cref="Cache.TeacherCache"/> (namespace <c>MLNetDistill.Cache</c>); this forwarder goes in the next release.</summary>
[Obsolete("Moved to MLNetDistill.Cache.TeacherCache")]
public static class TeacherCache
{
    /// <summary>Rows per Parquet row group, at most: see <see cref="Cache.TeacherCache.DefaultRowGroupRows"/>.</summary>
    public const int DefaultRowGroupRows = Cache.TeacherCache.DefaultRowGroupRows;

    /// <summary>Writes the teacher-scored rows of <paramref name="scored"/> to a cache file, in order: see <see cref="Cache.TeacherCache.Write"/>.</summary>
    /// <param name="scored">The teacher's output: <c>TeacherLogits</c>, <c>SoftLabels</c>, <c>TeacherPredictedLabel</c> and, optionally, the label.</param>
    /// <param name="path">The cache file: <c>.parquet</c> or <c>.csv</c>.</param>
    /// <param name="metadata">The teacher hash and file, temperature, data fingerprint and shard.</param>
    /// <param name="labelColumn">The label column to copy, or null for none.</param>
    /// <param name="progress">Receives the number of rows written so far.</param>
    /// <param name="cancellationToken">Stops the write; nothing is left behind.</param>
    /// <returns>The metadata as written.</returns>
    public static CacheMetadata Write(IDataView scored, string path, CacheMetadata metadata, string? labelColumn = DataColumnNames.Label, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Cache.TeacherCache.Write(scored, path, metadata, labelColumn, progress, cancellationToken);

    /// <summary>Reads a cache file, folder or glob of shards: see <see cref="Cache.TeacherCache.Read"/>.</summary>
    /// <param name="pathOrFolderOrGlob">A cache file, a folder of shards or a glob.</param>
    /// <param name="temperature">The soft labels' temperature, or null for the stored ones.</param>
    /// <returns>The cache's rows.</returns>
    public static IDataView Read(string pathOrFolderOrGlob, float? temperature = null) => Cache.TeacherCache.Read(pathOrFolderOrGlob, temperature);

    /// <summary>Reads a cache's metadata without reading its rows: see <see cref="Cache.TeacherCache.ReadMetadata"/>.</summary>
    /// <param name="path">A cache file, folder or glob.</param>
    /// <returns>The metadata.</returns>
    public static CacheMetadata ReadMetadata(string path) => Cache.TeacherCache.ReadMetadata(path);

    /// <summary>Reads the cache of a data file after checking where it came from: see <see cref="Cache.TeacherCache.ReadMatching"/>.</summary>
    /// <param name="pathOrFolderOrGlob">The cache: a file, a folder or a glob of shards.</param>
    /// <param name="dataPath">The data file the cache must have been scored from.</param>
    /// <param name="teacherModelFile">The teacher's <c>.onnx</c> the cache must come from, or null.</param>
    /// <param name="temperature">The temperature the soft labels must be at.</param>
    /// <param name="cancellationToken">Stops the hashing of the data and teacher files.</param>
    /// <returns>The cache's rows.</returns>
    public static IDataView ReadMatching(string pathOrFolderOrGlob, string dataPath, string? teacherModelFile = null, float temperature = 1f, CancellationToken cancellationToken = default) =>
        Cache.TeacherCache.ReadMatching(pathOrFolderOrGlob, dataPath, teacherModelFile, temperature, cancellationToken);
}
