namespace MLNetDistill.Tests.Cli;

/// <summary>Runs the mlnet-distill entry point in-process, capturing its output.</summary>
internal static class CliRunner
{
    private static readonly object Gate = new();

    public static (int ExitCode, string Out, string Error) Run(params string[] args)
    {
        lock (Gate)
        {
            var oldOut = Console.Out;
            var oldError = Console.Error;
            var output = new StringWriter();
            var error = new StringWriter();
            Console.SetOut(output);
            Console.SetError(error);
            try
            {
                int code = MLNetDistill.Cli.Program.Main(args);
                return (code, output.ToString(), error.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldError);
            }
        }
    }
}
