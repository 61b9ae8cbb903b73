using System.CommandLine;
using MLNetDistill.Cli.Commands;

namespace MLNetDistill.Cli;

internal static class Program
{
    internal static int Main(string[] args)
    {
        var root = new RootCommand("mlnet-distill: knowledge distillation for ML.NET. Score ONNX teachers in batches, train small students on their soft labels, compare them.");
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(ScoreCommand.Create());
        root.Subcommands.Add(DistillCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        return root.Parse(args).Invoke();
    }
}
