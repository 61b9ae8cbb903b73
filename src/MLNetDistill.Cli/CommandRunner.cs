using System.Text.Json;
using System.Text.Json.Serialization;
using MLNetDistill.Data;

namespace MLNetDistill.Cli;

/// <summary>Runs a command body: one line `error: ...` and a non-zero exit code for any failure, 130 for Ctrl+C.</summary>
internal static class CommandRunner
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("error: cancelled; no output file was left behind.");
            return 130;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException or NotSupportedException or UnauthorizedAccessException or FormatException)
        {
            Console.Error.WriteLine("error: " + OneLine(e));
            if (Environment.GetEnvironmentVariable("MLNETDISTILL_DEBUG") == "1")
            {
                Console.Error.WriteLine(e);
            }

            return 2;
        }
    }

    public static int Run(Func<int> body) => RunAsync(_ => Task.FromResult(body()), CancellationToken.None).GetAwaiter().GetResult();

    private static string OneLine(Exception e)
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
        }

        if (e.Data[LabelCandidates.ExceptionDataKey] is string label)
        {
            // The library names the column that looks like a label; how to pass it is the CLI's to say.
            message = $"{message.TrimEnd()} (CLI: --label {label})";
        }

        return message.ReplaceLineEndings(" ").Trim();
    }
}
