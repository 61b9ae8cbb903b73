using System.CommandLine;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Reports;

namespace MLNetDistill.Cli.Commands;

/// <summary>
/// <c>mlnet-distill demo</c>: the whole story on the embedded Fashion-MNIST test set and CNN teacher. The teacher scores
/// the images once, the default grid of students (<see cref="StudentSizeExperiment.DefaultStudents"/>) trains on those
/// scored rows, and the comparison (leaderboard, chart, reports, models) is written to <c>./distill-demo/</c>.
/// </summary>
internal static class DemoCommand
{
    /// <summary>The default output folder, under the current folder.</summary>
    internal const string DefaultFolder = "distill-demo";

    /// <summary>The demo's default tolerance.</summary>
    internal const string DefaultWithin = "10%";

    /// <summary>The report files a reader opens first, in the order to open them (those written are listed).</summary>
    private static readonly string[] LookAt = [StudentSizeReport.ReportHtmlFileName, StudentSizeReport.ChartFileName, StudentSizeReport.LeaderboardFileName, StudentSizeReport.ReportFileName];

    public static Command Create()
    {
        var output = new Option<string?>("--out")
        {
            Description = $"Folder for the comparison: {StudentSizeReport.ReportHtmlFileName}, {StudentSizeReport.ChartFileName}, {StudentSizeReport.LeaderboardFileName}, {StudentSizeReport.ReportFileName} and each student's model (default: ./{DefaultFolder} in the current folder; made when missing, files of the same names replaced).",
        };
        var within = new Option<string>("--within")
        {
            Description = "Pick the smallest student whose accuracy is within this percentage of the teacher's (default 10%: students trained on 8,000 images do not come within 2% of the CNN).",
            DefaultValueFactory = _ => DefaultWithin,
        };
        var seed = new Option<int>("--seed") { Description = "Seed (same seed gives the same models and reports, apart from timings).", DefaultValueFactory = _ => 0 };
        var students = CompareCommand.StudentsOption();
        var command = new Command(
            "demo",
            $"Score the embedded Fashion-MNIST 10k test set once with the embedded PyTorch CNN teacher, train the default students on it ({string.Join(", ", StudentSizeExperiment.DefaultStudents)}), rank them on accuracy vs size, pick the smallest within --within of the teacher, and write the report to ./{DefaultFolder}.")
        {
            output, within, seed, students,
        };
        var teacherOptions = new TeacherOptions();
        teacherOptions.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            string folder = parse.GetValue(output) ?? Path.Combine(Environment.CurrentDirectory, DefaultFolder);
            if (File.Exists(folder))
            {
                throw new IOException($"--out {folder} is a file: give a folder (it is made when missing).");
            }

            // Before scoring and training: the results must be writable where they are asked for.
            OutputFolder.Prepare(folder);

            string teacher = DefaultFile("fashion_cnn.onnx");
            string images = DefaultFile("t10k-images-idx3-ubyte.gz");
            Console.WriteLine($"teacher:  {teacher}");
            Console.WriteLine($"data:     {images} (Fashion-MNIST test set, 10,000 images; 20% held out to measure on)");
            string[] specs = CompareCommand.SplitStudents(parse.GetValue(students) ?? CompareCommand.DefaultStudents);
            Console.WriteLine($"students: {string.Join(", ", specs)}");
            IDataView data = DataSourceReader.Load(images);
            var trainable = SkipMissingNative(specs, data);

            int seedValue = parse.GetValue(seed);
            var mlContext = new MLContext(seedValue);
            TeacherOptions.PrintWarnings(mlContext);
            var experiment = new StudentSizeExperiment(mlContext)
                .SetTeacher(teacher, teacherOptions.Read(parse, textColumn: null))
                .AddStudents(trainable)
                .SetCostAxis(LeaderboardCostAxis.Size)
                .SetAccuracyTolerance(CompareCommand.ParseWithin(parse.GetValue(within)!))
                .SetSeed(seedValue);
            using var result = TrialTable.Run(experiment.Options.Students.Select(s => s.Name), progress => experiment.Run(data, progress: progress, cancellationToken: token));
            StudentSizeReport.WriteAll(mlContext, result, folder, token);

            var run = result.Experiment;
            var scoring = run.TeacherScoring;
            Console.WriteLine();
            Console.WriteLine($"scored {scoring.TotalRows:N0} rows once in {scoring.Seconds:F2} s ({run.TrainRows:N0} to train on, {run.TestRows:N0} held out); every student below reuses them");
            if (run.TeacherOnAllRows is { } all && run.Teacher is { } heldOut)
            {
                Console.WriteLine($"teacher accuracy: {all.Accuracy:P2} on all {all.Rows:N0} rows, {heldOut.Accuracy:P2} on the {run.TestRows:N0} held-out rows");
            }

            Console.WriteLine($"students ranked by size (bytes of the deployable file); accuracy and agreement with the teacher on the {run.TestRows:N0} held-out rows; {result.Seconds:F1} s in all:");
            CompareCommand.Print(result, folder);
            Console.WriteLine();
            Console.WriteLine("where to look:");
            foreach (string name in LookAt)
            {
                string path = Path.Combine(folder, name);
                if (File.Exists(path))
                {
                    Console.WriteLine($"  {path}");
                }
            }

            return Task.FromResult(0);
        }, ct, TeacherOptions.WithFlags(null)));
        return command;
    }

    /// <summary>
    /// The students this machine can train: LightGBM ones are left out, with a <c>warning:</c> line naming them and why,
    /// where LightGBM's native library does not load (no x64 build for arm64, no libgomp1), so the demo still runs.
    /// </summary>
    internal static IReadOnlyList<string> SkipMissingNative(IReadOnlyList<string> specs, IDataView data, Action<string>? tryTrain = null)
    {
        var split = NativeStudents.SkipMissing(specs, tryTrain ?? (_ => NativeStudents.TrainLightGbm(data)));
        if (split.Skipped.Count == 0)
        {
            return split.Kept;
        }

        string names = string.Join(", ", split.Skipped);
        if (split.Kept.Count == 0)
        {
            throw new InvalidOperationException(
                $"No student can be trained here: {names} need a native library that does not load: {split.Reason}. Name students of other families with --students, e.g. \"sdca;mlp:32;fasttree:trees=30\".");
        }

        Console.Error.WriteLine($"warning: skipped {names}: {split.Reason}. The LightGBM package ships its native library for x64 only (on Linux it also needs libgomp1: apt-get install libgomp1); the other students go on.");
        Console.WriteLine($"students: {string.Join(", ", split.Kept)} ({names} skipped: LightGBM's native library does not load here)");
        return split.Kept;
    }

    internal static string DefaultFile(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "defaults", name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The embedded default file '{name}' is missing from {Path.GetDirectoryName(path)}; rebuild the CLI from the repository (it copies samples/ there).", path);
    }
}
