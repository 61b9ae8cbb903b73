using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Write_WriterThrows_LeavesNoFileAndNoTemp()
    {
        string path = _temp.File("out.bin");

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write([1, 2, 3]);
            Assert.Single(_temp.Entries()); // only the temporary file exists while writing
            Assert.StartsWith(".out.bin.", _temp.Entries()[0]);
            throw new InvalidOperationException("boom");
        }));

        Assert.Empty(_temp.Entries());
    }

    [Fact]
    public void Write_WriterThrowsOverExistingFile_KeepsOldContent()
    {
        string path = _temp.Write("keep.txt", "old");

        Assert.Throws<IOException>(() => AtomicFile.Write(path, _ => throw new IOException("disk full")));

        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["keep.txt"], _temp.Entries());
    }

    [Fact]
    public void Write_Success_ReplacesContentAndCreatesFolder()
    {
        string path = Path.Combine(_temp.Path, "sub", "new.txt");

        AtomicFile.Write(path, stream => stream.Write("hello"u8));

        Assert.Equal("hello", File.ReadAllText(path));
        Assert.Equal(["new.txt"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task WriteAsync_Cancelled_LeavesNoFile()
    {
        string path = _temp.File("c.bin");
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[10], ct);
            await cts.CancelAsync();
            ct.ThrowIfCancellationRequested();
        }, cts.Token));

        Assert.Empty(_temp.Entries());
    }

    [Fact]
    public void Write_PathIsFolder_ThrowsArgument()
    {
        var ex = Assert.Throws<ArgumentException>(() => AtomicFile.Write(_temp.Path, _ => { }));
        Assert.Equal("path", ex.ParamName);
        Assert.Contains($"Cannot write '{_temp.Path}': it is a folder. Pass a file path.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_RecordingOn_IsListedInCompletedFiles()
    {
        string path = _temp.File("done.txt");
        AtomicFile.RecordCompleted = true; // as the CLI does; off by default so a long-running service keeps no growing list

        AtomicFile.Write(path, stream => stream.Write("x"u8));

        Assert.Contains(Path.GetFullPath(path), AtomicFile.CompletedFiles);
    }

    [Fact]
    public void Write_BeforeRename_RunsOnceContentIsCompleteAndItsFailureKeepsOldFile()
    {
        string path = _temp.Write("pair.csv", "old rows");
        long tempLength = -1;

        Assert.Throws<OperationCanceledException>(() => AtomicFile.Write(path, stream => stream.Write("new rows!"u8), beforeRename: () =>
        {
            string temp = Directory.GetFiles(_temp.Path, ".pair.csv.*.tmp").Single();
            tempLength = new FileInfo(temp).Length;
            throw new OperationCanceledException();
        }));

        Assert.Equal(9, tempLength); // flushed before the hook ran
        Assert.Equal("old rows", File.ReadAllText(path));
        Assert.Equal(["pair.csv"], _temp.Entries());
        Assert.DoesNotContain(Path.GetFullPath(path), AtomicFile.CompletedFiles);
    }
}

/// <summary><see cref="AtomicFile.DeletePending"/> reaches every write in the process: not run beside other tests that write files.</summary>
[Collection("ProcessWideState")]
public sealed class AtomicFilePendingTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void DeletePending_DuringWrite_RemovesTempAndNothingReachesFinalName()
    {
        string path = _temp.File("stopped.bin");
        int deleted = -1;

        Assert.ThrowsAny<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write([1, 2, 3]);
            deleted = AtomicFile.DeletePending(); // what the CLI's watchdog does when a step does not stop in time
        }));

        Assert.True(deleted >= 1);
        Assert.Empty(_temp.Entries());
    }
}

[CollectionDefinition("ProcessWideState", DisableParallelization = true)]
public sealed class ProcessWideStateCollection
{
}
