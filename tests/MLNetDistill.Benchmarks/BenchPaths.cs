using System.Diagnostics;

namespace MLNetDistill.Benchmarks;

/// <summary>Where the benchmark inputs are, and how the teachers too large to commit are made.</summary>
internal static class BenchPaths
{
    public static string Repo { get; } = FindRepo();

    public static string FashionImages => Path.Combine(Repo, "samples", "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz");

    public static string CnnTeacher => Path.Combine(Repo, "samples", "teachers", "fashion_cnn.onnx");

    /// <summary>The 784-1200-1200-10 MLP teacher (2.4M parameters, two outputs), made by PyTorch on first use.</summary>
    public static string MlpTeacher => MadeTeacher("mlp_784_1200_1200_10.onnx", "--bench-mlp");

    /// <summary>The trivial teacher, one 784x10 MatMul plus bias (7,850 parameters), made by PyTorch on first use.</summary>
    public static string TrivialTeacher => MadeTeacher("trivial_784_10.onnx", "--bench-trivial");

    private static string MadeTeacher(string file, string flag)
    {
        string dir = Path.Combine(Repo, "tests", "MLNetDistill.Benchmarks", "teachers");
        string path = Path.Combine(dir, file);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(dir);
            var start = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(Repo, "samples", "teachers", "make_fashion_teachers.py"), flag, path]);
            using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start /usr/bin/python3");
            process.WaitForExit();
            if (process.ExitCode != 0 || !File.Exists(path))
            {
                throw new InvalidOperationException($"Making the benchmark teacher failed; run /usr/bin/python3 samples/teachers/make_fashion_teachers.py {flag} {path} (needs python3-torch, python3-onnx).");
            }
        }

        return path;
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

        throw new InvalidOperationException("Run the benchmarks from inside the MLNetDistill repository.");
    }
}
