using MLNetDistill.Data;

namespace MLNetDistill.Llm;

/// <summary>
/// What one <see cref="LlmLabeler.LabelAsync"/> carries from stage to stage (read rows → resume from the cache → send
/// requests → write chunks and the cache → summarize): the texts, the rows answered so far, the chunk files, the counts,
/// and the first failure. Updated from several requests at once: the answered rows under a lock, the counts with
/// <see cref="Interlocked"/>.
/// </summary>
internal sealed class LlmLabelingRun
{
    /// <summary>The rows answered (or resumed) so far; read and written with <see cref="Interlocked"/>.</summary>
    public long Finished;

    /// <summary>The rows written to the cache or a chunk so far (resumed rows included); read and written with <see cref="Interlocked"/>.</summary>
    public long Saved;

    /// <summary>The first failure (of the lowest row), or null; written under the lock, read with <see cref="Volatile"/>.</summary>
    public Exception? Failure;

    private readonly object _sync = new();
    private readonly List<long> _answered = [];
    private readonly IProgress<LlmLabelingProgress>? _progress;
    private readonly int _chunkRows;
    private long _failedRow = -1;

    /// <summary>Makes the state of a run over <paramref name="texts"/>, with no row answered yet.</summary>
    /// <param name="texts">The rows' texts, in input order.</param>
    /// <param name="classes">The class names.</param>
    /// <param name="cachePath">The cache file; the chunks go to the folder beside it.</param>
    /// <param name="metadata">The identity written with every chunk and the cache.</param>
    /// <param name="chunkRows">The answered rows a chunk holds.</param>
    /// <param name="progress">Where the run reports, or null.</param>
    public LlmLabelingRun(string[] texts, string[] classes, string cachePath, CacheMetadata metadata, int chunkRows, IProgress<LlmLabelingProgress>? progress)
    {
        Texts = texts;
        Classes = classes;
        CachePath = cachePath;
        Metadata = metadata;
        Rows = new LlmCacheRows(texts.Length, classes.Length);
        Done = new bool[texts.Length];
        Chunks = new LlmCacheChunks(cachePath);
        _chunkRows = chunkRows;
        _progress = progress;
    }

    /// <summary>Gets the rows' texts, in input order.</summary>
    public string[] Texts { get; }

    /// <summary>Gets the class names.</summary>
    public string[] Classes { get; }

    /// <summary>Gets the cache file.</summary>
    public string CachePath { get; }

    /// <summary>Gets the identity written with every chunk and the cache.</summary>
    public CacheMetadata Metadata { get; }

    /// <summary>Gets the soft labels and logits of every row (filled as rows are answered or resumed).</summary>
    public LlmCacheRows Rows { get; }

    /// <summary>Gets which rows are answered (or resumed).</summary>
    public bool[] Done { get; }

    /// <summary>Gets the chunk files beside the cache.</summary>
    public LlmCacheChunks Chunks { get; }

    /// <summary>Gets what the run's requests count.</summary>
    public LlmLabeler.Counters Counters { get; } = new();

    /// <summary>Gets the rows read back from an earlier run's cache and chunks.</summary>
    public long Resumed { get; private set; }

    /// <summary>Gets the row of <see cref="Failure"/>, or -1.</summary>
    public long FailedRow => _failedRow;

    /// <summary>Gets whether every row is answered and nothing failed.</summary>
    public bool IsComplete => Volatile.Read(ref Failure) is null && Interlocked.Read(ref Finished) == Texts.Length;

    /// <summary>Reads back the rows an earlier run of the same model, prompt, classes and data left in the cache file and in chunks: they are not asked again.</summary>
    public void Resume(string teacherSha256, string dataFingerprint)
    {
        long resumed = Rows.Resume(CachePath, teacherSha256, dataFingerprint, Done);
        resumed += Chunks.Resume(Rows, Done, teacherSha256, dataFingerprint);
        Resumed = resumed;
        Finished = Saved = resumed;
    }

    /// <summary>Reports the rows done and saved and the retries so far.</summary>
    public void Report() =>
        _progress?.Report(new LlmLabelingProgress(Interlocked.Read(ref Finished), Texts.Length, Interlocked.Read(ref Saved), Interlocked.Read(ref Counters.Retries)));

    /// <summary>Records an answered row: it goes to the next chunk.</summary>
    public void Answered(long row)
    {
        lock (_sync)
        {
            Done[row] = true;
            _answered.Add(row);
        }

        Interlocked.Increment(ref Finished);
    }

    /// <summary>Records a row's failure; the failure of the lowest row is the one reported.</summary>
    public void Failed(long row, Exception failure)
    {
        lock (_sync)
        {
            if (Failure is null || row < _failedRow)
            {
                Failure = failure;
                _failedRow = row;
            }
        }
    }

    /// <summary>Writes the answered rows not yet in a chunk, ChunkRows at a time (all of them, the last chunk smaller, when <paramref name="all"/>).</summary>
    public async Task FlushAsync(bool all)
    {
        while (true)
        {
            long[] ids;
            lock (_sync)
            {
                if (_answered.Count == 0 || (!all && _answered.Count < _chunkRows))
                {
                    return;
                }

                int take = Math.Min(_answered.Count, _chunkRows);
                ids = [.. _answered.GetRange(0, take)];
                _answered.RemoveRange(0, take);
            }

            await Chunks.WriteAsync(Rows, ids, Metadata).ConfigureAwait(false);
            Interlocked.Add(ref Saved, ids.Length);
            Report();
        }
    }
}
