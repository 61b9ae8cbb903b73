namespace MLNetDistill.Tests;

/// <summary>Where the committed fixtures, samples and embedded data are.</summary>
internal static class TestPaths
{
    public static string Repo { get; } = FindRepo();

    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string FashionTeacher => Path.Combine(Repo, "samples", "teachers", "fashion_cnn.onnx");

    public static string FashionImages => Path.Combine(Repo, "samples", "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz");

    public static string TempFile(string extension)
    {
        string dir = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, Guid.NewGuid().ToString("N") + extension);
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MLNetDistill.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The tests must run inside the MLNetDistill repository.");
    }
}
