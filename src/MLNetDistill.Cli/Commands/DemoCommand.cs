using System.CommandLine;
using MLNetDistill.Teachers;

namespace MLNetDistill.Cli.Commands;

/// <summary><c>mlnet-distill demo</c>: the main job on the embedded Fashion-MNIST test set and CNN teacher.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--out") { Description = "Folder for the demo's outputs (default: a folder under the system temp folder)." };
        var command = new Command("demo", "Score the embedded Fashion-MNIST 10k test set with the embedded PyTorch CNN teacher, distill small students from it and compare them.") { output };
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
            Console.WriteLine();
            Console.WriteLine("distilling small students (80% of the set to train, 20% held out to evaluate):");
            Console.WriteLine($"{"student",-28} {"accuracy",9} {"agreement",10} {"logLoss",8} {"size",12} {"train s",8}");
            foreach (string spec in new[] { "sdca", "mlp:128:epochs=15" })
            {
                token.ThrowIfCancellationRequested();
                string name = spec.Split(':')[0];
                var run = new MLNetDistill.Students.DistillationRunOptions
                {
                    Teacher = teacher,
                    Train = images,
                    Student = spec,
                    Baseline = true,
                    Out = Path.Combine(folder, $"student-{name}.zip"),
                    Report = Path.Combine(folder, $"report-{name}.json"),
                };
                var report = MLNetDistill.Students.DistillationRun.Run(new Microsoft.ML.MLContext(0), run);
                if (spec == "sdca")
                {
                    Row("teacher (CNN)", report.Teacher);
                }

                Row(spec + " distilled", report.Student);
                Row(spec + " hard labels", report.Baseline!);
            }

            Console.WriteLine($"models and reports: {folder}");
            return Task.FromResult(0);
        }, ct));
        return command;
    }

    private static void Row(string name, MLNetDistill.Students.DistillationModelReport m) =>
        Console.WriteLine($"{name,-28} {m.Accuracy,9:F4} {m.Agreement,10:F4} {m.LogLoss,8:F4} {m.ModelBytes,12:N0} {m.TrainSeconds,8:F1}");

    internal static string DefaultFile(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "defaults", name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The embedded default file '{name}' is missing from {Path.GetDirectoryName(path)}; rebuild the CLI from the repository (it copies samples/ there).", path);
    }
}
