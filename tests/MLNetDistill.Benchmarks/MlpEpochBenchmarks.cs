using BenchmarkDotNet.Attributes;
using MLNetDistill.Numerics;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Benchmarks;

/// <summary>
/// One knowledge-distillation epoch of an MLP student, as anchors.md measures PyTorch 1.13 (2 threads: about 2.7 s for
/// 784-256-10 and 16 s for 784-1200-1200-10): 60,000 random rows of 784 values in [0, 1), batch 256, AdamW (lr 1e-3),
/// loss 0.7 T^2 KL + 0.3 CE at T = 4, shuffled. The PyTorch side is pytorch_mlp_epoch.py next to this file; for plain
/// seconds per epoch without BenchmarkDotNet, run <c>dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- epoch</c>.
/// </summary>
[Config(typeof(BenchConfig))]
public class MlpEpochBenchmarks
{
    private MlpTrainingData? _data;

    [Params("784-256-10", "784-1200-1200-10")]
    public string Shape { get; set; } = "784-256-10";

    [GlobalSetup]
    public void Setup() => _data = EpochData.Create();

    [Benchmark(Description = "one KD epoch")]
    public object Epoch() => new MlpTrainer(EpochData.Options(Shape, epochs: 1)).Train(_data!);
}

/// <summary>The data and options of the epoch benchmark, shared by BenchmarkDotNet and the plain timing command.</summary>
internal static class EpochData
{
    public const int Rows = 60_000;
    public const int Features = 784;
    public const int Classes = 10;
    public const float Temperature = 4f;

    public static MlpTrainingData Create()
    {
        var rng = new Random(0);
        float[] x = new float[Rows * Features];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.NextSingle();
        }

        float[] soft = new float[Rows * Classes];
        int[] labels = new int[Rows];
        float[] z = new float[Classes];
        for (int r = 0; r < Rows; r++)
        {
            for (int k = 0; k < Classes; k++)
            {
                z[k] = (float)(rng.NextDouble() * 6 - 3);
            }

            SoftLabelMath.Softmax(z, Temperature, soft.AsSpan(r * Classes, Classes));
            labels[r] = rng.Next(Classes);
        }

        return new MlpTrainingData(x, Features, Classes, soft, labels);
    }

    public static MlpTrainerOptions Options(string shape, int epochs, int? threads = null)
    {
        int[] sizes = Array.ConvertAll(shape.Split('-'), int.Parse);
        return new MlpTrainerOptions
        {
            HiddenLayerSizes = sizes[1..^1],
            Epochs = epochs,
            BatchSize = 256,
            LearningRate = 1e-3f,
            Optimizer = MlpOptimizer.AdamW,
            WeightDecay = 0.01f,
            Temperature = Temperature,
            Alpha = 0.7f,
            ValidationFraction = 0f,
            CosineDecay = false,
            Shuffle = true,
            NumberOfThreads = threads,
        };
    }
}
