using Spectre.Console;

namespace MLNetDistill.Cli;

/// <summary>A progress bar on an interactive terminal around work that reports rows done.</summary>
internal static class ProgressDisplay
{
    public static T Run<T>(string description, long? total, Func<IProgress<long>, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            return work(new Progress<long>(_ => { }));
        }

        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(description, maxValue: total is > 0 ? total.Value : 1);
                task.IsIndeterminate = total is not > 0;
                result = work(new SyncProgress(rows => task.Value = total is > 0 ? rows : 0));
                task.StopTask();
            });
        return result;
    }

    /// <summary>
    /// A progress bar whose description and length change as the work reports them (an MLP's automatic schedule learns
    /// its epoch count as it goes: the cap shrinks when the cool-down starts, and the final pass has its own count).
    /// </summary>
    public static T RunSteps<T>(Func<IProgress<(string Description, double Value, double Max)>, T> work)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: 1);
                result = work(new SyncProgress<(string Description, double Value, double Max)>(step =>
                {
                    task.Description = step.Description;
                    task.MaxValue = Math.Max(step.Max, 1);
                    task.Value = Math.Min(step.Value, task.MaxValue);
                }));
                task.StopTask();
            });
        return result;
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    private sealed class SyncProgress<TValue>(Action<TValue> report) : IProgress<TValue>
    {
        public void Report(TValue value) => report(value);
    }
}
