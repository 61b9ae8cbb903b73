using BenchmarkDotNet.Attributes;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Benchmarks;

/// <summary>
/// Matrix products at the shapes of docs' anchors.md (OpenBLAS through PyTorch, 2 threads: about 100, 98, 196 and
/// 191 GFLOP/s). The GFLOP/s column is 2mnk / mean time.
/// </summary>
[Config(typeof(BenchConfig))]
public class GemmBenchmarks
{
    internal static readonly (int M, int K, int N)[] Shapes =
    [
        (256, 784, 256),
        (256, 784, 1200),
        (256, 1200, 1200),
        (1024, 1024, 1024),
    ];

    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];
    private ComputePool? _pool;
    private GemmContext? _context;

    [Params("256x784x256", "256x784x1200", "256x1200x1200", "1024x1024x1024")]
    public string Shape { get; set; } = "256x784x256";

    private (int M, int K, int N) Dims
    {
        get
        {
            string[] parts = Shape.Split('x');
            return (int.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2]));
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        var (m, k, n) = Dims;
        var rng = new Random(1);
        _a = QuickTiming.Random(rng, m * k);
        _b = QuickTiming.Random(rng, k * n);
        _c = new float[m * n];
        _pool = new ComputePool(Environment.ProcessorCount);
        _context = new GemmContext(_pool);
    }

    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    [Benchmark(Description = "C = A B")]
    public void Multiply()
    {
        var (m, k, n) = Dims;
        Gemm.Multiply(_a, _b, _c, m, k, n, context: _context);
    }
}
