namespace MLNetDistill.Tests.Samples;

/// <summary>The built samples (the test project references them, so they are built first) and a fresh folder to run them from.</summary>
internal static class SamplePrograms
{
    /// <summary>The sample's built entry assembly, in the configuration the tests were built in.</summary>
    public static string Dll(string name)
    {
        // The tests run from tests/MLNetDistill.Tests/bin/<Configuration>/<tfm>/.
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string path = Path.Combine(TestPaths.Repo, "samples", name, "bin", tfm.Parent!.Name, tfm.Name, name + ".dll");
        Assert.True(File.Exists(path), $"the sample {name} is not built at {path}");
        return path;
    }

    /// <summary>An empty folder outside the repository, the working directory of a sample run.</summary>
    public static string EmptyFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", "sample-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
