using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Llm;

/// <summary>
/// The soft labels of an LLM labeling run, in memory, and the cache file they end up in: rows answered during the run go to
/// chunk files (<see cref="LlmCacheChunks"/>); once every row is known they are written here, in input order, in the public
/// cache format, under a temporary name renamed into place (<see cref="TeacherCache.Write"/>). A cache file an earlier run
/// (or an earlier version of the labeler, which saved a prefix of the rows) left is read back as the first rows.
/// </summary>
internal sealed class LlmCacheRows
{
    private readonly float[] _logits;
    private readonly float[] _soft;

    public LlmCacheRows(long rows, int classes)
    {
        if (rows * classes > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"{rows:N0} rows of {classes} classes do not fit one labeling run's memory: label the data in parts of at most {Array.MaxLength / classes:N0} rows.");
        }

        Rows = rows;
        Classes = classes;
        _logits = new float[rows * classes];
        _soft = new float[rows * classes];
    }

    public long Rows { get; }

    public int Classes { get; }

    public Span<float> Logits(long row) => _logits.AsSpan((int)(row * Classes), Classes);

    public Span<float> Soft(long row) => _soft.AsSpan((int)(row * Classes), Classes);

    /// <summary>Reads an earlier run's cache file into the first rows and marks them in <paramref name="done"/>; returns how many (0 when there is no cache file).</summary>
    public long Resume(string path, string teacherSha256, string dataFingerprint, bool[] done)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        var metadata = TeacherCache.ReadMetadata(path);
        CheckIdentity(path, metadata, teacherSha256, dataFingerprint);
        if (metadata.Rows > Rows)
        {
            throw new InvalidDataException($"'{path}' holds {metadata.Rows:N0} rows but the data has only {Rows:N0}: it was made from other data. Give another output file, or delete this one.");
        }

        var view = TeacherCache.Read(path);
        using var cursor = view.GetRowCursor(view.Schema);
        var logits = cursor.GetGetter<VBuffer<float>>(view.Schema[DataColumnNames.TeacherLogits]);
        var soft = cursor.GetGetter<VBuffer<float>>(view.Schema[DataColumnNames.SoftLabels]);
        VBuffer<float> l = default, s = default;
        long row = 0;
        while (cursor.MoveNext())
        {
            logits(ref l);
            soft(ref s);
            l.CopyTo(Logits(row));
            s.CopyTo(Soft(row));
            done[row] = true;
            row++;
        }

        return row;
    }

    /// <summary>Refuses soft labels (a cache file or a chunk at <paramref name="path"/>) made by another model, prompt or classes, or from other data.</summary>
    /// <param name="path">The file checked.</param>
    /// <param name="metadata">Its metadata.</param>
    /// <param name="teacherSha256">This run's identity.</param>
    /// <param name="dataFingerprint">This run's data fingerprint (empty: unknown, not checked).</param>
    /// <param name="startOver">What to delete to start over, when not the file itself (a chunk's folder).</param>
    public void CheckIdentity(string path, CacheMetadata metadata, string teacherSha256, string dataFingerprint, string? startOver = null)
    {
        string fix = startOver is null ? "give another output file, or delete this one to start over." : $"give another output file, or delete {startOver} to start over.";
        if (!string.Equals(metadata.TeacherSha256, teacherSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException(
                $"'{path}' holds soft labels of another labeler ({metadata.TeacherFile}, identity {metadata.TeacherSha256}), not of this model, prompt and classes ({teacherSha256}): " + fix);
        }

        if (metadata.Classes != Classes)
        {
            throw new InvalidDataException($"'{path}' has {metadata.Classes} classes, not {Classes}: " + fix);
        }

        if (dataFingerprint.Length > 0 && metadata.DataFingerprint.Length > 0 && !string.Equals(dataFingerprint, metadata.DataFingerprint, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException(
                $"'{path}' was labeled from data {metadata.DataFingerprint}, not {dataFingerprint}: " + fix);
        }
    }

    /// <summary>The class the soft labels of <paramref name="row"/> give most (0-based; the first of equals).</summary>
    public int Predicted(long row)
    {
        var soft = Soft(row);
        int best = 0;
        for (int c = 1; c < soft.Length; c++)
        {
            best = soft[c] > soft[best] ? c : best;
        }

        return best;
    }

    /// <summary>Writes the first <paramref name="rows"/> rows to the cache file (atomically).</summary>
    public CacheMetadata Save(string path, long rows, CacheMetadata metadata)
    {
        var mlContext = new MLContext(0);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.TeacherLogits)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Classes);
        schema[nameof(Row.SoftLabels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Classes);
        var view = mlContext.Data.LoadFromEnumerable(Enumerate(rows), schema);
        return TeacherCache.Write(view, path, metadata, labelColumn: null);
    }

    private IEnumerable<Row> Enumerate(long rows)
    {
        var row = new Row { TeacherLogits = new float[Classes], SoftLabels = new float[Classes] };
        for (long r = 0; r < rows; r++)
        {
            Logits(r).CopyTo(row.TeacherLogits);
            Soft(r).CopyTo(row.SoftLabels);
            row.TeacherPredictedLabel = Predicted(r);
            yield return row;
        }
    }

    private sealed class Row
    {
        public float[] TeacherLogits { get; set; } = [];

        public float[] SoftLabels { get; set; } = [];

        public int TeacherPredictedLabel { get; set; }
    }
}
