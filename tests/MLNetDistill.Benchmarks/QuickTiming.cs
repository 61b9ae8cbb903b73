using System.Diagnostics;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Numerics;

namespace MLNetDistill.Benchmarks;

/// <summary>Plain stopwatch timings for quick comparisons with PyTorch (see pytorch_mlp_epoch.py).</summary>
internal static class QuickTiming
{
    /// <summary>GFLOP/s of each anchors.md shape and transpose, best of 5 timed batches after 20 warm-up products. Argument: threads.</summary>
    public static int Gemm(string[] args)
    {
        int threads = args.Length > 0 ? int.Parse(args[0]) : Environment.ProcessorCount;
        using var pool = new ComputePool(threads);
        var context = new GemmContext(pool);
        Console.WriteLine($"kernel {context.Kernel}, {threads} thread(s)");
        foreach (var (m, k, n) in GemmBenchmarks.Shapes)
        {
            foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false) })
            {
                var rng = new Random(1);
                float[] a = Random(rng, m * k);
                float[] b = Random(rng, k * n);
                float[] c = new float[m * n];
                double flops = 2.0 * m * n * k;
                int reps = (int)Math.Clamp(2e10 / flops, 3, 2000);
                for (int w = 0; w < 20; w++)
                {
                    MLNetDistill.Numerics.Gemm.Compute(ta, tb, a, b, c, m, k, n, context: context);
                }

                double best = double.MaxValue;
                for (int trial = 0; trial < 5; trial++)
                {
                    long start = Stopwatch.GetTimestamp();
                    for (int r = 0; r < reps / 5 + 1; r++)
                    {
                        MLNetDistill.Numerics.Gemm.Compute(ta, tb, a, b, c, m, k, n, context: context);
                    }

                    best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds / (reps / 5 + 1));
                }

                Console.WriteLine($"{m,5} x {k,5} x {n,5} {(ta ? "T" : "N")}{(tb ? "T" : "N")}: {flops / best / 1e9,7:F1} GFLOP/s ({best * 1e3:F3} ms)");
            }
        }

        return 0;
    }

    /// <summary>Microseconds per KD loss forward and gradient on a 256 x 10 batch.</summary>
    public static int Loss()
    {
        var rng = new Random(1);
        float[] s = Random(rng, 256 * 10);
        float[] t = new float[256 * 10];
        int[] y = new int[256];
        for (int r = 0; r < 256; r++)
        {
            MLNetDistill.Numerics.SoftLabelMath.Softmax(Random(rng, 10), 4f, t.AsSpan(r * 10, 10));
            y[r] = r % 10;
        }

        var loss = new MLNetDistill.Losses.KdLoss(4f, 0.7f, 10);
        float[] g = new float[2560];
        for (int rep = 0; rep < 3; rep++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < 2000; i++)
            {
                loss.Forward(new MLNetDistill.Losses.LossBatch { Rows = 256, Classes = 10, StudentLogits = s, TeacherProbabilities = t, Labels = y }, 1f, new MLNetDistill.Losses.LossGradients { Logits = g });
            }

            Console.WriteLine($"KD loss 256 x 10: {Stopwatch.GetElapsedTime(start).TotalMicroseconds / 2000:F1} us");
        }

        return 0;
    }

    /// <summary>Microseconds to pack a 256 x 784 A operand, transposed and not.</summary>
    public static unsafe int Pack()
    {
        int m = 256, k = 784;
        float[] a = Random(new Random(1), m * k);
        float[] dst = new float[m * k + 64];
        foreach (bool trans in new[] { false, true })
        {
            fixed (float* pa = a)
            fixed (float* pd = dst)
            {
                double best = double.MaxValue;
                for (int t = 0; t < 20; t++)
                {
                    long start = Stopwatch.GetTimestamp();
                    for (int b = 0; b < 4; b++)
                    {
                        MLNetDistill.Numerics.Gemm.PackA(pa, trans, trans ? m : k, m, b * 196, 196, 8, 0, 32, pd + (b * 196 * m));
                    }

                    best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                }

                Console.WriteLine($"PackA trans={trans}: {best:F1} us");
            }
        }

        return 0;
    }

    /// <summary>
    /// Seconds per KD epoch for each shape (default both of anchors.md's), three epochs each, median printed; the
    /// counterpart of pytorch_mlp_epoch.py. Arguments: shapes such as 784-256-10, and --threads N.
    /// </summary>
    public static int Epoch(string[] args)
    {
        int? threads = null;
        int epochs = 3;
        bool gelu = false, layerNorm = false;
        float dropout = 0f;
        var shapes = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--threads")
            {
                threads = int.Parse(args[++i]);
            }
            else if (args[i] == "--epochs")
            {
                epochs = int.Parse(args[++i]);
            }
            else if (args[i] == "--gelu")
            {
                gelu = true;
            }
            else if (args[i] == "--layernorm")
            {
                layerNorm = true;
            }
            else if (args[i] == "--dropout")
            {
                dropout = float.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                shapes.Add(args[i]);
            }
        }

        if (shapes.Count == 0)
        {
            shapes.AddRange(["784-256-10", "784-1200-1200-10"]);
        }

        var data = EpochData.Create();
        Console.WriteLine($"MLNetDistill: {EpochData.Rows} x {EpochData.Features}, batch 256, AdamW, 0.7 T^2 KL + 0.3 CE (T = 4), {threads ?? Environment.ProcessorCount} threads, kernel {new GemmContext().Kernel}"
            + (gelu ? ", GELU" : ", ReLU") + (layerNorm ? ", layer norm" : string.Empty) + (dropout > 0 ? $", dropout {dropout}" : string.Empty));
        foreach (string shape in shapes)
        {
            var seconds = new List<double>();
            var progress = new SyncProgress(p => seconds.Add(p.Seconds));
            var options = EpochData.Options(shape, epochs, threads);
            options.Activation = gelu ? MlpActivation.Gelu : MlpActivation.ReLU;
            options.LayerNorm = layerNorm;
            options.DropoutRate = dropout;
            var trainer = new MlpTrainer(options);
            trainer.Train(data, progress);
            double median = seconds.Order().ElementAt(seconds.Count / 2);
            Console.WriteLine($"{shape,-18} median {median:F3} s/epoch   (epochs in order: {string.Join(", ", seconds.Select(s => s.ToString("F3")))})");
            double[] phases = trainer.PhaseSeconds;
            Console.WriteLine($"{"",-18} per epoch, all epochs averaged: gather {phases[0] / epochs:F3}, forward {phases[1] / epochs:F3}, loss {phases[2] / epochs:F3}, backward {phases[3] / epochs:F3}, optimizer {phases[4] / epochs:F3} s");
        }

        return 0;
    }

    private sealed class SyncProgress(Action<MlpEpochProgress> report) : IProgress<MlpEpochProgress>
    {
        public void Report(MlpEpochProgress value) => report(value);
    }

    internal static float[] Random(Random rng, int count)
    {
        float[] x = new float[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = (float)(rng.NextDouble() * 2 - 1);
        }

        return x;
    }
}
