using System.Diagnostics;

namespace MLNetDistill.Numerics;

/// <summary>
/// A unit of work split into parts that a <see cref="ComputePool"/> runs on its threads, one part per thread.
/// Instances are created once and reused, so that running work allocates nothing.
/// </summary>
internal abstract class ParallelWork
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    /// <param name="part">The index of this part, in [0, <paramref name="parts"/>).</param>
    /// <param name="parts">How many parts the work was split into.</param>
    /// <param name="thread">
    /// Which of the pool's threads runs the part, in [0, <see cref="ComputePool.ThreadCount"/>): 0 is the caller. No two
    /// parts run at once on the same thread index, so it can pick per-thread buffers.
    /// </param>
    public abstract void Execute(int part, int parts, int thread);

    /// <summary>The half-open range [start, end) of <paramref name="count"/> items that part <paramref name="part"/> of <paramref name="parts"/> owns; balanced, contiguous and in order.</summary>
    /// <param name="count">The number of items split.</param>
    /// <param name="part">The part.</param>
    /// <param name="parts">The number of parts.</param>
    /// <returns>The start and end of the part's range.</returns>
    public static (int Start, int End) Split(int count, int part, int parts)
    {
        int baseSize = count / parts;
        int extra = count % parts;
        int start = (part * baseSize) + Math.Min(part, extra);
        return (start, start + baseSize + (part < extra ? 1 : 0));
    }
}

/// <summary>
/// A fork-join pool of dedicated threads for the trainer's hot loops. Work is split into parts that the calling thread
/// and <see cref="ThreadCount"/> - 1 worker threads claim one at a time, so a thread the operating system has put aside
/// (the machine may be busy with other work) delays nothing: the others take its parts. Workers spin briefly between
/// jobs and then sleep, so a training step's many short jobs do not each pay an operating-system wake-up.
/// </summary>
/// <remarks>
/// Work is always split by rows or columns of the output, never by racing on shared sums, and a part's result does not
/// depend on which thread runs it, so results do not depend on the number of threads or their timing. When a second
/// caller finds the pool busy, it runs all the parts itself, in order, with the same results.
/// </remarks>
internal sealed class ComputePool : IDisposable
{
    private static readonly Lazy<ComputePool> SharedPool = new(() => new ComputePool(Math.Min(Environment.ProcessorCount, 8)));
    private static readonly long SpinTicks = Stopwatch.Frequency / 2000; // workers spin ~0.5 ms before sleeping

    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _wakeUps;
    private readonly int[] _sleeping;
    private readonly object _runLock = new();
    private readonly RangeWork _rangeWork = new();
    private ParallelWork? _work;
    private int _parts;

    /// <summary>The low half of <see cref="_claim"/> once a job has finished: no part index reaches it.</summary>
    private const long Closed = int.MaxValue;

    // High 32 bits: the job's generation; low 32 bits: the next unclaimed part, or Closed once the job has finished.
    private long _claim;
    private int _completed;
    private volatile bool _disposed;
    private Exception? _error;

    /// <summary>Creates a pool that runs work on <paramref name="threadCount"/> threads, the caller's included.</summary>
    /// <param name="threadCount">The number of threads, at least 1; 1 runs everything on the calling thread.</param>
    public ComputePool(int threadCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
        ThreadCount = threadCount;
        _workers = new Thread[threadCount - 1];
        _wakeUps = new SemaphoreSlim[threadCount - 1];
        _sleeping = new int[threadCount - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _wakeUps[i] = new SemaphoreSlim(0);
            int index = i;
            _workers[i] = new Thread(() => WorkerLoop(index))
            {
                IsBackground = true,
                Name = $"MLNetDistill compute {i + 1}",
            };
            _workers[i].Start();
        }
    }

    /// <summary>A process-wide pool with one thread per core (at most 8), for callers that do not own one.</summary>
    public static ComputePool Shared => SharedPool.Value;

    /// <summary>The number of threads work is split over, the caller's included.</summary>
    public int ThreadCount { get; }

    /// <summary>Runs the <paramref name="parts"/> parts of <paramref name="work"/> and returns when all are done.</summary>
    /// <param name="work">The work; its <see cref="ParallelWork.Execute"/> runs once per part, on any thread.</param>
    /// <param name="parts">The number of parts; may exceed <see cref="ThreadCount"/> for balance. 1 runs on the calling thread only.</param>
    public void Run(ParallelWork work, int parts)
    {
        if (parts <= 1 || ThreadCount == 1 || _disposed || !Monitor.TryEnter(_runLock))
        {
            // One part, one thread, or the pool busy with another caller: run the parts here, in order. Same results.
            for (int part = 0; part < parts; part++)
            {
                work.Execute(part, parts, 0);
            }

            return;
        }

        try
        {
            _work = work;
            _parts = parts;
            _error = null;
            Volatile.Write(ref _completed, 0);
            long generation = (Volatile.Read(ref _claim) >> 32) + 1;
            Interlocked.Exchange(ref _claim, generation << 32);
            for (int i = 0; i < _workers.Length; i++)
            {
                if (Interlocked.Exchange(ref _sleeping[i], 0) == 1)
                {
                    _wakeUps[i].Release();
                }
            }

            RunParts(generation, 0);
            var spin = default(SpinWait);
            while (Volatile.Read(ref _completed) != parts)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            // Close the finished job before the next one's work and part count are written. Otherwise a worker that read
            // this generation's exhausted claim (part == parts) and then the next job's larger part count could still
            // claim "part parts" of this generation before the next one is published: it would run a part of the next
            // job outside it and count its completion towards it, so that job could return (and its caller unpin the
            // operands) while a part was still running, or never see its count match and hang.
            Interlocked.Exchange(ref _claim, (generation << 32) | Closed);
            _work = null;
            if (_error is { } error)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
            }
        }
        finally
        {
            Monitor.Exit(_runLock);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over contiguous ranges of [0, <paramref name="count"/>) in parallel when
    /// there are at least <paramref name="minPerPart"/> items per range; otherwise runs it once on the calling thread.
    /// <paramref name="body"/> should be a cached delegate so that nothing is allocated.
    /// </summary>
    /// <param name="count">The number of items.</param>
    /// <param name="minPerPart">The least number of items worth a range of their own.</param>
    /// <param name="body">Processes items [start, end).</param>
    public void For(int count, int minPerPart, Action<int, int> body)
    {
        int parts = Math.Clamp(count / Math.Max(1, minPerPart), 1, 2 * ThreadCount);
        if (parts == 1 || ThreadCount == 1)
        {
            body(0, count);
            return;
        }

        lock (_rangeWork)
        {
            _rangeWork.Count = count;
            _rangeWork.Body = body;
            Run(_rangeWork, parts);
            _rangeWork.Body = null;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var wake in _wakeUps)
        {
            wake.Release();
        }

        foreach (var worker in _workers)
        {
            worker.Join();
        }

        foreach (var wake in _wakeUps)
        {
            wake.Dispose();
        }
    }

    /// <summary>Claims and runs parts of job <paramref name="generation"/> until none is left.</summary>
    private void RunParts(long generation, int thread)
    {
        while (true)
        {
            long claim = Volatile.Read(ref _claim);
            if ((claim >> 32) != generation)
            {
                return;
            }

            int part = (int)claim;
            ParallelWork? work = _work;
            int parts = _parts;
            if (part >= parts || work is null)
            {
                return;
            }

            // Success proves the job is still current, so work and parts above were this job's: a finished job's claim
            // is closed (see Run) before the next job's work and part count are written.
            if (Interlocked.CompareExchange(ref _claim, claim + 1, claim) != claim)
            {
                continue;
            }

            Debug.Assert(part < parts && ReferenceEquals(work, _work), "A part was claimed outside its job.");

            try
            {
                work.Execute(part, parts, thread);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }

            Interlocked.Increment(ref _completed);
        }
    }

    private void WorkerLoop(int index)
    {
        long seen = 0;
        while (!_disposed)
        {
            long spinStart = Stopwatch.GetTimestamp();
            int spins = 0;
            long generation;
            while ((generation = Volatile.Read(ref _claim) >> 32) == seen)
            {
                if (_disposed)
                {
                    return;
                }

                if ((++spins & 63) != 0 || Stopwatch.GetTimestamp() - spinStart < SpinTicks)
                {
                    Thread.SpinWait(4);
                    continue;
                }

                // Full fence between announcing sleep and re-reading the generation (the runner does the mirror image).
                Interlocked.Exchange(ref _sleeping[index], 1);
                if ((Volatile.Read(ref _claim) >> 32) == seen && !_disposed)
                {
                    _wakeUps[index].Wait();
                }

                Interlocked.Exchange(ref _sleeping[index], 0);
                spinStart = Stopwatch.GetTimestamp();
            }

            seen = generation;
            RunParts(generation, index + 1);
        }
    }

    private sealed class RangeWork : ParallelWork
    {
        public int Count;
        public Action<int, int>? Body;

        public override void Execute(int part, int parts, int thread)
        {
            var (start, end) = Split(Count, part, parts);
            if (end > start)
            {
                Body!(start, end);
            }
        }
    }
}
