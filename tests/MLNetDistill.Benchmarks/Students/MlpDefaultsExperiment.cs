using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Numerics;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// What `mlp:H` with no options reaches: 784-H-10 students (H = 32, 128, 512 by default) distilled from the embedded
/// CNN teacher with <see cref="MlpTrainerOptions"/>' defaults, on the same rows as
/// tests/MLNetDistill.Benchmarks/pytorch_mlp_defaults.py (its fixed PyTorch recipe is the reference):
/// N &lt;= 8000 rows train on rows [2000, 2000 + N) of the embedded 10k test set and are evaluated on its first 2,000
/// rows; more rows train on the first N rows of the 60k training set (Debian's dataset-fashion-mnist) and are evaluated
/// on the 10k test set. Every training row carries the teacher's soft labels (T = 1) and its hard label.
/// Run: dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- mlp-defaults [rows...] [--widths 32,128,512]
///      [--seeds 3] [--variant name:key=value,...]...
/// A variant overrides options of the defaults (epochs, batch, alpha, lr, validation, patience, cosine, and the
/// automatic schedule's knobs) and adds a row per student, e.g. --variant "pytorch recipe:epochs=40,validation=0".
/// </summary>
internal static class MlpDefaultsExperiment
{
    private const int HeldOut = 2000;
    private const int Classes = 10;
    private const string TrainImages = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

    public static int Run(string[] args)
    {
        var rowCounts = new List<int>();
        int[] widths = [32, 128, 512];
        int seeds = 3;
        bool withDefaults = true;
        var variants = new List<(string Name, string Settings)>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--widths":
                    widths = args[++i].Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--seeds":
                    seeds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--variant":
                    string v = args[++i];
                    int colon = v.IndexOf(':', StringComparison.Ordinal);
                    variants.Add(colon < 0 ? (v, v) : (v[..colon], v[(colon + 1)..]));
                    break;
                case "--no-defaults":
                    withDefaults = false;
                    break;
                default:
                    rowCounts.Add(int.Parse(args[i], CultureInfo.InvariantCulture));
                    break;
            }
        }

        if (rowCounts.Count == 0)
        {
            rowCounts.AddRange([5000, 60000]);
        }

        if (withDefaults)
        {
            variants.Insert(0, ("ours, defaults", ""));
        }

        var defaults = new MlpTrainerOptions();
        Console.WriteLine($"MLNetDistill MLP students, {Environment.ProcessorCount} threads, defaults: epochs {(defaults.Epochs == 0 ? "auto" : defaults.Epochs)}, batch {defaults.BatchSize}, " +
            $"lr {defaults.LearningRate:G3} {defaults.Optimizer}, alpha {defaults.Alpha:G3}, T {defaults.Temperature:G3}, validation {defaults.ValidationFraction:G3}, patience {defaults.EarlyStoppingPatience}; seeds 1..{seeds}");
        Console.WriteLine();
        Console.WriteLine("| rows | student | trainer | accuracy | agreement | logLoss | epochs | train s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var ml = new MLContext(0);
        foreach (int rows in rowCounts)
        {
            var split = Load(ml, rows);
            Console.WriteLine($"<!-- {rows} rows: {split.Where}; teacher accuracy {Accuracy(split.TestLogits, split.TestLabels):F4} -->");
            foreach (int width in widths)
            {
                foreach (var (name, settings) in variants)
                {
                    var runs = new List<(StudentMetrics Metrics, int BestEpoch, int EpochsRun, int MaxEpochs, double Seconds)>();
                    for (int seed = 1; seed <= seeds; seed++)
                    {
                        var options = new MlpTrainerOptions { HiddenLayerSizes = [width], Seed = seed };
                        Apply(options, settings);
                        float[] soft = new float[split.TrainLogits.Length];
                        for (int r = 0; r < split.TrainRows; r++)
                        {
                            SoftLabelMath.Softmax(split.TrainLogits.AsSpan(r * Classes, Classes), options.Temperature, soft.AsSpan(r * Classes, Classes));
                        }

                        var data = new MlpTrainingData(split.TrainX, split.Features, Classes, soft, split.TrainLabels, split.TrainLogits);
                        var trainer = new MlpTrainer(options);
                        var watch = Stopwatch.StartNew();
                        var model = trainer.Train(data);
                        double seconds = watch.Elapsed.TotalSeconds;
                        float[] logits = new float[split.TestRows * Classes];
                        model.Predict(split.TestX, split.TestRows, logits);
                        runs.Add((StudentBench.Evaluate(logits, split.TestLogits, split.TestLabels, Classes), trainer.BestEpoch, trainer.EpochsRun, trainer.MaxEpochs, seconds));
                    }

                    // Per seed: the epochs of the model (automatic: its final pass over every row), or best/ran with early stopping.
                    string epochs = string.Join(" ", runs.Select(r => r.BestEpoch == r.EpochsRun ? $"{r.EpochsRun}" : $"{r.BestEpoch}/{r.EpochsRun}"));
                    Console.WriteLine($"| {rows:N0} | 784-{width}-10 | {name} | {StudentBench.Stat(runs.Select(r => r.Metrics.Accuracy))} | {StudentBench.Stat(runs.Select(r => r.Metrics.Agreement))} | " +
                        $"{StudentBench.Stat(runs.Select(r => r.Metrics.LogLoss))} | {epochs} | {runs.Average(r => r.Seconds):F1} |");
                }
            }
        }

        return 0;
    }

    /// <summary>Applies <c>key=value,...</c> overrides to the options.</summary>
    private static void Apply(MlpTrainerOptions o, string settings)
    {
        foreach (string pair in settings.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] kv = pair.Split('=', 2);
            string value = kv.Length == 2 ? kv[1] : throw new ArgumentException($"'{pair}' is not key=value.");
            double number = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) ? n : double.NaN;
            switch (kv[0].ToLowerInvariant())
            {
                case "epochs": o.Epochs = (int)number; break;
                case "batch": o.BatchSize = (int)number; break;
                case "alpha": o.Alpha = (float)number; break;
                case "lr": o.LearningRate = (float)number; break;
                case "wd": o.WeightDecay = (float)number; break;
                case "validation": o.ValidationFraction = (float)number; break;
                case "patience": o.EarlyStoppingPatience = (int)number; break;
                case "cosine": o.CosineDecay = value == "1" || value == "true"; break;
                case "restore": o.RestoreBestWeights = value == "1" || value == "true"; break;
                default: throw new ArgumentException($"Unknown variant setting '{kv[0]}'.");
            }
        }
    }

    private static Split Load(MLContext ml, int rows)
    {
        var (testX, testRows, d, testY) = IdxReader.ReadAll(BenchPaths.FashionImages);
        float[] testLogits = StudentBench.TeacherLogits(ml, testX, testRows, d);
        int[] testLabels = Array.ConvertAll(testY!, v => (int)v);
        if (rows <= testRows - HeldOut)
        {
            return new Split(
                testX.AsSpan(HeldOut * d, rows * d).ToArray(), testLabels.AsSpan(HeldOut, rows).ToArray(), testLogits.AsSpan(HeldOut * Classes, rows * Classes).ToArray(), rows,
                testX.AsSpan(0, HeldOut * d).ToArray(), testLabels.AsSpan(0, HeldOut).ToArray(), testLogits.AsSpan(0, HeldOut * Classes).ToArray(), HeldOut, d,
                $"rows [{HeldOut}, {HeldOut + rows}) of the 10k test set; evaluated on its first {HeldOut}");
        }

        var (trainX, trainRows, _, trainY) = IdxReader.ReadAll(TrainImages);
        rows = Math.Min(rows, trainRows);
        float[] x = trainX.AsSpan(0, rows * d).ToArray();
        return new Split(
            x, Array.ConvertAll(trainY!.AsSpan(0, rows).ToArray(), v => (int)v), StudentBench.TeacherLogits(ml, x, rows, d), rows,
            testX, testLabels, testLogits, testRows, d,
            $"the first {rows} rows of the 60k training set; evaluated on the 10k test set");
    }

    private static double Accuracy(float[] logits, int[] labels)
    {
        int correct = 0;
        for (int r = 0; r < labels.Length; r++)
        {
            correct += SoftLabelMath.ArgMax(logits.AsSpan(r * Classes, Classes)) == labels[r] ? 1 : 0;
        }

        return (double)correct / labels.Length;
    }

    private sealed record Split(
        float[] TrainX, int[] TrainLabels, float[] TrainLogits, int TrainRows,
        float[] TestX, int[] TestLabels, float[] TestLogits, int TestRows, int Features, string Where);

}
