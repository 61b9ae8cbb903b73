using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// Training cost of a soft-label student (weighted expansion, default pruning: top-3 above 0.001) vs the same trainer
/// on hard labels, same 3,000 Fashion-MNIST rows (one cached teacher-scored view for both), side by side in one run.
/// Target: at most 2x.
/// </summary>
[Config(typeof(BenchConfig))]
public class ExpansionCostBenchmarks
{
    private MLContext _ml = null!;
    private IDataView _soft = null!;
    private IDataView _hard = null!;
    private TeacherScoringTransformer _teacher = null!;

    [Params("lightgbm", "sdca")]
    public string Trainer { get; set; } = "lightgbm";

    [GlobalSetup]
    public void Setup()
    {
        _ml = new MLContext(0);
        var data = _ml.Data.Cache(_ml.Data.TakeRows(IdxReader.Load(BenchPaths.FashionImages), 3000));
        _teacher = _ml.Transforms.ScoreWithTeacher(BenchPaths.CnnTeacher).Fit(data);
        _soft = _ml.Data.Cache(_teacher.Transform(data));
        _ = _soft.GetColumn<float[]>("SoftLabels").Count();
        var keys = _ml.Data.LoadFromEnumerable(Enumerable.Range(0, 10).Select(c => new ClassValue { Label = c }));
        // Both paths start from the same cached, teacher-scored view and are mapped lazily, so each trainer pays for
        // caching its own training rows inside the timing: the expanded rows for the soft path, the keyed rows here.
        _hard = _ml.Transforms.Conversion.MapValueToKey("Label", keyData: keys).Fit(_soft).Transform(_soft);
    }

    [GlobalCleanup]
    public void Cleanup() => _teacher.Dispose();

    [Benchmark(Baseline = true, Description = "hard labels")]
    public ITransformer Hard() => Base(null).Fit(_hard);

    [Benchmark(Description = "soft labels (weighted expansion, top-3)")]
    public ITransformer Soft() => _ml.MulticlassClassification.Trainers.SoftLabel(Base("Weight")).Fit(_soft);

    private IEstimator<ITransformer> Base(string? weight) => Trainer == "lightgbm"
        ? _ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
        {
            LabelColumnName = "Label", ExampleWeightColumnName = weight, NumberOfIterations = 50, Seed = 1, Deterministic = true, NumberOfThreads = 2, ForceColumnWise = true, Silent = true,
        })
        : _ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
        {
            LabelColumnName = "Label", ExampleWeightColumnName = weight, MaximumNumberOfIterations = 10, NumberOfThreads = 1,
        });

    public sealed class ClassValue
    {
        public float Label { get; set; }
    }
}
