using System.Runtime.InteropServices;
using MLNetDistill.Data;

namespace MLNetDistill.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM for the whole process: the first signal cancels the command's token, so the running step
/// (teacher scoring, cache writing, a student's training, report writing) stops at its next check and its temporary file is
/// deleted; if the command has not returned after <see cref="Grace"/>, the process deletes the temporary files still being
/// written, prints the same line and exits by itself. A second signal ends the process at once (the system's default).
/// </summary>
internal sealed class Cancellation : IDisposable
{
    /// <summary>The exit code after SIGINT (Ctrl+C): 128 + 2, the Unix convention.</summary>
    public const int InterruptExitCode = 130;

    /// <summary>The exit code after SIGTERM: 128 + 15.</summary>
    public const int TerminateExitCode = 143;

    /// <summary>How long the command has to stop after the signal before the process exits without it.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(800);

    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly object _gate = new();
    private int _exitCode;
    private readonly ManualResetEventSlim _finished = new();
    private bool _reported;

    private Cancellation()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>The process-wide instance, made by <see cref="Program.Main"/>; null when the entry point runs in-process (tests).</summary>
    public static Cancellation? Current { get; private set; }

    /// <summary>The token the commands run with.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The exit code for the signal received: 130 (SIGINT) or 143 (SIGTERM); 130 when cancelled otherwise.</summary>
    public static int ExitCode => Current?._exitCode is int code and not 0 ? code : InterruptExitCode;

    public static Cancellation Register() => Current = new Cancellation();

    /// <summary>
    /// The line printed when a command was cancelled: what it kept under a final name (files completed before the signal,
    /// each whole), or that it wrote nothing there.
    /// </summary>
    public static string Message(int filesBefore)
    {
        string[] kept = [.. AtomicFile.CompletedFiles.Skip(filesBefore).Distinct(StringComparer.Ordinal)];
        return kept.Length == 0
            ? "cancelled: no output was written under its final name."
            : $"cancelled: kept {kept.Length} complete file(s) written before the signal ({string.Join(", ", kept.Select(Path.GetFileName))}); nothing else was written under its final name.";
    }

    /// <summary>Prints the cancellation line once (the command's own handler and the watchdog may both get here).</summary>
    public static void Report(int filesBefore)
    {
        var current = Current;
        if (current is null)
        {
            Console.Error.WriteLine(Message(filesBefore));
            return;
        }

        lock (current._gate)
        {
            if (!current._reported)
            {
                current._reported = true;
                Console.Error.WriteLine(Message(filesBefore));
                Console.Error.Flush();
            }
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _finished.Set(); // the command returned: the watchdog has nothing to do
        _source.Dispose();
        if (ReferenceEquals(Current, this))
        {
            Current = null;
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (_source.IsCancellationRequested)
        {
            return; // the second signal: the default handling ends the process now
        }

        context.Cancel = true;
        _exitCode = context.Signal == PosixSignal.SIGTERM ? TerminateExitCode : InterruptExitCode;

        // .NET runs SIGINT/SIGTERM handlers on a thread of their own, not the thread pool (which a scoring run keeps busy:
        // work queued there waited up to 0.7 s for a thread here). The watchdog gets a dedicated thread for the same reason.
        new Thread(() =>
        {
            if (!_finished.Wait(Grace))
            {
                GiveUp();
            }
        })
        { IsBackground = true, Name = "mlnet-distill cancellation watchdog" }.Start();
        try
        {
            _source.Cancel(); // callbacks (ML.NET's context cancellation) run here, synchronously
        }
        catch (ObjectDisposedException)
        {
            // The command had already returned.
        }
    }

    private void GiveUp()
    {
        // The step in progress did not reach a check in time (a native call, an ML.NET trainer between its checks): its
        // temporary file goes, final names are left as they are, and the process ends with the signal's code.
        int deleted = AtomicFile.DeletePending();
        if (Environment.GetEnvironmentVariable("MLNETDISTILL_DEBUG") == "1")
        {
            Console.Error.WriteLine($"debug: the command did not stop within {Grace.TotalSeconds} s of the signal; {deleted} temporary file(s) deleted, exiting");
        }

        Report(CommandRunner.FilesBefore);
        if (!Console.IsOutputRedirected)
        {
            Console.Out.Write("\u001b[?25h"); // a live progress display hides the cursor; it gets no chance to show it again
            Console.Out.Flush();
        }

        Environment.Exit(ExitCode);
    }
}
