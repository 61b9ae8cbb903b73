using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

public sealed class OutputFolderFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void PrepareForFile_Root_ThrowsArgumentNamingPath()
    {
        var ex = Assert.Throws<ArgumentException>(() => OutputFolder.PrepareForFile("/", "report"));

        Assert.Equal("report", ex.ParamName);
        Assert.Contains("'/' is a folder, not a file", ex.Message);
    }

    [Fact]
    public void PrepareForFile_ExistingFolder_ThrowsArgumentNamingPath()
    {
        var ex = Assert.Throws<ArgumentException>(() => OutputFolder.PrepareForFile(_temp.Path, "output"));

        Assert.Contains($"'{_temp.Path}' is a folder, not a file", ex.Message);
    }

    [Fact]
    public void PrepareForFile_FileInMissingFolder_MakesTheFolderAndReturnsTheFullPath()
    {
        string file = Path.Combine(_temp.Path, "new", "deeper", "report.json");

        string full = OutputFolder.PrepareForFile(file, "report");

        Assert.Equal(Path.GetFullPath(file), full);
        Assert.True(Directory.Exists(Path.GetDirectoryName(file)));
        Assert.False(File.Exists(file));
    }
}
