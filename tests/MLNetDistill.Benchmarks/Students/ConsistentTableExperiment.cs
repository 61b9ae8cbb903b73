using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Students;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Teachers;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// Consistent teaching (Beyer et al. 2022, function matching with mixup, the teacher scoring every mixed batch on the
/// fly) against plain KD on the fixed soft labels and hard labels: 784-H-10 students (H = 128) on rows [2000, 2000 + N)
/// of the embedded 10k Fashion-MNIST set, evaluated on its first 2,000 rows, with the embedded CNN teacher.
/// Run: dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- consistent-table [rows=5000] [seeds=3]
///      [--epochs 200] [--a 0.2] [--width 128] [--fixed-epochs] [--shift 2] [--variants hard,kd,kd-fixed@1000,mixup@200,shift+flip@3000,...]
///      [--specs "mlp:128:augment=shift,flip=1,epochs=300;mlp:64"]
/// Every row is a student spec trained through the public path a user has, <see cref="DistillationExperiment"/> with
/// <see cref="DistillationStudent.FromSpec"/> (what <c>distill --student SPEC --seed S</c> runs), so its figures are the
/// spec's: the table prints the spec. Variants name specs: hard = the hard-label twin of <c>mlp:H</c> (<c>--baseline</c>),
/// kd = <c>mlp:H</c> (the automatic schedule), kd-fixed@N = <c>mlp:H:epochs=N,patience=0</c> (plain KD over the same
/// explicit budget, no early stopping), mixup@N = <c>mlp:H:augment=mixup,a=A,epochs=N</c>, shift@N / shift+flip@N =
/// <c>mlp:H:augment=shift,shift=S[,flip=1],epochs=N</c>, mixup+shift[+flip]@N likewise (an explicit budget with an augment
/// is a patient schedule: a cosine over N epochs, no early stopping, the best validation epoch kept). A variant id may end
/// in @EPOCHS, its own budget instead of --epochs; --specs adds any specs (separated by ';').
/// --teacher-probe measures the teacher's rows/s by rows per Run instead.
/// epochs/s counts every epoch the trainer ran (both passes of the automatic schedule) over their seconds; the epochs
/// column is the model's (best/run for an explicit budget, the final pass for the automatic schedule).
/// </summary>
internal static class ConsistentTableExperiment
{
    private const int HeldOut = 2000;
    private const int Classes = 10;

    public static int Run(string[] args)
    {
        var positional = new List<int>();
        int epochs = 200;
        float a = 0.2f;
        int width = 128;
        bool fixedEpochs = false;
        int shift = 2;
        string[]? only = null;
        var extraSpecs = new List<string>();
        bool teacherProbe = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--epochs": epochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--a": a = float.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--width": width = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--fixed-epochs": fixedEpochs = true; break;
                case "--teacher-probe": teacherProbe = true; break;
                case "--shift": shift = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--variants": only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--specs": extraSpecs.AddRange(args[++i].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                default: positional.Add(int.Parse(args[i], CultureInfo.InvariantCulture)); break;
            }
        }

        int rows = positional.Count > 0 ? positional[0] : 5000;
        int seeds = positional.Count > 1 ? positional[1] : 3;
        var ml = new MLContext(0);
        IDataView all = DataSourceReader.Load(BenchPaths.FashionImages);
        rows = (int)Math.Min(rows, (all.GetRowCount() ?? 10_000) - HeldOut);
        // The same rows a user gets with `distill --train` on files of rows [2000, 2000 + N) and `--test` of rows [0, 2000).
        IDataView train = ml.Data.TakeRows(ml.Data.SkipRows(all, HeldOut), rows);
        IDataView test = ml.Data.TakeRows(all, HeldOut);
        var defaults = new MlpTrainerOptions();
        using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = BenchPaths.CnnTeacher, Temperature = defaults.Temperature }).Fit(train);
        if (teacherProbe)
        {
            var (x, _, d, _) = IdxReader.ReadAll(BenchPaths.FashionImages);
            ProbeTeacher(teacher, x.AsSpan(HeldOut * d, rows * d).ToArray(), rows, d);
            return 0;
        }

        string aText = a.ToString(CultureInfo.InvariantCulture);
        string? Spec(string id, int n) => id switch
        {
            "hard" or "kd" => $"mlp:{width}",
            "kd-fixed" => $"mlp:{width}:epochs={n},patience=0",
            "mixup" => $"mlp:{width}:augment=mixup,a={aText},epochs={n}",
            "shift" => $"mlp:{width}:augment=shift,shift={shift},epochs={n}",
            "shift+flip" => $"mlp:{width}:augment=shift,shift={shift},flip=1,epochs={n}",
            "mixup+shift" => $"mlp:{width}:augment=mixup+shift,a={aText},shift={shift},epochs={n}",
            "mixup+shift+flip" => $"mlp:{width}:augment=mixup+shift,a={aText},shift={shift},flip=1,epochs={n}",
            _ => null,
        };

        // A variant id may carry its own epoch budget: shift+flip@3000.
        only ??= extraSpecs.Count > 0 ? [] : fixedEpochs ? ["hard", "kd", "kd-fixed", "mixup", "mixup+shift"] : ["hard", "kd", "mixup", "mixup+shift"];
        var variants = new List<(string Spec, bool HardLabels)>();
        foreach (string item in only)
        {
            string[] parts = item.Split('@');
            int n = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : epochs;
            if (Spec(parts[0], n) is not { } spec)
            {
                Console.Error.WriteLine($"error: unknown variant {item}; use hard, kd, kd-fixed, mixup, shift, shift+flip, mixup+shift, mixup+shift+flip (optionally @EPOCHS), or --specs");
                return 2;
            }

            variants.Add((spec, parts[0] == "hard"));
        }

        variants.AddRange(extraSpecs.Select(spec => (spec, false)));
        double teacherAccuracy = TeacherAccuracy(teacher, test);
        Console.WriteLine($"Consistent teaching, 784-{width}-10 on rows [{HeldOut}, {HeldOut + rows}) of the embedded 10k Fashion-MNIST set, evaluated on rows [0, {HeldOut}) " +
            $"(teacher accuracy {teacherAccuracy:F4}); seeds 1..{seeds}; {Environment.ProcessorCount} cores; each row is `distill --student SPEC --seed S` through DistillationExperiment");
        Console.WriteLine();
        Console.WriteLine("| spec | trainer | accuracy | agreement | logLoss | epochs | train s | epochs/s | teacher share |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (spec, hardLabels) in variants)
        {
            var runs = new List<(double Accuracy, double Agreement, double LogLoss, string Epochs, double Seconds, double EpochsPerSecond, double TeacherShare)>();
            bool onTheFly = false;
            for (int seed = 1; seed <= seeds; seed++)
            {
                var run = Train(teacher, train, test, spec, hardLabels, seed);
                onTheFly = run.TeacherShare > 0;
                runs.Add(run);
                Console.Error.WriteLine($"  {spec}{(hardLabels ? " (hard-label twin)" : "")}, seed {seed}: accuracy {run.Accuracy:F4}, agreement {run.Agreement:F4}, log-loss {run.LogLoss:F4}, " +
                    $"{run.Seconds:F1} s, epochs {run.Epochs}, teacher share {run.TeacherShare:P1}");
            }

            Console.WriteLine($"| `{spec}`{(hardLabels ? " hard-label twin" : "")} | {Describe(StudentSpec.Parse(spec), hardLabels)} | {StudentBench.Stat(runs.Select(r => r.Accuracy))} | " +
                $"{StudentBench.Stat(runs.Select(r => r.Agreement))} | {StudentBench.Stat(runs.Select(r => r.LogLoss))} | {string.Join(" ", runs.Select(r => r.Epochs))} | " +
                $"{runs.Average(r => r.Seconds):F1} | {runs.Average(r => r.EpochsPerSecond):F2} | {(onTheFly ? runs.Average(r => r.TeacherShare).ToString("P1", CultureInfo.InvariantCulture) : "-")} |");
        }

        return 0;
    }

    /// <summary>One spec, one seed, through <see cref="DistillationExperiment"/>: the figures <c>distill --student SPEC --seed S</c> gives on the same rows.</summary>
    private static (double Accuracy, double Agreement, double LogLoss, string Epochs, double Seconds, double EpochsPerSecond, double TeacherShare) Train(
        TeacherScoringTransformer teacher, IDataView train, IDataView test, string spec, bool hardLabels, int seed)
    {
        var options = new DistillationExperimentOptions { Teacher = teacher, Baseline = hardLabels, Seed = seed };
        options.Students.Add(DistillationStudent.FromSpec(spec));
        using var result = new DistillationExperiment(new MLContext(seed), options).Run(train, test);
        var model = hardLabels ? result.Students[0].Baseline! : result.Students[0].Distilled;
        var mlp = (MlpStudentTransformer)model.Model;
        // The model's epochs: the automatic schedule's final pass, or the explicit run (best/run when it kept its best epoch).
        var epochs = mlp.History.Any(e => e.Refit) ? mlp.History.Where(e => e.Refit).ToList() : [.. mlp.History];
        int run = epochs.Count == 0 ? 0 : epochs[^1].Epoch;
        int best = epochs.Any(e => e.Refit) ? run : epochs.LastOrDefault(e => e.IsBest)?.Epoch ?? run;
        double seconds = mlp.History.Sum(e => e.Seconds);
        return (model.Metrics.Accuracy, model.Metrics.Agreement, model.Metrics.LogLoss, best == run ? $"{run}" : $"{best}/{run}",
            model.TrainSeconds, seconds > 0 ? mlp.History.Count / seconds : 0, mlp.TeacherShare);
    }

    /// <summary>The trainer a spec means, in words, for the table.</summary>
    private static string Describe(StudentSpec spec, bool hardLabels)
    {
        string augment = spec.Choices["augment"];
        string budget = spec["epochs"] == 0 ? "automatic schedule" : $"{spec["epochs"]} epochs";
        if (hardLabels)
        {
            return $"hard labels ({budget}, alpha 0)";
        }

        return augment == "none"
            ? $"plain KD, fixed soft labels, {budget}"
            : $"consistent {augment}{(spec["flip"] == 1 ? " + flip" : "")}{(augment.Contains("shift", StringComparison.Ordinal) ? $" ±{spec["shift"]} px" : "")}, {budget}";
    }

    /// <summary>The teacher's accuracy on the test rows (its arg-max against the labels).</summary>
    private static double TeacherAccuracy(TeacherScoringTransformer teacher, IDataView test)
    {
        var scored = teacher.Transform(test);
        var logits = scored.GetColumn<float[]>(DataColumnNames.TeacherLogits).ToArray();
        var labels = scored.GetColumn<float>("Label").ToArray();
        int right = 0;
        for (int r = 0; r < logits.Length; r++)
        {
            int top = 0;
            for (int k = 1; k < logits[r].Length; k++)
            {
                top = logits[r][k] > logits[r][top] ? k : top;
            }

            right += top == (int)labels[r] ? 1 : 0;
        }

        return (double)right / logits.Length;
    }

    /// <summary>
    /// The teacher's rows/s through the trainer's batch scorer (reused buffers, bound tensors) by rows per Run, on the
    /// training rows, so the on-the-fly batch can be chosen by measurement.
    /// </summary>
    private static void ProbeTeacher(TeacherScoringTransformer teacher, float[] x, int rows, int d)
    {
        const int total = 8192;
        Console.WriteLine("| rows per Run | rows/s | ms per 128 rows |");
        Console.WriteLine("|---|---|---|");
        foreach (int batch in (int[])[64, 128, 256, 512, 1024])
        {
            using var scorer = new TeacherBatchScorer(teacher, batch);
            float[] input = x.AsSpan(0, Math.Min(rows, batch) * d).ToArray();
            if (input.Length < batch * d)
            {
                Array.Resize(ref input, batch * d);
            }

            float[] logits = new float[batch * Classes];
            scorer.Score(input, batch, logits);
            double best = double.MaxValue;
            for (int repeat = 0; repeat < 3; repeat++)
            {
                var watch = Stopwatch.StartNew();
                for (int done = 0; done < total; done += batch)
                {
                    scorer.Score(input, batch, logits);
                }

                best = Math.Min(best, watch.Elapsed.TotalSeconds);
            }

            Console.WriteLine($"| {batch} | {total / best:F0} | {best / total * 128 * 1000:F2} |");
        }
    }
}
