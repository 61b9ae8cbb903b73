using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

public sealed class OutputFolderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Prepare_MissingFolder_MakesItAndLeavesNoProbeFile()
    {
        string folder = _temp.File("a/b");

        string full = OutputFolder.Prepare(folder);

        Assert.True(Directory.Exists(folder));
        Assert.Equal(Path.GetFullPath(folder), full);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public void Prepare_PathIsAFile_ThrowsNamingItAndTheFix()
    {
        string file = _temp.Write("report", "x");

        var e = Assert.Throws<IOException>(() => OutputFolder.Prepare(file));

        Assert.Contains($"'{file}' is a file", e.Message, StringComparison.Ordinal);
        Assert.Contains("give a folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_FolderThatCannotBeMade_ThrowsSayingItCannotBeWritten()
    {
        // /proc refuses new entries even to root, which chmod-based tests cannot promise.
        var e = Assert.Throws<IOException>(() => OutputFolder.Prepare("/proc/mlnetdistill-no-such-folder"));

        Assert.Contains("'/proc/mlnetdistill-no-such-folder' cannot be written to", e.Message, StringComparison.Ordinal);
        Assert.Contains("choose a folder you can write to", e.Message, StringComparison.Ordinal);
    }
}
