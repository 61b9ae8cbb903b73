using System.Diagnostics;
using System.Text;

namespace MLNetDistill.Tests;

/// <summary>Runs a program to the end (or kills its whole tree at the timeout) and keeps what it wrote.</summary>
internal static class ChildProcess
{
    /// <summary>The <c>dotnet</c> host the tests run under (so a child uses the same SDK).</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static (int ExitCode, string Output) Run(string program, IEnumerable<string> args, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"'{program} {string.Join(' ', args)}' in {workingDirectory} did not finish in {timeout}; it wrote:\n{Tail(output)}");
        }

        process.WaitForExit(); // drains the redirected streams
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    public static string Tail(StringBuilder output)
    {
        lock (output)
        {
            string all = output.ToString();
            return all.Length <= 6000 ? all : all[^6000..];
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
