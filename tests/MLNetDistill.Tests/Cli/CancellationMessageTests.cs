using MLNetDistill.Cli;
using MLNetDistill.Data;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Cli;

[Collection("Console")]
public sealed class CancellationMessageTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Message_NothingCompletedSinceStart_SaysNothingWritten()
    {
        int before = AtomicFile.CompletedFiles.Count;

        Assert.Equal("cancelled: no output was written under its final name.", Cancellation.Message(before));
    }

    [Fact]
    public void Message_FileCompletedBeforeSignal_NamesTheKeptFile()
    {
        AtomicFile.RecordCompleted = true; // as CommandRunner does
        int before = AtomicFile.CompletedFiles.Count;
        AtomicFile.Write(_temp.File("student.zip"), stream => stream.Write("zip"u8));

        string message = Cancellation.Message(before);

        Assert.StartsWith("cancelled: kept 1 complete file(s) written before the signal (student.zip)", message);
    }

    [Fact]
    public void Help_Root_DocumentsExitCodes()
    {
        var (code, output, _) = CliRunner.Run("--help");

        Assert.Equal(0, code);
        Assert.Contains("130 cancelled by Ctrl+C (SIGINT)", output);
        Assert.Contains("2 error", output);
        Assert.NotEqual(Cancellation.InterruptExitCode, 2);
    }
}
