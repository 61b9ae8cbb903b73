using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MLNetDistill.Tests.Cli;

/// <summary>
/// The real <c>mlnet-distill</c> in a child process (<c>dotnet mlnet-distill.dll ...</c>, the build's own output beside the
/// tests), with its stderr lines timestamped, so tests can signal or kill it at chosen points.
/// </summary>
internal sealed partial class ChildCli : IDisposable
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private readonly Process _process;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<(TimeSpan At, string Line)> _errors = new();
    private readonly ConcurrentQueue<string> _output = new();
    private readonly SemaphoreSlim _lineArrived = new(0);

    private ChildCli(Process process)
    {
        _process = process;
    }

    /// <summary>
    /// The CLI assembly in the CLI project's own build output (bin/CONFIGURATION/TFM, built by the test project's
    /// reference), as a user runs it: the copy beside the tests lacks the package assemblies the test project gets from
    /// the ASP.NET Core shared framework (Microsoft.Extensions.Logging.Abstractions, which `label` needs). Falls back to
    /// the copy beside the tests.
    /// </summary>
    public static string Dll { get; } = FindDll();

    private static string FindDll()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string own = Path.Combine(TestPaths.Repo, "src", "MLNetDistill.Cli", "bin", bin.Parent?.Name ?? "Debug", bin.Name, "mlnet-distill.dll");
        return File.Exists(own) ? own : Path.Combine(AppContext.BaseDirectory, "mlnet-distill.dll");
    }

    public int Id => _process.Id;

    public TimeSpan Elapsed => _clock.Elapsed;

    public string Error => string.Join('\n', _errors.Select(e => e.Line));

    public string Output => string.Join('\n', _output);

    public static ChildCli Start(params string[] args)
    {
        EnsureSigIntNotIgnored();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start };
        var child = new ChildCli(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                child._errors.Enqueue((child._clock.Elapsed, e.Data));
                child._lineArrived.Release();
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                child._output.Enqueue(e.Data);
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return child;
    }

    /// <summary>Runs the CLI to the end.</summary>
    public static (int ExitCode, string Out, string Error) Run(TimeSpan timeout, params string[] args)
    {
        using var child = Start(args);
        int code = child.WaitForExit(timeout) ?? throw new TimeoutException($"mlnet-distill {string.Join(' ', args)} did not finish in {timeout}: {child.Error}");
        return (code, child.Output, child.Error);
    }

    /// <summary>Waits until a stderr line contains <paramref name="text"/>; false when the process ended or time ran out first.</summary>
    public bool WaitForErrorLine(string text, TimeSpan timeout)
    {
        var deadline = _clock.Elapsed + timeout;
        while (_clock.Elapsed < deadline)
        {
            if (_errors.Any(e => e.Line.Contains(text, StringComparison.Ordinal)))
            {
                return true;
            }

            if (_process.HasExited)
            {
                return false;
            }

            _lineArrived.Wait(TimeSpan.FromMilliseconds(50));
        }

        return false;
    }

    /// <summary>Waits until <paramref name="condition"/> holds (polled every 10 ms); false when the process ended or time ran out first.</summary>
    public bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = _clock.Elapsed + timeout;
        while (_clock.Elapsed < deadline)
        {
            if (condition())
            {
                return true;
            }

            if (_process.HasExited)
            {
                return false;
            }

            Thread.Sleep(10);
        }

        return false;
    }

    /// <summary>Sends a signal with libc's <c>kill</c>.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The exit code, or null when the process is still running after <paramref name="timeout"/>.</summary>
    public int? WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return null;
        }

        _process.WaitForExit(); // drains the redirected streams
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        _lineArrived.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static partial int SigActionQuery(int signal, nint action, out SigActionStruct old);

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static partial int SigActionSet(int signal, in SigActionStruct action, nint old);

    /// <summary>
    /// A process started in the background by a non-interactive shell (a CI step, <c>dotnet test &amp;</c>) inherits SIGINT
    /// ignored, and so would the child: then Ctrl+C cannot reach it at all, as it could not in the same shell by hand. A
    /// terminal's Ctrl+C meets the default disposition, which is what this puts back, and only when SIGINT is ignored (the
    /// test host then has no handler of its own to lose).
    /// </summary>
    private static void EnsureSigIntNotIgnored()
    {
        if (SigActionQuery(SigInt, 0, out SigActionStruct old) == 0 && old.Handler == 1 /* SIG_IGN */)
        {
            SigActionStruct reset = default; // SIG_DFL, empty mask, no flags
            SigActionSet(SigInt, in reset, 0);
        }
    }

    /// <summary>glibc's <c>struct sigaction</c> on 64-bit Linux: handler, 128-byte mask, flags, restorer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SigActionStruct
    {
        public nint Handler;
        public SigSet Mask;
        public int Flags;
        public nint Restorer;
    }

    [System.Runtime.CompilerServices.InlineArray(16)]
    private struct SigSet
    {
        private ulong _word;
    }
}

/// <summary>Tests that run the CLI as child processes and time it: not in parallel with anything else.</summary>
[CollectionDefinition("ChildProcesses", DisableParallelization = true)]
public sealed class ChildProcessCollection
{
}
