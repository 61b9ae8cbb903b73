using System.Diagnostics;
using System.Reflection;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Numerics;

namespace MLNetDistill.Tests.Numerics;

/// <summary>
/// Regression for an AccessViolationException in Gemm packing during long training runs: a worker that had finished the
/// last part of one job could still claim a part of that job's generation once the caller had written the next job's
/// work and (larger) part count but not yet published its generation. It then ran a part of the next job outside it and
/// counted its completion towards it, so the next job could return while one of its parts was still running (the caller
/// then unpinned the operands and the GemmContext cleared its pointers under the running part), or hang.
/// </summary>
public sealed class ComputePoolTests
{
    [Fact]
    public void FinishedJob_CannotBeClaimedAgainst_TheNextJobsPartCount()
    {
        // The interleaving made deterministic: after a 2-part job, the caller has written a 24-part job's work and part
        // count (as Run does before publishing a new generation) when a worker still in the old generation looks again.
        using var pool = new ComputePool(2);
        var small = new RecordingWork(2);
        var large = new RecordingWork(24);
        small.Begin();
        pool.Run(small, small.Parts);
        small.End(0);

        var flags = BindingFlags.Instance | BindingFlags.NonPublic;
        long generation = (long)typeof(ComputePool).GetField("_claim", flags)!.GetValue(pool)! >> 32;
        var workField = typeof(ComputePool).GetField("_work", flags)!;
        var partsField = typeof(ComputePool).GetField("_parts", flags)!;
        workField.SetValue(pool, large);
        partsField.SetValue(pool, large.Parts);
        try
        {
            typeof(ComputePool).GetMethod("RunParts", flags)!.Invoke(pool, [generation, 1]);
        }
        finally
        {
            workField.SetValue(pool, null);
        }

        Assert.True(large.Violation is null, large.Violation);
        Assert.Equal(0, large.TotalRuns);

        // The pool still runs the next jobs normally.
        large.Begin();
        pool.Run(large, large.Parts);
        large.End(1);
        Assert.True(large.Violation is null, large.Violation);
    }

    [Fact]
    public void BackToBackJobs_EveryPartRunsExactlyOnce_AndNeverAfterRunReturns()
    {
        // Small jobs followed by larger ones, as a training step alternates element-wise jobs and products, with more
        // threads than cores so that workers are often preempted between parts. Runs on its own thread so that a job
        // that never completes fails the test instead of hanging it.
        using var pool = new ComputePool(Math.Max(3, Environment.ProcessorCount + 1));
        var small = new RecordingWork(2);
        var large = new RecordingWork(24);
        int jobs = 0;
        var runner = new Thread(() =>
        {
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(1.5) && small.Violation is null && large.Violation is null)
            {
                foreach (var work in new[] { small, large })
                {
                    work.Begin();
                    pool.Run(work, work.Parts);
                    work.End(Volatile.Read(ref jobs));
                    Interlocked.Increment(ref jobs);
                }
            }
        })
        { IsBackground = true };
        runner.Start();
        Assert.True(runner.Join(TimeSpan.FromSeconds(30)), $"A job never completed (after {Volatile.Read(ref jobs)} jobs).");
        Assert.True(small.Violation is null, small.Violation);
        Assert.True(large.Violation is null, large.Violation);
    }

    private sealed class RecordingWork(int parts) : ParallelWork
    {
        private readonly int[] _runs = new int[parts];
        private volatile bool _open;
        private volatile string? _violation;

        public int Parts { get; } = parts;

        public string? Violation => _violation;

        public int TotalRuns => _runs.Sum();

        public void Begin()
        {
            Array.Clear(_runs);
            _open = true;
        }

        public void End(int job)
        {
            _open = false;
            for (int part = 0; part < Parts; part++)
            {
                int runs = Volatile.Read(ref _runs[part]);
                if (runs != 1)
                {
                    _violation ??= $"job {job}: part {part} of {Parts} ran {runs} times";
                }
            }
        }

        public override void Execute(int part, int parts, int thread)
        {
            if (!_open || parts != Parts)
            {
                _violation ??= $"part {part} of {parts} ran on thread {thread} outside its job";
            }

            Interlocked.Increment(ref _runs[part]);
            Thread.SpinWait(5);
            if (!_open)
            {
                _violation ??= $"part {part} of {parts} was still running on thread {thread} after Run returned";
            }
        }
    }
}
