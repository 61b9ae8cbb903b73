using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Students;
using MLNetDistill.Teachers;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// Issue 4's proof: LightGbm and SDCA students trained on the embedded CNN teacher's soft labels vs the same trainer
/// on hard labels, at (a) 5,000 rows of the 60k training set evaluated on the 10k test set, (b) the embedded 10k test
/// set alone split into a transfer part (rows 0..4,999) and an evaluation part (rows 5,000..9,999), and (c) the
/// low-label case: 500 labeled rows plus 4,500 transfer rows labeled only by the teacher vs the 500 alone.
/// Run: dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- soft-table
/// </summary>
internal static class SoftLabelTableExperiment
{
    public static int Run(string[] args)
    {
        var ml = new MLContext(0);
        var full = IdxReader.Load("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
        var embedded = IdxReader.Load(BenchPaths.FashionImages);
        Console.WriteLine("| scale | student | targets | accuracy | agreement | logLoss | train s |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (scale, train, transfer, test) in new[]
        {
            ("(a) 5k of 60k train / 10k test", ml.Data.TakeRows(full, 5000), (IDataView?)null, embedded),
            ("(b) embedded 10k: rows 0-4999 / 5000-9999", ml.Data.TakeRows(embedded, 5000), null, ml.Data.SkipRows(embedded, 5000)),
            ("(c) 500 labeled + 4,500 transfer / 10k test", ml.Data.TakeRows(full, 500), ml.Data.TakeRows(ml.Data.SkipRows(full, 500), 4500), embedded),
        })
        {
            using var teacher = ml.Transforms.ScoreWithTeacher(BenchPaths.CnnTeacher).Fit(train);
            var scoredTrain = ml.Data.Cache(teacher.Transform(train));
            var scoredTest = ml.Data.Cache(teacher.Transform(test));
            IDataView soft = scoredTrain;
            if (transfer is not null)
            {
                var unlabeled = ml.Transforms.DropColumns("Label").Fit(transfer).Transform(transfer);
                soft = ml.Data.Cache(new AppendRowsDataView(scoredTrain, teacher.Transform(unlabeled)));
            }

            foreach (string family in new[] { "lightgbm", "sdca" })
            {
                Row(scale, family, "hard labels", ml, () => Hard(ml, family).Fit(ToKey(ml, scoredTrain)), scoredTest);
                Row(scale, family, "soft (T=1) + hard, alpha 0.5, top-3", ml, () => ml.MulticlassClassification.Trainers.SoftLabel(Base(ml, family, "Weight")).Fit(soft), scoredTest);
            }
        }

        return 0;
    }

    private static void Row(string scale, string family, string targets, MLContext ml, Func<ITransformer> train, IDataView test)
    {
        var watch = Stopwatch.StartNew();
        var model = train();
        double seconds = watch.Elapsed.TotalSeconds;
        var m = DistillationEvaluation.Evaluate(model.Transform(test));
        Console.WriteLine($"| {scale} | {family} | {targets} | {m.Accuracy:F4} | {m.Agreement:F4} | {m.LogLoss:F4} | {seconds:F1} |");
    }

    private static IDataView ToKey(MLContext ml, IDataView data)
    {
        var keys = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 10).Select(c => new ClassValue { Label = c }));
        return ml.Transforms.Conversion.MapValueToKey("Label", keyData: keys).Fit(data).Transform(data);
    }

    private static IEstimator<ITransformer> Hard(MLContext ml, string family) => Base(ml, family, null);

    private static IEstimator<ITransformer> Base(MLContext ml, string family, string? weight) => family == "lightgbm"
        ? ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
        {
            LabelColumnName = "Label", ExampleWeightColumnName = weight, NumberOfIterations = 100, Seed = 1, Deterministic = true, NumberOfThreads = 2, ForceColumnWise = true, Silent = true,
        })
        : ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
        {
            LabelColumnName = "Label", ExampleWeightColumnName = weight, MaximumNumberOfIterations = 20, NumberOfThreads = 1,
        });

    private sealed class ClassValue
    {
        public float Label { get; set; }
    }
}
