using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.SoftLabels;
using MLNetDistill.Students;

namespace MLNetDistill.Benchmarks.Experiments;

/// <summary>
/// Do trials of the student-size experiment pay to run two at once on this machine? The embedded CNN teacher scores
/// 8,000 training and 2,000 test rows of the embedded Fashion-MNIST once; then the default candidates (sdca,
/// lightgbm:trees=20, mlp:32), each at T = 1 and T = 4 (the sweep's soft labels recomputed from the cached logits), are
/// trained over the same cached rows one after another and two at a time (Parallel.ForEach, two workers), each built
/// exactly as the experiment builds it (the registry, a seeded context of its own). Prints each repeat's wall times, the
/// ratio, and whether every model's test scores are identical between the two runs.
/// Run: dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- parallel-trials [repeats=3] [trainRows=8000] [testRows=2000]
/// </summary>
internal static class ParallelTrialsExperiment
{
    private static readonly string[] Candidates = ["sdca", "lightgbm:trees=20", "mlp:32"];

    private static readonly float[] Temperatures = [1f, 4f];

    public static int Run(string[] args)
    {
        int repeats = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        int trainRows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8000;
        int testRows = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2000;
        var ml = new MLContext(0);
        var all = IdxReader.Load(BenchPaths.FashionImages);
        var train = ml.Data.TakeRows(all, trainRows);
        var test = ml.Data.TakeRows(ml.Data.SkipRows(all, trainRows), testRows);
        using var teacher = ml.Transforms.ScoreWithTeacher(BenchPaths.CnnTeacher).Fit(train);
        var watch = Stopwatch.StartNew();
        var scoredTrain = Materialize(ml, teacher.Transform(train));
        var scoredTest = Materialize(ml, teacher.Transform(test));
        Console.WriteLine($"load average before: {LoadAverage()}; teacher scored {teacher.RowsScored:N0} rows once in {watch.Elapsed.TotalSeconds:F2} s; {Environment.ProcessorCount} cores");

        var trials = (from spec in Candidates from t in Temperatures select (Spec: StudentSpec.Parse(spec), Temperature: t)).ToArray();
        Console.WriteLine($"trials: {string.Join(", ", trials.Select(t => $"{t.Spec}@T={t.Temperature}"))}");
        Console.WriteLine("| repeat | sequential s | 2 concurrent s | concurrent / sequential | identical scores |");
        Console.WriteLine("|---|---|---|---|---|");
        var ratios = new List<double>();
        var perTrial = new double[trials.Length];
        for (int r = 0; r < repeats; r++)
        {
            // Alternate which runs first, so warm-up and cache effects do not favour one side.
            bool sequentialFirst = r % 2 == 0;
            var first = Time(ml, trials, scoredTrain, scoredTest, sequentialFirst ? 1 : 2);
            var second = Time(ml, trials, scoredTrain, scoredTest, sequentialFirst ? 2 : 1);
            var (sequential, concurrent) = sequentialFirst ? (first, second) : (second, first);
            bool identical = sequential.Scores.Zip(concurrent.Scores).All(p => p.First.AsSpan().SequenceEqual(p.Second));
            double ratio = concurrent.Seconds / sequential.Seconds;
            ratios.Add(ratio);
            for (int i = 0; i < trials.Length; i++)
            {
                perTrial[i] += sequential.Times[i] / repeats;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r + 1} | {sequential.Seconds:F2} | {concurrent.Seconds:F2} | {ratio:F3} | {(identical ? "yes" : "NO")} |"));
        }

        Console.WriteLine($"load average after: {LoadAverage()}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mean concurrent / sequential: {ratios.Average():F3} (below 0.85 would be > 15 % faster)"));
        Console.WriteLine("mean sequential seconds per trial: " + string.Join(", ", trials.Select((t, i) => string.Create(CultureInfo.InvariantCulture, $"{t.Spec.Family}@T={t.Temperature} {perTrial[i]:F2}"))));
        return 0;
    }

    private static (double Seconds, float[][] Scores, double[] Times) Time(MLContext ml, (StudentSpec Spec, float Temperature)[] trials, IDataView train, IDataView test, int workers)
    {
        var scores = new float[trials.Length][];
        var times = new double[trials.Length];
        var watch = Stopwatch.StartNew();
        Parallel.For(0, trials.Length, new ParallelOptions { MaxDegreeOfParallelism = workers }, i =>
        {
            var trialWatch = Stopwatch.StartNew();
            var (spec, t) = trials[i];
            int classes = 10;
            var context = new StudentBuildContext(new MLContext(0), classes, t, spec.DefaultAlpha, 0);
            var trainers = StudentRegistry.Get(spec).Build(spec, context);
            IDataView rows = t == 1f ? train : new TemperatureSoftLabelsDataView(train, t);
            var model = trainers.Distilled.Fit(rows);
            var scored = model.Transform(test);
            _ = DistillationEvaluation.Evaluate(scored, DataColumnNames.Score, DataColumnNames.TeacherLogits, DataColumnNames.Label, trainers.ScoresAreLogits, teacherScoresAreLogits: true);
            scores[i] = scored.GetColumn<float[]>(DataColumnNames.Score).SelectMany(v => v).ToArray();
            (model as IDisposable)?.Dispose();
            times[i] = trialWatch.Elapsed.TotalSeconds;
        });
        return (watch.Elapsed.TotalSeconds, scores, times);
    }

    /// <summary>The 1, 5 and 15 minute load averages (other processes share these two cores), or "n/a" off Linux.</summary>
    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static IDataView Materialize(MLContext ml, IDataView data)
    {
        var cached = ml.Data.Cache(data);
        using var cursor = cached.GetRowCursor(cached.Schema);
        while (cursor.MoveNext())
        {
        }

        return cached;
    }
}
