using Microsoft.ML;
using MLNetDistill.Data;

// The old name, kept for one release. It lives beside the new type, not in Teachers/, so that Teachers/ imports nothing from Cache/.
namespace MLNetDistill.Teachers;

/// <summary>Moved to <see cref="Cache.TeacherCacheWriter"/> (namespace <c>MLNetDistill.Cache</c>); this forwarder goes in the next release.</summary>
[Obsolete("Moved to MLNetDistill.Cache.TeacherCacheWriter")]
public static class TeacherCacheWriter
{
    /// <summary>Reads <paramref name="dataPath"/>, scores it (or one shard of it) with the teacher and writes the cache: see <see cref="Cache.TeacherCacheWriter"/>.</summary>
    /// <param name="mlContext">The ML.NET context; warnings go to its log.</param>
    /// <param name="options">The teacher scorer's options.</param>
    /// <param name="dataPath">A CSV/TSV, Parquet or IDX image file.</param>
    /// <param name="labelColumn">The label column of a CSV or Parquet file, or null.</param>
    /// <param name="shard">The shard to score, or null for all rows.</param>
    /// <param name="outputPath">The cache to write: <c>.csv</c> or <c>.parquet</c>.</param>
    /// <param name="progress">Receives the number of rows written so far.</param>
    /// <param name="cancellationToken">Stops the run; no output file is left behind.</param>
    /// <returns>What the run did.</returns>
    public static TeacherScoringSummary Score(MLContext mlContext, TeacherScoringOptions options, string dataPath, string? labelColumn, ShardSpec? shard,
        string outputPath, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Cache.TeacherCacheWriter.Score(mlContext, options, dataPath, labelColumn, shard, outputPath, progress, cancellationToken);

    /// <summary>As the other overload, reading the file without <paramref name="ignoreColumns"/>: see <see cref="Cache.TeacherCacheWriter"/>.</summary>
    /// <param name="mlContext">The ML.NET context; warnings go to its log.</param>
    /// <param name="options">The teacher scorer's options.</param>
    /// <param name="dataPath">A CSV/TSV, Parquet or IDX image file.</param>
    /// <param name="labelColumn">The label column of a CSV or Parquet file, or null.</param>
    /// <param name="ignoreColumns">Columns that are not features, or null for none.</param>
    /// <param name="shard">The shard to score, or null for all rows.</param>
    /// <param name="outputPath">The cache to write: <c>.csv</c> or <c>.parquet</c>.</param>
    /// <param name="progress">Receives the number of rows written so far.</param>
    /// <param name="cancellationToken">Stops the run; no output file is left behind.</param>
    /// <returns>What the run did.</returns>
    public static TeacherScoringSummary Score(MLContext mlContext, TeacherScoringOptions options, string dataPath, string? labelColumn, IReadOnlyCollection<string>? ignoreColumns,
        ShardSpec? shard, string outputPath, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Cache.TeacherCacheWriter.Score(mlContext, options, dataPath, labelColumn, ignoreColumns, shard, outputPath, progress, cancellationToken);
}
