using System.CommandLine;

namespace MLNetDistill.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("mlnet-distill: knowledge distillation for ML.NET.");
        return root.Parse(args).Invoke();
    }
}
