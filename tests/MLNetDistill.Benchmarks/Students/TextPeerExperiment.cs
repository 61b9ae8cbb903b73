using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Text;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Teachers;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// Issue 21 item 1: our default text students against the obvious peer a user builds without us, on the same rows. A split
/// of SpamAssassin (samples/data/spam-assassin/make_csv.py): N labeled rows and M unlabeled rows of train.csv chosen by a
/// seed (System.Random Fisher-Yates), test.csv held out. It trains (a) plain ML.NET at ML.NET's defaults
/// (<c>MapValueToKey</c> + <c>FeaturizeText("Features", "Text")</c> + <c>SdcaMaximumEntropy()</c>) on the N labels plus
/// the teacher's arg-max label of each of the M rows (pseudo-labels), (b) the same on the N labels alone, and (c) our
/// students through the public experiment path (<see cref="DistillationExperiment"/> with TextColumnName and the M rows
/// as transfer: what <c>distill --text Text --train labeled.csv --transfer unlabeled.csv --test test.csv --student X</c>
/// does), and prints accuracy side by side with the load average.
/// Run: dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- text-peer [csv=FOLDER] [teacher=MODEL.onnx]
///      [labeled=300] [unlabeled=3177] [seed=0] ["students=sdca;lbfgs;lightgbm;fasttree"] [peers=true] [write=DIR]
/// <c>write=DIR</c> also writes DIR/labeled.csv (Id, Text, Label, Group) and DIR/unlabeled.csv (Id, Text, Group: no
/// label) of the split, for the same run through the CLI.
/// </summary>
internal static class TextPeerExperiment
{
    private const string Usage = "text-peer [csv=FOLDER] [teacher=MODEL.onnx] [labeled=300] [unlabeled=3177] [seed=0] [\"students=sdca;lbfgs;lightgbm;fasttree\"] [peers=true|false] [write=DIR]";

    public static int Run(string[] args)
    {
        string csv = Path.Combine(BenchPaths.Repo, "samples", "data", "spam-assassin", "csv");
        string teacherFile = Path.Combine(BenchPaths.Repo, "samples", "teachers", "spam_transformer", "model.onnx");
        string students = "sdca;lbfgs;lightgbm;fasttree";
        string? write = null;
        int labeled = 300, unlabeled = 3177, seed = 0;
        bool peers = true;
        foreach (string arg in args)
        {
            string[] kv = arg.Split('=', 2);
            switch (kv[0])
            {
                case "csv" when kv.Length == 2: csv = kv[1]; break;
                case "teacher" when kv.Length == 2: teacherFile = kv[1]; break;
                case "students" when kv.Length == 2: students = kv[1]; break;
                case "labeled" when kv.Length == 2: labeled = int.Parse(kv[1], CultureInfo.InvariantCulture); break;
                case "unlabeled" when kv.Length == 2: unlabeled = int.Parse(kv[1], CultureInfo.InvariantCulture); break;
                case "seed" when kv.Length == 2: seed = int.Parse(kv[1], CultureInfo.InvariantCulture); break;
                case "peers" when kv.Length == 2: peers = bool.Parse(kv[1]); break;
                case "write" when kv.Length == 2: write = kv[1]; break;
                default:
                    Console.Error.WriteLine($"text-peer: unknown argument '{arg}'; usage: {Usage}");
                    return 2;
            }
        }

        var mlContext = new MLContext(seed);
        var all = Email.Read(mlContext, Path.Combine(csv, "train.csv"));
        var testRows = Email.Read(mlContext, Path.Combine(csv, "test.csv"));
        Shuffle(all, seed);
        if (labeled + unlabeled > all.Length)
        {
            Console.Error.WriteLine($"text-peer: labeled={labeled} + unlabeled={unlabeled} is more than the {all.Length:N0} rows of train.csv");
            return 2;
        }

        var few = all[..labeled];
        var more = all[labeled..(labeled + unlabeled)];
        Console.WriteLine($"split: {labeled:N0} labeled + {unlabeled:N0} unlabeled of {all.Length:N0} train.csv rows (seed {seed}), {testRows.Length:N0} test.csv rows; teacher {teacherFile}");
        Console.WriteLine($"load average at start: {LoadAverage()}; ML.NET's FeaturizeText defaults: {DescribeFeaturizeTextDefaults()}");
        if (write is not null)
        {
            Directory.CreateDirectory(write);
            Email.Write(Path.Combine(write, "labeled.csv"), few, withLabel: true);
            Email.Write(Path.Combine(write, "unlabeled.csv"), more, withLabel: false);
            Console.WriteLine($"wrote {write}/labeled.csv and {write}/unlabeled.csv (test: {Path.Combine(csv, "test.csv")})");
        }

        IDataView fewView = mlContext.Data.LoadFromEnumerable(few);
        IDataView moreView = mlContext.Data.LoadFromEnumerable(more);
        IDataView testView = mlContext.Data.LoadFromEnumerable(testRows);
        using var teacher = mlContext.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = teacherFile, TextColumnName = "Text" }).Fit(fewView);
        var rows = new List<(string What, long Rows, double Accuracy, double Seconds)>();
        if (peers)
        {
            // The teacher's arg-max label of each unlabeled row (class index i is label value i: checked on the test rows).
            float[] pseudo = ArgMax(teacher.Transform(moreView));
            float[] testPredicted = ArgMax(teacher.Transform(testView));
            double teacherAccuracy = testRows.Select((e, i) => e.Label == testPredicted[i] ? 1.0 : 0.0).Average();
            Console.WriteLine(F("teacher accuracy on test.csv (arg-max = label value): {0:F4}", teacherAccuracy));
            var pseudoRows = few.Concat(more.Select((e, i) => e with { Label = pseudo[i] })).ToArray();
            rows.Add(Peer(mlContext, "plain ML.NET (FeaturizeText + SdcaMaximumEntropy, defaults) on labels + teacher's arg-max labels", pseudoRows, testView));
            rows.Add(Peer(mlContext, "plain ML.NET (same) on the labels alone", few, testView));
        }

        var options = new DistillationExperimentOptions { Teacher = teacher, TextColumnName = "Text", Seed = seed };
        foreach (string spec in students.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            options.Students.Add(DistillationStudent.FromSpec(spec));
        }

        var progress = new LineProgress();
        var experiment = new DistillationExperiment(mlContext, options)
        {
            // Each student's figure as soon as it is known (a long run can be read while it goes on).
            AfterStudent = s => Console.WriteLine(F("ours, distilled: {0}: {1:F4} ({2:F0} s)", s.Description, s.Distilled.Metrics.Accuracy, s.Distilled.TrainSeconds)),
        };
        using var result = experiment.Run(fewView, testView, moreView, progress);
        foreach (var s in result.Students)
        {
            rows.Add(($"ours, distilled: {s.Description}", result.TrainRows + result.TransferRows, s.Distilled.Metrics.Accuracy, s.Distilled.TrainSeconds));
        }

        Console.WriteLine();
        Console.WriteLine($"### {labeled:N0} labeled + {unlabeled:N0} unlabeled (seed {seed}), test.csv {testRows.Length:N0} rows, teacher {Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(teacherFile)))} ({F("{0:F4}", result.Teacher!.Accuracy)})");
        Console.WriteLine();
        Console.WriteLine("| model | training rows | accuracy | train s |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (what, n, accuracy, seconds) in rows)
        {
            Console.WriteLine(F("| {0} | {1:N0} | {2:F4} | {3:F0} |", what, n, accuracy, seconds));
        }

        Console.WriteLine();
        Console.WriteLine($"load average at end: {LoadAverage()}");
        return 0;
    }

    /// <summary>The peer: ML.NET at its defaults, as a user without us writes it.</summary>
    private static (string, long, double, double) Peer(MLContext mlContext, string what, Email[] train, IDataView test)
    {
        var watch = Stopwatch.StartNew();
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.Text.FeaturizeText("Features", "Text"))
            .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy());
        var model = pipeline.Fit(mlContext.Data.LoadFromEnumerable(train));
        double seconds = watch.Elapsed.TotalSeconds;
        var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test));
        Console.WriteLine(F("{0}: {1:F4} ({2:F0} s)", what, metrics.MicroAccuracy, seconds));
        return (what, train.Length, metrics.MicroAccuracy, seconds);
    }

    /// <summary>ML.NET's own FeaturizeText defaults, read from its options object (not assumed).</summary>
    internal static string DescribeFeaturizeTextDefaults()
    {
        var o = new TextFeaturizingEstimator.Options();
        return F("word n-grams up to {0} (all lengths {1}), char n-grams {2} (all lengths {3}), case {4}, norm {5}",
            o.WordFeatureExtractor.NgramLength, o.WordFeatureExtractor.UseAllLengths, o.CharFeatureExtractor.NgramLength, o.CharFeatureExtractor.UseAllLengths, o.CaseMode, o.Norm);
    }

    private static float[] ArgMax(IDataView scored)
    {
        var result = new List<float>();
        using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == DataColumnNames.SoftLabels));
        var getter = cursor.GetGetter<VBuffer<float>>(scored.Schema[DataColumnNames.SoftLabels]);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            var values = buffer.DenseValues().ToArray();
            int best = 0;
            for (int k = 1; k < values.Length; k++)
            {
                if (values[k] > values[best])
                {
                    best = k;
                }
            }

            result.Add(best);
        }

        return [.. result];
    }

    private static void Shuffle(Email[] rows, int seed)
    {
        var random = new Random(seed);
        for (int i = rows.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (rows[i], rows[j]) = (rows[j], rows[i]);
        }
    }

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";

    private static string F(string format, params object?[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

    /// <summary>A progress that prints each step on its own line, at once (the stages of our students).</summary>
    private sealed class LineProgress : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value)
        {
            if (value.Epoch is null)
            {
                Console.WriteLine($"  [{DateTime.UtcNow:HH:mm:ss}] {value.Message}");
            }
        }
    }

    /// <summary>One email of a SpamAssassin CSV.</summary>
    internal sealed record Email
    {
        public string Id { get; init; } = "";

        public string Text { get; init; } = "";

        public float Label { get; init; }

        public string Group { get; init; } = "";

        public static Email[] Read(MLContext mlContext, string path)
        {
            var view = DataSourceReader.LoadText(path, "Text", "Label");
            string[] ids = [.. view.GetColumn<string>("Id")];
            string[] texts = [.. view.GetColumn<string>("Text")];
            float[] labels = [.. view.GetColumn<float>("Label")];
            string[] groups = [.. view.GetColumn<string>("Group")];
            return [.. ids.Select((id, i) => new Email { Id = id, Text = texts[i], Label = labels[i], Group = groups[i] })];
        }

        public static void Write(string path, Email[] rows, bool withLabel)
        {
            using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
            writer.Write(withLabel ? "Id,Text,Label,Group\n" : "Id,Text,Group\n");
            foreach (var e in rows)
            {
                writer.Write(Quote(e.Id));
                writer.Write(',');
                writer.Write(Quote(e.Text));
                if (withLabel)
                {
                    writer.Write(',');
                    writer.Write(e.Label.ToString(CultureInfo.InvariantCulture));
                }

                writer.Write(',');
                writer.Write(Quote(e.Group));
                writer.Write('\n');
            }
        }

        private static string Quote(string s) => "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
