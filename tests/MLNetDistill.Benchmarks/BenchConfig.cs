using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace MLNetDistill.Benchmarks;

/// <summary>The one configuration every benchmark here shares: few iterations, so a run takes minutes, not hours.</summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddJob(Job.Default.WithWarmupCount(1).WithIterationCount(3).WithLaunchCount(1));
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}
