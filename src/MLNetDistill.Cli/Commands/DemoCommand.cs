using System.CommandLine;
using MLNetDistill.Teachers;

namespace MLNetDistill.Cli.Commands;

/// <summary><c>mlnet-distill demo</c>: the main job on the embedded Fashion-MNIST test set and CNN teacher.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--out") { Description = "Folder for the demo's outputs (default: a folder under the system temp folder)." };
        var command = new Command("demo", "Score the embedded Fashion-MNIST 10k test set with the embedded PyTorch CNN teacher and print a summary.") { output };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            string folder = parse.GetValue(output) ?? Path.Combine(Path.GetTempPath(), "mlnet-distill-demo");
            Directory.CreateDirectory(folder);
            string teacher = DefaultFile("fashion_cnn.onnx");
            string images = DefaultFile("t10k-images-idx3-ubyte.gz");
            Console.WriteLine($"teacher: {teacher}");
            Console.WriteLine($"data:    {images} (Fashion-MNIST test set, 10,000 images)");
            var options = new TeacherScoringOptions { ModelFile = teacher };
            ScoreCommand.Run(options, images, null, null, Path.Combine(folder, "teacher-cache.parquet"), json: false, token);
            return Task.FromResult(0);
        }, ct));
        return command;
    }

    internal static string DefaultFile(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "defaults", name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The embedded default file '{name}' is missing from {Path.GetDirectoryName(path)}; rebuild the CLI from the repository (it copies samples/ there).", path);
    }
}
