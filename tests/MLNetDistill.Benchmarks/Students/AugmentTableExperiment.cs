using System.Globalization;
using Microsoft.ML;
using MLNetDistill.Augmentation;
using MLNetDistill.Data;
using MLNetDistill.Experiments;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// The proof table of teacher-labeled augmentation on tabular data: UCI digits (10 classes) and breast cancer (binary),
/// each with its teacher trained on the training CSV only (samples/teachers/make_tabular_teachers.py), a LightGbm
/// (100 trees) and an SDCA student distilled on the training rows alone, then with each augmentation (factor 5, defaults
/// otherwise), plus the hard-label twin; all evaluated on the held-out CSV.
/// Run: dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- augment-table [seeds=1]
/// (with seeds=N each figure is the mean over experiment seeds 0..N-1, accuracy with its standard deviation).
/// </summary>
internal static class AugmentTableExperiment
{
    private static readonly string[] Students = ["lightgbm:trees=100", "sdca"];

    /// <summary>The augmentation rows: a name and how it sets the experiment's options (null: none; that row also trains the hard-label twin).</summary>
    private static readonly (string Name, Action<DistillationExperimentOptions>? Configure)[] DefaultAugmentations =
    [
        ("none", null),
        ("spunge", o => o.Augmentation = AugmentationOptions.Parse("spunge")),
        ("munge", o => o.Augmentation = AugmentationOptions.Parse("munge")),
        ("mixup", o => o.Augmentation = AugmentationOptions.Parse("mixup")),
    ];

    public static int Run(string[] args)
    {
        int seeds = 1;
        var augmentations = DefaultAugmentations.ToList();
        string[] students = Students;
        string? onlyDataset = null;
        float? alpha = null;
        float? temperature = null;
        string committed = Path.Combine(BenchPaths.Repo, "tests", "MLNetDistill.Tests", "Fixtures");
        string[] splits = [committed];
        string? plotFile = null;
        foreach (string arg in args)
        {
            if (arg.StartsWith("seeds=", StringComparison.Ordinal) && int.TryParse(arg.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0)
            {
                seeds = n;
            }
            else if (arg.StartsWith("augments=", StringComparison.Ordinal))
            {
                // e.g. augments="none;spunge;spunge:levels=0": the rows to run, each an --augment spec ('none' is no augmentation).
                augmentations = arg[9..].Split(';', StringSplitOptions.RemoveEmptyEntries)
                    .Select(spec => (spec, spec == "none" ? null : (Action<DistillationExperimentOptions>?)(o => o.Augmentation = AugmentationOptions.Parse(spec))))
                    .ToList();
            }
            else if (arg.StartsWith("students=", StringComparison.Ordinal))
            {
                students = arg[9..].Split(';', StringSplitOptions.RemoveEmptyEntries);
            }
            else if (arg.StartsWith("alpha=", StringComparison.Ordinal))
            {
                alpha = float.Parse(arg.AsSpan(6), CultureInfo.InvariantCulture);
            }
            else if (arg.StartsWith("temperature=", StringComparison.Ordinal))
            {
                temperature = float.Parse(arg.AsSpan(12), CultureInfo.InvariantCulture);
            }
            else if (arg.StartsWith("fixtures=", StringComparison.Ordinal))
            {
                // Other splits: comma-separated folders, each with digits_train.csv, digits_test.csv and digits_teacher.onnx
                // (samples/teachers/make_tabular_teachers.py --digits-split-seed N --out DIR), 'committed' for the tests'
                // fixtures; use with dataset=digits. With more than one, a summary of the gains over the splits follows.
                splits = arg[9..].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(f => f == "committed" ? committed : f).ToArray();
            }
            else if (arg.StartsWith("plot=", StringComparison.Ordinal))
            {
                plotFile = arg[5..]; // a PNG of each augmentation's agreement and accuracy gain over 'none', split by split
            }
            else if (arg.StartsWith("dataset=", StringComparison.Ordinal))
            {
                onlyDataset = arg[8..];
            }
            else
            {
                Console.Error.WriteLine($"augment-table: unknown argument '{arg}'; usage: augment-table [seeds=1] [augments=\"none;spunge;munge:p=0.5\"] [students=\"lightgbm:trees=100;sdca\"] [dataset=digits|breast_cancer] [alpha=0.5] [temperature=1] [fixtures=DIR,DIR|committed] [plot=gains.png]");
                return 2;
            }
        }

        Console.WriteLine("| dataset | student | augment | accuracy | agreement | logLoss | train s | synthetic rows | teacher share |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var teachers = new List<string>();
        var summary = new List<AugmentSplitSummary.Result>();
        (string Name, string Prefix)[] datasets = [("digits", "digits"), ("breast cancer", "breast_cancer")];
        foreach (var (split, name0, prefix) in Enumerable.Range(0, splits.Length).SelectMany(i => datasets.Select(d => (i, d.Name, d.Prefix))))
        {
            if (onlyDataset is not null && onlyDataset != prefix)
            {
                continue;
            }

            string fixtures = splits[split];
            string dataset = splits.Length > 1 ? $"{name0} (split {split + 1}: {Path.GetFileName(Path.TrimEndingDirectorySeparator(fixtures))})" : name0;

            var train = CsvFeatureReader.Load(Path.Combine(fixtures, prefix + "_train.csv"), "label");
            var test = CsvFeatureReader.Load(Path.Combine(fixtures, prefix + "_test.csv"), "label");
            string teacher = Path.Combine(fixtures, prefix + "_teacher.onnx");
            foreach (string student in students)
            {
                var twin = new List<Row>();
                foreach (var (name, configure) in augmentations)
                {
                    var rows = new List<Row>();
                    for (int seed = 0; seed < seeds; seed++)
                    {
                        var options = new DistillationExperimentOptions { TeacherModelFile = teacher, Seed = seed, Baseline = configure is null, Alpha = alpha, Temperature = temperature };
                        options.Students.Add(DistillationStudent.FromSpec(student));
                        configure?.Invoke(options);
                        using var result = new DistillationExperiment(new MLContext(seed), options).Run(train, test);
                        var s = result.Students[0];
                        if (teachers.Count == 0 || !teachers[^1].StartsWith(dataset, StringComparison.Ordinal))
                        {
                            teachers.Add($"{dataset}: teacher accuracy {result.Teacher!.Accuracy:F4} on {result.TestRows} held-out rows ({result.TrainRows} training rows)");
                        }

                        rows.Add(Row.Of(s.Distilled, result.Augmentation?.SyntheticRows ?? 0, result.Augmentation?.TeacherShare ?? 0));
                        if (s.Baseline is { } b)
                        {
                            twin.Add(Row.Of(b, 0, 0));
                        }
                    }

                    Print(dataset, student, name, rows);
                    summary.Add(new(split, name0, student, name, rows.Average(r => r.Accuracy), rows.Average(r => r.Agreement)));
                }

                if (twin.Count > 0)
                {
                    Print(dataset, student, "hard-label twin", twin);
                }
            }
        }

        Console.WriteLine();
        foreach (string line in teachers)
        {
            Console.WriteLine(line);
        }

        if (splits.Length > 1)
        {
            AugmentSplitSummary.Print(summary, splits.Length);
        }

        if (plotFile is not null)
        {
            AugmentSplitSummary.Plot(summary, splits.Length, plotFile);
            Console.WriteLine($"plot: {Path.GetFullPath(plotFile)}");
        }

        Console.WriteLine("augment: the method's spec with its defaults (factor 5); synthetic rows: made from the training rows and labeled by the teacher; teacher share: the share of the teacher's scoring time spent on them.");
        return 0;
    }

    private static void Print(string dataset, string student, string augment, List<Row> rows)
    {
        double mean = rows.Average(r => r.Accuracy);
        string accuracy = rows.Count > 1
            ? $"{mean:F4} ± {Math.Sqrt(rows.Sum(r => (r.Accuracy - mean) * (r.Accuracy - mean)) / (rows.Count - 1)):F4}"
            : $"{mean:F4}";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {dataset} | {student} | {augment} | {accuracy} | {rows.Average(r => r.Agreement):F4} | {rows.Average(r => r.LogLoss):F4} | {rows.Average(r => r.Seconds):F2} | {rows.Average(r => r.Synthetic):N0} | {rows.Average(r => r.TeacherShare):F3} |"));
    }

    private sealed record Row(double Accuracy, double Agreement, double LogLoss, double Seconds, double Synthetic, double TeacherShare)
    {
        public static Row Of(DistillationTrainedModel model, long synthetic, double teacherShare) =>
            new(model.Metrics.Accuracy, model.Metrics.Agreement, model.Metrics.LogLoss, model.TrainSeconds, synthetic, teacherShare);
    }
}
