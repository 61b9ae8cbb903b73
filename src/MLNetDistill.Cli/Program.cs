using System.CommandLine;
using MLNetDistill.Cli.Commands;

namespace MLNetDistill.Cli;

internal static class Program
{
    internal static int Main(string[] args)
    {
        var root = new RootCommand("mlnet-distill: knowledge distillation for ML.NET. Score ONNX teachers in batches, train small students on their soft labels, compare them. "
            + "Every output file is written under a temporary name and renamed when complete. Exit codes: 0 success, 1 when the command line does not parse (an unknown option, a missing required one), 2 error, 130 cancelled by Ctrl+C (SIGINT), 143 stopped by SIGTERM; a cancelled command stops within a second and leaves no partial file under an output name.");
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(ScoreCommand.Create());
        root.Subcommands.Add(DistillCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(LabelCommand.Create());
        // Ctrl+C and SIGTERM are handled here rather than by System.CommandLine, whose handler is only armed once an action
        // returns its task (ours run synchronously) and which exits without waiting for the temporary files to go.
        using var cancellation = Cancellation.Register();
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, cancellation.Token).GetAwaiter().GetResult();
    }
}
