using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Numerics;

namespace MLNetDistill.Benchmarks;

/// <summary>
/// Matrix products at the shapes of anchors.md, where OpenBLAS through PyTorch on 2 threads reaches about 100, 98, 196
/// and 191 GFLOP/s. The GFLOP/s column is 2mnk / mean time. For a quick table of all three transposes without
/// BenchmarkDotNet, run <c>dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- gemm</c>.
/// </summary>
[Config(typeof(BenchConfig))]
[GemmBenchmarks.GflopsColumn]
public class GemmBenchmarks
{
    internal const int Repeats = 20;

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

    [Params(false, true)]
    public bool TransposeB { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (m, k, n) = Parse(Shape);
        var rng = new Random(1);
        _a = QuickTiming.Random(rng, m * k);
        _b = QuickTiming.Random(rng, k * n);
        _c = new float[m * n];
        _pool = new ComputePool(Environment.ProcessorCount);
        _context = new GemmContext(_pool);
    }

    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    /// <summary>C = A B (or A B^T, the forward pass of a Linear layer), <see cref="Repeats"/> times per invocation.</summary>
    [Benchmark(OperationsPerInvoke = Repeats)]
    public void Product()
    {
        var (m, k, n) = Parse(Shape);
        for (int i = 0; i < Repeats; i++)
        {
            Gemm.Compute(false, TransposeB, _a, _b, _c, m, k, n, context: _context);
        }
    }

    internal static (int M, int K, int N) Parse(string shape)
    {
        string[] parts = shape.Split('x');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>Adds the GFLOP/s column to the shared configuration.</summary>
    [AttributeUsage(AttributeTargets.Class)]
    internal sealed class GflopsColumnAttribute : ColumnConfigBaseAttribute
    {
        public GflopsColumnAttribute()
            : base(new Gflops())
        {
        }
    }

    /// <summary>2mnk / mean seconds per product.</summary>
    private sealed class Gflops : IColumn
    {
        public string Id => nameof(Gflops);

        public string ColumnName => "GFLOP/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "2 m n k / mean time per product, in 1e9 per second";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats || benchmarkCase.Parameters["Shape"] is not string shape)
            {
                return "-";
            }

            var (m, k, n) = Parse(shape);
            return (2.0 * m * n * k / stats.Mean).ToString("F1", CultureInfo.InvariantCulture); // Mean is in ns
        }

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
