using System.Text.Json;
using System.Text.Json.Serialization;
using MLNetDistill.Data;

namespace MLNetDistill.Cli;

/// <summary>Runs a command body: one line `error: ...` and exit code 2 for any failure; one line `cancelled: ...` and 130 for Ctrl+C (143 for SIGTERM).</summary>
internal static class CommandRunner
{
    /// <summary>How many files this process had completed when the running command started (the rest are the command's).</summary>
    internal static int FilesBefore { get; private set; }

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Runs <paramref name="body"/>; an argument error whose parameter is in <paramref name="flags"/> is printed with that flag first.</summary>
    /// <param name="body">The command.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    /// <param name="flags">The command's flag for each library parameter or option name (<c>Alpha</c> → <c>--alpha</c>), so errors name what the user typed.</param>
    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? flags = null)
    {
        AtomicFile.RecordCompleted = true;
        FilesBefore = AtomicFile.CompletedFiles.Count;
        try
        {
            return await body(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException || cancellationToken.IsCancellationRequested)
        {
            // Cancelled: whatever a step threw on its way out (ML.NET wraps its cancellation) is the signal's doing.
            Cancellation.Report(FilesBefore);
            return Cancellation.ExitCode;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException or NotSupportedException or UnauthorizedAccessException or FormatException or HttpRequestException)
        {
            Console.Error.WriteLine("error: " + OneLine(e, flags));
            if (Environment.GetEnvironmentVariable("MLNETDISTILL_DEBUG") == "1")
            {
                Console.Error.WriteLine(e);
            }

            return 2;
        }
    }

    public static int Run(Func<int> body) => RunAsync(_ => Task.FromResult(body()), CancellationToken.None).GetAwaiter().GetResult();

    private static string OneLine(Exception e, IReadOnlyDictionary<string, string>? flags)
    {
        // ML.NET and ONNX Runtime wrap the error that names the problem; the innermost of ours is the useful one.
        // ML.NET's cached and parallel cursors wrap the real error too ("Event we were waiting on was subject to an exception").
        while ((e is System.Reflection.TargetInvocationException or AggregateException || e.GetType().Namespace?.StartsWith("Microsoft.ML", StringComparison.Ordinal) == true
            || e.Message.StartsWith("Event we were waiting on", StringComparison.Ordinal)) && e.InnerException is not null)
        {
            e = e.InnerException;
        }

        string message = e.Message;
        if (e is ArgumentOutOfRangeException range && range.ActualValue is not null)
        {
            message = message.Replace($"Actual value was {range.ActualValue}.", "", StringComparison.Ordinal);
        }

        if (e is ArgumentException a && a.ParamName is not null)
        {
            message = message.Replace($" (Parameter '{a.ParamName}')", "", StringComparison.Ordinal);
            if (flags is not null && flags.TryGetValue(a.ParamName, out string? flag))
            {
                message = $"{flag}: {message}";
            }
        }

        if (e.Data[LabelCandidates.ExceptionDataKey] is string label)
        {
            // The library names the column that looks like a label; how to pass it is the CLI's to say.
            message = $"{message.TrimEnd()} (CLI: --label {label})";
        }

        if (e.Data[NonFeatureCandidates.ExceptionDataKey] is string ignore)
        {
            message = $"{message.TrimEnd()} (CLI: --ignore-columns {(ignore.Length > 0 ? ignore : "NAME,...")})";
        }

        return message.ReplaceLineEndings(" ").Trim();
    }
}
