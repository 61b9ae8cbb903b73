using System.CommandLine;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;

namespace MLNetDistill.Cli.Commands;

/// <summary><c>mlnet-distill demo</c>: the main job on the embedded Fashion-MNIST test set and CNN teacher.</summary>
internal static class DemoCommand
{
    private static readonly string[] Students = ["sdca", "mlp:128"];

    public static Command Create()
    {
        var output = new Option<string?>("--out") { Description = "Folder for the demo's outputs (default: a folder under the system temp folder)." };
        var command = new Command("demo", "Score the embedded Fashion-MNIST 10k test set once with the embedded PyTorch CNN teacher, distill small students from it and compare them.") { output };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            string folder = parse.GetValue(output) ?? Path.Combine(Path.GetTempPath(), "mlnet-distill-demo");
            Directory.CreateDirectory(folder);
            string teacher = DefaultFile("fashion_cnn.onnx");
            string images = DefaultFile("t10k-images-idx3-ubyte.gz");
            Console.WriteLine($"teacher: {teacher}");
            Console.WriteLine($"data:    {images} (Fashion-MNIST test set, 10,000 images)");

            var mlContext = new MLContext(seed: 0);
            var options = new DistillationExperimentOptions { TeacherModelFile = teacher, Baseline = true };
            foreach (string spec in Students)
            {
                options.Students.Add(DistillationStudent.FromSpec(spec));
            }

            var progress = new StageProgress(p => Console.Error.WriteLine(p.Message));
            using var result = new DistillationExperiment(mlContext, options).Run(DataSourceReader.Load(images), progress: progress, cancellationToken: token);
            var scoring = result.TeacherScoring;
            Console.WriteLine($"scored {scoring.TotalRows:N0} rows once in {scoring.Seconds:F2} s ({result.TrainRows:N0} to train on, {result.TestRows:N0} held out); every student below reuses them");
            Console.WriteLine($"teacher accuracy: {result.TeacherOnAllRows!.Accuracy:P2} on all {result.TeacherOnAllRows.Rows:N0} rows, {result.Teacher!.Accuracy:P2} on the {result.TestRows:N0} held-out rows");
            Console.WriteLine();
            Console.WriteLine($"students trained on the {result.TrainRows:N0} training rows; accuracy, agreement with the teacher and log-loss on the {result.TestRows:N0} held-out rows:");
            Console.WriteLine($"{"model",-30} {"accuracy",9} {"agreement",10} {"logLoss",8} {"size",12} {"train s",8}");
            Row("teacher (CNN)", DistillationModelReport.From(result.Teacher, 0, result.TeacherModelBytes));
            foreach (var student in result.Students)
            {
                string name = student.Spec!.Family;
                token.ThrowIfCancellationRequested();
                DistillationResultWriter.SaveModel(mlContext, student.Distilled, result.InputSchema, Path.Combine(folder, $"student-{name}.zip"));
                DistillationResultWriter.WriteReport(DistillationReport.From(result, student), Path.Combine(folder, $"report-{name}.json"));
                Row(student.Name + " distilled", DistillationModelReport.From(student.Distilled));
                Row(student.Name + " hard labels", DistillationModelReport.From(student.Baseline!));
            }

            Console.WriteLine($"models and reports: {folder}");
            return Task.FromResult(0);
        }, ct));
        return command;
    }

    private static void Row(string name, DistillationModelReport m) =>
        Console.WriteLine($"{name,-30} {m.Accuracy,9:F4} {m.Agreement,10:F4} {m.LogLoss,8:F4} {m.ModelBytes,12:N0} {m.TrainSeconds,8:F1}");

    internal static string DefaultFile(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "defaults", name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The embedded default file '{name}' is missing from {Path.GetDirectoryName(path)}; rebuild the CLI from the repository (it copies samples/ there).", path);
    }

    /// <summary>Prints what the experiment is doing (not each epoch) as it happens.</summary>
    private sealed class StageProgress(Action<DistillationProgress> report) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value)
        {
            if (value.Epoch is null)
            {
                report(value);
            }
        }
    }
}
