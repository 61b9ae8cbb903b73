using System.Diagnostics;
using Microsoft.ML;
using MLNetDistill.Data;

namespace MLNetDistill.Teachers;

/// <summary>
/// Scores a data file with a teacher into a reusable cache (CSV or Parquet, see the cache format in the README):
/// what <c>mlnet-distill score</c> does, available to notebooks and programs.
/// </summary>
public static class TeacherCacheWriter
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
        string outputPath, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        var watch = Stopwatch.StartNew();
        var estimator = mlContext.Transforms.ScoreWithTeacher(options);
        IDataView data = options.TextColumnName is { } text
            ? DataSourceReader.LoadText(dataPath, text, labelColumn)
            : DataSourceReader.Load(dataPath, labelColumn);
        string fingerprint = FileFingerprint.Data(dataPath, data.GetRowCount() ?? CountRows(data, cancellationToken), cancellationToken);
        if (shard is not null)
        {
            data = shard.Apply(data);
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var teacher = estimator.Fit(data);
        cancellationToken.ThrowIfCancellationRequested();
        var scored = teacher.Transform(data);
        bool hasLabel = teacher.Task != TeacherTask.Regression && scored.Schema.GetColumnOrNull(DataColumnNames.Label) is not null;
        var metadata = new CacheMetadata
        {
            TeacherSha256 = FileFingerprint.Sha256(options.ModelFile, cancellationToken),
            TeacherFile = Path.GetFileName(options.ModelFile),
            Classes = teacher.ClassCount,
            Temperature = options.Temperature,
            DataFingerprint = fingerprint,
            Shard = (shard ?? ShardSpec.Whole),
            HasLabel = hasLabel,
        };
        var written = TeacherCache.Write(scored, outputPath, metadata, hasLabel ? DataColumnNames.Label : null, progress, cancellationToken);
        double? accuracy = hasLabel ? Accuracy(outputPath, cancellationToken) : null;
        watch.Stop();
        double seconds = watch.Elapsed.TotalSeconds;
        return new TeacherScoringSummary(written.Rows, seconds, written.Rows / Math.Max(seconds, 1e-9), teacher.Device, teacher.ClassCount,
            options.Temperature, accuracy, teacher.SkippedRows, outputPath, teacher.EmptyTexts, teacher.TruncatedTexts);
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

    private static double? Accuracy(string cachePath, CancellationToken cancellationToken)
    {
        var cache = TeacherCache.Read(cachePath);
        using var cursor = cache.GetRowCursor(cache.Schema);
        var label = cursor.GetGetter<float>(cache.Schema[DataColumnNames.Label]);
        var predicted = cursor.GetGetter<uint>(cache.Schema[DataColumnNames.TeacherPredictedLabel]);
        long rows = 0, correct = 0;
        float l = 0;
        uint p = 0;
        while (cursor.MoveNext())
        {
            if ((cursor.Position & 4095) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            label(ref l);
            if (float.IsNaN(l))
            {
                continue;
            }

            predicted(ref p);
            rows++;
            if (p == l + 1)
            {
                correct++;
            }
        }

        return rows == 0 ? null : (double)correct / rows;
    }
}
