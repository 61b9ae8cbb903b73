using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.SoftLabels;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Teachers;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// Consistent teaching (Beyer et al. 2022, function matching with mixup, the teacher scoring every mixed batch on the
/// fly) against plain KD on the fixed soft labels and hard labels: 784-H-10 students (H = 128) on rows [2000, 2000 + N)
/// of the embedded 10k Fashion-MNIST set, evaluated on its first 2,000 rows, with the embedded CNN teacher.
/// Run: dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- consistent-table [rows=5000] [seeds=3]
///      [--epochs 200] [--a 0.2] [--width 128] [--fixed-epochs] [--shift 2] [--variants hard,kd,kd-fixed@1000,mixup@200,shift+flip@3000,...]
/// Rows: hard labels and plain KD with the library defaults (automatic schedule), consistent teaching with an explicit
/// epoch budget (cosine over it, no early stopping, best validation epoch kept): mixup, mixup after random shifts of up
/// to --shift pixels (mixup+shift), and, when listed in --variants, shifts alone (shift), shifts and horizontal flips
/// (shift+flip, mixup+shift+flip); and, with --fixed-epochs (or kd-fixed in --variants), plain KD on the fixed soft
/// labels for the same explicit budget (the cost and the quality of a long schedule without on-the-fly teaching).
/// A variant id may end in @EPOCHS, its own budget instead of --epochs. --teacher-probe measures the teacher's rows/s by
/// rows per Run instead.
/// epochs/s counts every epoch the trainer ran (both passes of the automatic schedule) over its wall time.
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
                default: positional.Add(int.Parse(args[i], CultureInfo.InvariantCulture)); break;
            }
        }

        int rows = positional.Count > 0 ? positional[0] : 5000;
        int seeds = positional.Count > 1 ? positional[1] : 3;
        var ml = new MLContext(0);
        var (allX, allRows, d, allY) = IdxReader.ReadAll(BenchPaths.FashionImages);
        rows = Math.Min(rows, allRows - HeldOut);
        int[] labels = Array.ConvertAll(allY!, v => (int)v);
        float[] trainX = allX.AsSpan(HeldOut * d, rows * d).ToArray();
        int[] trainY = labels.AsSpan(HeldOut, rows).ToArray();
        float[] testX = allX.AsSpan(0, HeldOut * d).ToArray();
        int[] testY = labels.AsSpan(0, HeldOut).ToArray();

        var defaults = new MlpTrainerOptions();
        using var teacher = Teacher(ml, trainX, rows, d, defaults.Temperature);
        float[] trainLogits = Logits(teacher, ml, trainX, rows, d);
        float[] testLogits = Logits(teacher, ml, testX, HeldOut, d);
        double teacherAccuracy = StudentBench.Evaluate(testLogits, testLogits, testY, Classes).Accuracy;
        float[] soft = new float[trainLogits.Length];
        for (int r = 0; r < rows; r++)
        {
            SoftLabelMath.Softmax(trainLogits.AsSpan(r * Classes, Classes), defaults.Temperature, soft.AsSpan(r * Classes, Classes));
        }

        var data = new MlpTrainingData(trainX, d, Classes, soft, trainY, trainLogits);
        if (teacherProbe)
        {
            ProbeTeacher(teacher, trainX, rows, d);
            return 0;
        }

        Console.WriteLine($"Consistent teaching, 784-{width}-10 on rows [{HeldOut}, {HeldOut + rows}) of the embedded 10k Fashion-MNIST set, evaluated on rows [0, {HeldOut}) " +
            $"(teacher accuracy {teacherAccuracy:F4}); seeds 1..{seeds}; {Environment.ProcessorCount} cores; T {defaults.Temperature:G3}, batch {defaults.BatchSize}, AdamW lr {defaults.LearningRate:G3}");
        Console.WriteLine();
        Console.WriteLine("| student | trainer | accuracy | agreement | logLoss | epochs | train s | epochs/s | teacher share |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        string aText = a.ToString(CultureInfo.InvariantCulture);
        (string Id, string Name, Action<MlpTrainerOptions> Configure, bool OnTheFly)? Variant(string id, int n) => id switch
        {
            "hard" => (id, "hard labels (defaults, alpha 0)", o => o.Alpha = 0f, false),
            "kd" => (id, "plain KD, fixed soft labels (defaults)", _ => { }, false),
            "kd-fixed" => (id, $"plain KD, fixed soft labels, {n} epochs", o => LongSchedule(o, n), false),
            "mixup" => (id, $"consistent mixup a={aText}, {n} epochs", o => Consistent(o, n, MlpAugmentation.Mixup, a, 0, false), true),
            "shift" => (id, $"consistent shift ±{shift} px, {n} epochs", o => Consistent(o, n, MlpAugmentation.Shift, a, shift, false), true),
            "shift+flip" => (id, $"consistent shift ±{shift} px + flip, {n} epochs", o => Consistent(o, n, MlpAugmentation.Shift, a, shift, true), true),
            "mixup+shift" => (id, $"consistent mixup a={aText} + shift ±{shift} px, {n} epochs", o => Consistent(o, n, MlpAugmentation.Mixup | MlpAugmentation.Shift, a, shift, false), true),
            "mixup+shift+flip" => (id, $"consistent mixup a={aText} + shift ±{shift} px + flip, {n} epochs", o => Consistent(o, n, MlpAugmentation.Mixup | MlpAugmentation.Shift, a, shift, true), true),
            _ => null,
        };

        // A variant id may carry its own epoch budget: shift+flip@3000.
        only ??= fixedEpochs ? ["hard", "kd", "kd-fixed", "mixup", "mixup+shift"] : ["hard", "kd", "mixup", "mixup+shift"];
        var variants = new List<(string Name, Action<MlpTrainerOptions> Configure, bool OnTheFly)>();
        foreach (string item in only)
        {
            string[] parts = item.Split('@');
            int n = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : epochs;
            if (Variant(parts[0], n) is not { } v)
            {
                Console.Error.WriteLine($"error: unknown variant {item}; use hard, kd, kd-fixed, mixup, shift, shift+flip, mixup+shift, mixup+shift+flip (optionally @EPOCHS)");
                return 2;
            }

            variants.Add((v.Name, v.Configure, v.OnTheFly));
        }

        foreach (var (name, configure, onTheFly) in variants)
        {
            var runs = new List<(StudentMetrics Metrics, string Epochs, double Seconds, double EpochsPerSecond, double TeacherShare)>();
            for (int seed = 1; seed <= seeds; seed++)
            {
                var options = new MlpTrainerOptions { HiddenLayerSizes = [width], Seed = seed };
                configure(options);
                int ran = 0;
                var trainer = new MlpTrainer(options) { Teacher = onTheFly ? teacher : null };
                var watch = Stopwatch.StartNew();
                var model = trainer.Train(data, new Counter(() => ran++));
                double seconds = watch.Elapsed.TotalSeconds;
                float[] logits = new float[HeldOut * Classes];
                model.Predict(testX, HeldOut, logits);
                string epochText = trainer.BestEpoch == trainer.EpochsRun ? $"{trainer.EpochsRun}" : $"{trainer.BestEpoch}/{trainer.EpochsRun}";
                runs.Add((StudentBench.Evaluate(logits, testLogits, testY, Classes), epochText, seconds, ran / trainer.TrainSeconds, trainer.TeacherShare));
                Console.Error.WriteLine($"  {name}, seed {seed}: {runs[^1].Metrics}, {seconds:F1} s, {ran} epochs, teacher share {trainer.TeacherShare:P1}");
            }

            Console.WriteLine($"| 784-{width}-10 | {name} | {StudentBench.Stat(runs.Select(r => r.Metrics.Accuracy))} | {StudentBench.Stat(runs.Select(r => r.Metrics.Agreement))} | " +
                $"{StudentBench.Stat(runs.Select(r => r.Metrics.LogLoss))} | {string.Join(" ", runs.Select(r => r.Epochs))} | {runs.Average(r => r.Seconds):F1} | " +
                $"{runs.Average(r => r.EpochsPerSecond):F2} | {(onTheFly ? runs.Average(r => r.TeacherShare).ToString("P1", CultureInfo.InvariantCulture) : "-")} |");
        }

        return 0;
    }

    /// <summary>An explicit long schedule: cosine over N epochs, no early stopping, the best validation epoch kept.</summary>
    private static void LongSchedule(MlpTrainerOptions o, int epochs)
    {
        o.Epochs = epochs;
        o.EarlyStoppingPatience = 0;
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

    /// <summary>Consistent teaching over an explicit long schedule with the given augmentation.</summary>
    private static void Consistent(MlpTrainerOptions o, int epochs, MlpAugmentation augmentation, float a, int shift, bool flip)
    {
        LongSchedule(o, epochs);
        o.Augmentation = augmentation;
        o.MixupAlpha = a;
        o.ShiftPixels = shift;
        o.HorizontalFlip = flip;
    }

    private static TeacherScoringTransformer Teacher(MLContext ml, float[] x, int rows, int d, float temperature) =>
        ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = BenchPaths.CnnTeacher, Temperature = temperature }).Fit(View(ml, x, rows, d));

    private static float[] Logits(TeacherScoringTransformer teacher, MLContext ml, float[] x, int rows, int d) =>
        teacher.Transform(View(ml, x, rows, d)).GetColumn<float[]>(DataColumnNames.TeacherLogits).SelectMany(v => v).ToArray();

    private static IDataView View(MLContext ml, float[] x, int rows, int d)
    {
        var schema = SchemaDefinition.Create(typeof(ImageRow));
        schema[nameof(ImageRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(r => new ImageRow { Features = x.AsSpan(r * d, d).ToArray() }), schema);
    }

    private sealed class Counter(Action onEpoch) : IProgress<MlpEpochProgress>
    {
        public void Report(MlpEpochProgress value) => onEpoch();
    }

    private sealed class ImageRow
    {
        public float[] Features { get; set; } = [];
    }
}
