using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Experiments;
using MLNetDistill.Teachers;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// The proof table of text distillation on the SpamAssassin corpus (samples/data/spam-assassin/make_csv.py: train.csv and
/// test.csv, the held-out split) with the PyTorch text teacher (samples/teachers/spam_transformer): the teacher, a
/// FeaturizeText + SDCA student on hard labels and the same student distilled, on the held-out rows (accuracy,
/// agreement, log-loss), per-email latency and rows/s of teacher and student; then the unlabeled story (N labeled emails
/// plus M labeled only by the teacher vs the N alone); then the hard-ham group alone with the inheritance table.
/// Run: dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- text-table [csv=FOLDER] [teacher=MODEL.onnx]
///      [student=SPEC] [labeled=300] [unlabeled=3000] [seed=0]
/// </summary>
internal static class TextTableExperiment
{
    public static int Run(string[] args)
    {
        string csv = Path.Combine(BenchPaths.Repo, "samples", "data", "spam-assassin", "csv");
        string teacherFile = Path.Combine(BenchPaths.Repo, "samples", "teachers", "spam_transformer", "model.onnx");
        string student = "sdca:iterations=200,text=word1";
        int labeled = 300, unlabeled = 3000, seed = 0;
        foreach (string arg in args)
        {
            string[] kv = arg.Split('=', 2);
            switch (kv[0])
            {
                case "csv" when kv.Length == 2: csv = kv[1]; break;
                case "teacher" when kv.Length == 2: teacherFile = kv[1]; break;
                case "student" when kv.Length == 2: student = kv[1]; break;
                case "labeled" when kv.Length == 2: labeled = int.Parse(kv[1], CultureInfo.InvariantCulture); break;
                case "unlabeled" when kv.Length == 2: unlabeled = int.Parse(kv[1], CultureInfo.InvariantCulture); break;
                case "seed" when kv.Length == 2: seed = int.Parse(kv[1], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"text-table: unknown argument '{arg}'; usage: text-table [csv=FOLDER] [teacher=MODEL.onnx] [student=SPEC] [labeled=300] [unlabeled=3000] [seed=0]");
                    return 2;
            }
        }

        var mlContext = new MLContext(seed);
        var train = mlContext.Data.Cache(DataSourceReader.LoadText(Path.Combine(csv, "train.csv"), "Text", "Label"));
        var test = mlContext.Data.Cache(DataSourceReader.LoadText(Path.Combine(csv, "test.csv"), "Text", "Label"));
        Console.WriteLine($"data: {Count(train):N0} training and {Count(test):N0} held-out emails ({csv}); teacher {Path.GetFileName(Path.GetDirectoryName(teacherFile))}/{Path.GetFileName(teacherFile)}; student {student}; seed {seed}");
        using var teacher = mlContext.Transforms.ScoreTextWithTeacher(teacherFile, "Text").Fit(train);

        // 1. The whole training set: teacher vs hard labels vs distilled, on the held-out rows.
        var options = new DistillationExperimentOptions { Teacher = teacher, TextColumnName = "Text", Baseline = true, Seed = seed };
        options.Students.Add(DistillationStudent.FromSpec(student));
        var watch = Stopwatch.StartNew();
        using var full = new DistillationExperiment(mlContext, options).Run(train, test);
        double seconds = watch.Elapsed.TotalSeconds;
        var trained = full.Students[0];
        var t = full.Teacher!;
        Console.WriteLine();
        Console.WriteLine($"### Held-out emails ({full.TestRows:N0}), trained on {full.TrainRows:N0} ({seconds:F0} s in all, teacher scoring {full.TeacherScoring.Seconds:F1} s)");
        Console.WriteLine();
        Console.WriteLine("| model | accuracy | agreement | logLoss | retained accuracy | bytes | train s |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        Console.WriteLine(F("| teacher (transformer) | {0:F4} | 1 | {1:F4} | 100% | {2:N0} | |", t.Accuracy, t.LogLoss, full.TeacherModelBytes));
        Console.WriteLine(F("| {0} on hard labels | {1:F4} | {2:F4} | {3:F4} | {4:P1} | {5:N0} | {6:F1} |", student, trained.Baseline!.Metrics.Accuracy, trained.Baseline.Metrics.Agreement,
            trained.Baseline.Metrics.LogLoss, trained.Baseline.Metrics.Accuracy / t.Accuracy, trained.Baseline.ModelBytes, trained.Baseline.TrainSeconds));
        Console.WriteLine(F("| {0} distilled | {1:F4} | {2:F4} | {3:F4} | {4:P1} | {5:N0} | {6:F1} |", student, trained.Distilled.Metrics.Accuracy, trained.Distilled.Metrics.Agreement,
            trained.Distilled.Metrics.LogLoss, trained.Distilled.Metrics.Accuracy / t.Accuracy, trained.Distilled.ModelBytes, trained.Distilled.TrainSeconds));

        // Cost per email: one email at a time (the teacher on a one-row view: tokenize + one ONNX Runtime call; the student
        // through a PredictionEngine), and the whole held-out set in one pass (the teacher batched).
        string[] texts = [.. test.GetColumn<string>("Text")];
        var teacherCost = TimeTeacher(mlContext, teacher, test, texts);
        var studentCost = TimeStudent(mlContext, trained.Distilled.Model, test, texts);
        Console.WriteLine();
        Console.WriteLine("| cost | teacher | student | student cheaper by |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(F("| per email, one at a time (p50 µs) | {0:F0} | {1:F0} | {2:F1}x |", teacherCost.P50, studentCost.P50, teacherCost.P50 / studentCost.P50));
        Console.WriteLine(F("| per email, one at a time (mean µs) | {0:F0} | {1:F0} | {2:F1}x |", teacherCost.Mean, studentCost.Mean, teacherCost.Mean / studentCost.Mean));
        Console.WriteLine(F("| whole held-out set (rows/s) | {0:N0} | {1:N0} | {2:F1}x |", teacherCost.RowsPerSecond, studentCost.RowsPerSecond, studentCost.RowsPerSecond / teacherCost.RowsPerSecond));

        // 2. Unlabeled data: N labeled emails, M more labeled only by the teacher.
        var shuffled = mlContext.Data.Cache(mlContext.Data.ShuffleRows(train, seed: seed));
        var few = mlContext.Data.Cache(mlContext.Data.TakeRows(shuffled, labeled));
        var more = mlContext.Data.Cache(mlContext.Data.TakeRows(mlContext.Data.SkipRows(shuffled, labeled), unlabeled));
        var fewOptions = new DistillationExperimentOptions { Teacher = teacher, TextColumnName = "Text", Baseline = true, Seed = seed };
        fewOptions.Students.Add(DistillationStudent.FromSpec(student));
        using var small = new DistillationExperiment(mlContext, fewOptions).Run(few, test, transfer: more);
        var s = small.Students[0];
        Console.WriteLine();
        Console.WriteLine($"### {labeled:N0} labeled emails, {small.TransferRows:N0} more labeled by the teacher only (held-out: {small.TestRows:N0})");
        Console.WriteLine();
        Console.WriteLine("| student | training rows | accuracy | agreement | logLoss |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine(F("| {0} on the {1:N0} labeled alone | {1:N0} | {2:F4} | {3:F4} | {4:F4} |", student, labeled, s.Baseline!.Metrics.Accuracy, s.Baseline.Metrics.Agreement, s.Baseline.Metrics.LogLoss));
        Console.WriteLine(F("| {0} distilled, + {1:N0} teacher-labeled | {2:N0} | {3:F4} | {4:F4} | {5:F4} |", student, small.TransferRows, labeled + small.TransferRows,
            s.Distilled.Metrics.Accuracy, s.Distilled.Metrics.Agreement, s.Distilled.Metrics.LogLoss));
        Console.WriteLine(F("| teacher | | {0:F4} | 1 | {1:F4} |", small.Teacher!.Accuracy, small.Teacher.LogLoss));

        // 3. Distribution shift: the hard-ham group (legitimate emails that look like spam) of the held-out rows alone.
        var hardHam = HardHam(mlContext, test);
        var scoredHardHam = mlContext.Data.Cache(teacher.Transform(hardHam));
        Console.WriteLine();
        Console.WriteLine($"### Hard ham only ({Count(hardHam):N0} held-out emails of group hard_ham_1, all ham)");
        Console.WriteLine();
        Console.WriteLine("| model | accuracy | agreement | teacher mistakes | copied | fixed | other mistakes | new mistakes |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var teacherHard = DistillationEvaluator.EvaluateDetailed(scoredHardHam, new DistillationEvaluationOptions
        {
            ScoreColumnName = DataColumnNames.TeacherLogits, TeacherColumnName = DataColumnNames.TeacherLogits, ScoresAreLogits = true, TeacherScoresAreLogits = true,
        });
        Console.WriteLine(F("| teacher | {0:F4} | 1 | {1} | | | | |", teacherHard.Accuracy, teacherHard.Inheritance?.TeacherMistakes));
        foreach (var (name, model) in new[] { ("hard labels", trained.Baseline.Model), ("distilled", trained.Distilled.Model) })
        {
            var q = DistillationEvaluator.EvaluateDetailed(model.Transform(scoredHardHam), new DistillationEvaluationOptions
            {
                TeacherColumnName = DataColumnNames.TeacherLogits, TeacherScoresAreLogits = true,
            });
            var i = q.Inheritance!;
            Console.WriteLine(F("| {0} {1} | {2:F4} | {3:F4} | {4} | {5} | {6} | {7} | {8} |", student, name, q.Accuracy, q.Agreement, i.TeacherMistakes, i.Copied, i.Fixed, i.OtherMistakes, i.NewMistakes));
        }

        return 0;
    }

    private static (double P50, double Mean, double RowsPerSecond) TimeTeacher(MLContext mlContext, TeacherScoringTransformer teacher, IDataView test, string[] texts)
    {
        int n = Math.Min(300, texts.Length);
        var times = new double[n];
        for (int i = -20; i < n; i++)
        {
            var row = mlContext.Data.LoadFromEnumerable(new[] { new TextRow { Text = texts[Math.Max(i, 0)] } });
            long start = Stopwatch.GetTimestamp();
            using (var cursor = teacher.Transform(row).GetRowCursor(teacher.Transform(row).Schema.Where(c => c.Name == DataColumnNames.SoftLabels)))
            {
                var getter = cursor.GetGetter<VBuffer<float>>(cursor.Schema[DataColumnNames.SoftLabels]);
                VBuffer<float> v = default;
                while (cursor.MoveNext())
                {
                    getter(ref v);
                }
            }

            if (i >= 0)
            {
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        return (Median(times), times.Average(), Throughput(teacher.Transform(test), DataColumnNames.SoftLabels));
    }

    private static (double P50, double Mean, double RowsPerSecond) TimeStudent(MLContext mlContext, ITransformer model, IDataView test, string[] texts)
    {
        var engine = mlContext.Model.CreatePredictionEngine<TextRow, Prediction>(model);
        int n = Math.Min(300, texts.Length);
        var times = new double[n];
        var input = new TextRow();
        for (int i = -20; i < n; i++)
        {
            input.Text = texts[Math.Max(i, 0)];
            long start = Stopwatch.GetTimestamp();
            engine.Predict(input);
            if (i >= 0)
            {
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        return (Median(times), times.Average(), Throughput(model.Transform(test), DataColumnNames.Score));
    }

    private static double Throughput(IDataView scored, string column)
    {
        long start = Stopwatch.GetTimestamp();
        long rows = 0;
        using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == column));
        var getter = cursor.GetGetter<VBuffer<float>>(cursor.Schema[column]);
        VBuffer<float> v = default;
        while (cursor.MoveNext())
        {
            getter(ref v);
            rows++;
        }

        return rows / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static IDataView HardHam(MLContext mlContext, IDataView test)
    {
        string[] texts = [.. test.GetColumn<string>("Text")];
        string[] groups = [.. test.GetColumn<string>("Group")];
        float[] labels = [.. test.GetColumn<float>("Label")];
        var rows = texts.Select((text, i) => (text, i)).Where(p => groups[p.i] == "hard_ham_1").Select(p => new LabeledText { Text = p.text, Label = labels[p.i] }).ToArray();
        return mlContext.Data.LoadFromEnumerable(rows);
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static long Count(IDataView data)
    {
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            n++;
        }

        return n;
    }

    private static string F(string format, params object?[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    private sealed class LabeledText
    {
        public string Text { get; set; } = "";

        public float Label { get; set; }
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }
}
