using System.Diagnostics;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Cache;

/// <summary>
/// Scores a data file with a teacher into a reusable cache (CSV or Parquet, see Cache/CacheFormat.md): what
/// <c>mlnet-distill score</c> does (file reading, shards, progress, its summary). Internal: a program does the same with
/// <c>ScoreWithTeacher</c> and <see cref="TeacherCache.Write"/>; the old public name,
/// <c>MLNetDistill.Teachers.TeacherCacheWriter</c>, forwards here for one release.
/// </summary>
internal static class TeacherCacheWriter
{
    /// <summary>Reads <paramref name="dataPath"/>, scores it (or one shard of it) with the teacher and writes the cache.</summary>
    /// <param name="mlContext">The ML.NET context; warnings go to its log.</param>
    /// <param name="options">The teacher scorer's options (its feature column is the readers' <c>Features</c>).</param>
    /// <param name="dataPath">A CSV/TSV, Parquet or IDX image file (a CSV/TSV file when <see cref="TeacherScoringOptions.TextColumnName"/> is set).</param>
    /// <param name="labelColumn">The label column of a CSV or Parquet file, or <see langword="null"/>.</param>
    /// <param name="shard">The shard to score, or <see langword="null"/> for all rows.</param>
    /// <param name="outputPath">The cache to write: <c>.csv</c> (with a <c>.json</c> sidecar) or <c>.parquet</c>.</param>
    /// <param name="progress">Receives the number of rows written so far.</param>
    /// <param name="cancellationToken">Stops the run; no output file is left behind.</param>
    /// <returns>What the run did.</returns>
    public static TeacherScoringSummary Score(MLContext mlContext, TeacherScoringOptions options, string dataPath, string? labelColumn, ShardSpec? shard,
        string outputPath, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Score(mlContext, options, dataPath, labelColumn, ignoreColumns: null, shard, outputPath, progress, cancellationToken);

    /// <summary>Reads <paramref name="dataPath"/> without <paramref name="ignoreColumns"/>, scores it (or one shard of it) with the teacher and writes the cache.</summary>
    /// <param name="mlContext">The ML.NET context; warnings go to its log.</param>
    /// <param name="options">The teacher scorer's options (its feature column is the readers' <c>Features</c>).</param>
    /// <param name="dataPath">A CSV/TSV, Parquet or IDX image file (a CSV/TSV file when <see cref="TeacherScoringOptions.TextColumnName"/> is set).</param>
    /// <param name="labelColumn">The label column of a CSV or Parquet file, or <see langword="null"/>.</param>
    /// <param name="ignoreColumns">Columns of a CSV or Parquet file that are not features (an <c>Id</c>), as for <see cref="DataSourceReader.Load"/>; null for none.</param>
    /// <param name="shard">The shard to score, or <see langword="null"/> for all rows.</param>
    /// <param name="outputPath">The cache to write: <c>.csv</c> (with a <c>.json</c> sidecar) or <c>.parquet</c>.</param>
    /// <param name="progress">Receives the number of rows written so far.</param>
    /// <param name="cancellationToken">Stops the run; no output file is left behind.</param>
    /// <returns>What the run did.</returns>
    public static TeacherScoringSummary Score(MLContext mlContext, TeacherScoringOptions options, string dataPath, string? labelColumn, IReadOnlyCollection<string>? ignoreColumns,
        ShardSpec? shard, string outputPath, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        var watch = Stopwatch.StartNew();
        var estimator = mlContext.Transforms.ScoreWithTeacher(options);
        IDataView data = options.TextColumnName is { } text
            ? DataSourceReader.LoadText(dataPath, text, labelColumn, ignoreColumns: ignoreColumns)
            : DataSourceReader.Load(dataPath, labelColumn, ignoreColumns: ignoreColumns);
        long dataRows = data.GetRowCount() ?? CountRows(data, cancellationToken);

        // The hashes of the data and the teacher file go into the metadata, which is written after the rows: they are
        // computed on other threads while the rows are scored (a 1M-row IDX file is 784 MB to hash).
        using var hashing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var fingerprint = Task.Run(() => FileFingerprint.Data(dataPath, dataRows, hashing.Token), hashing.Token);
        var teacherSha = Task.Run(() => FileFingerprint.Sha256(options.ModelFile, hashing.Token), hashing.Token);
        try
        {
            if (shard is not null)
            {
                data = shard.Apply(data);
            }

            cancellationToken.ThrowIfCancellationRequested();
            using var teacher = estimator.Fit(data);
            cancellationToken.ThrowIfCancellationRequested();
            var scored = teacher.Transform(data);
            bool hasLabel = teacher.Task != TeacherTask.Regression && scored.Schema.GetColumnOrNull(DataColumnNames.Label) is not null;
            CacheMetadata Metadata() => new()
            {
                TeacherSha256 = teacherSha.GetAwaiter().GetResult(),
                TeacherFile = Path.GetFileName(options.ModelFile),
                Classes = teacher.ClassCount,
                Temperature = options.Temperature,
                DataFingerprint = fingerprint.GetAwaiter().GetResult(),
                Shard = shard ?? ShardSpec.Whole,
                HasLabel = hasLabel,
            };

            // The teacher's accuracy is counted as the rows are written, not by reading the cache again.
            var (written, labeled, correct) = TeacherCache.WriteCounting(scored, outputPath, Metadata, hasLabel ? DataColumnNames.Label : null, progress, cancellationToken);
            double? accuracy = hasLabel && labeled > 0 ? (double)correct / labeled : null;
            if (accuracy is double measured)
            {
                teacher.WarnIfBelowChance(measured, labeled);
            }

            watch.Stop();
            double seconds = watch.Elapsed.TotalSeconds;
            return new TeacherScoringSummary(written.Rows, seconds, written.Rows / Math.Max(seconds, 1e-9), teacher.Device, teacher.ClassCount,
                options.Temperature, accuracy, teacher.SkippedRows, outputPath, teacher.EmptyTexts, teacher.TruncatedTexts)
            {
                TeacherOutput = teacher.TeacherOutputName,
                OutputWasProbabilities = teacher.OutputWasProbabilities,
            };
        }
        finally
        {
            // A run that fails or is stopped stops the hashing too, and waits for it: no thread reads the files after the call.
            hashing.Cancel();
            try
            {
                Task.WaitAll(fingerprint, teacherSha);
            }
            catch (AggregateException)
            {
            }
        }
    }

    private static long CountRows(IDataView data, CancellationToken cancellationToken)
    {
        using var cursor = data.GetRowCursor([]);
        long rows = 0;
        while (cursor.MoveNext())
        {
            if ((++rows & 4095) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        return rows;
    }
}
