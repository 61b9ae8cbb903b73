using System.Diagnostics;
using System.Globalization;
using MLNetDistill.Tests.Fuzz;

namespace MLNetDistill.Benchmarks.Fuzz;

/// <summary>
/// The full fuzz run: `-- fuzz [casesPerFormat=1000] [seed=20261201] [format...]`. Prints one table row per format (cases,
/// success, clear error, failures, max seconds per case) and every failing case with its seed and case number; exits 1
/// when any case failed. The reduced run is tests/MLNetDistill.Tests/Fuzz/FuzzTests.cs.
/// </summary>
internal static class FuzzRun
{
    public static int Run(string[] args)
    {
        int cases = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        int seed = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20261201;
        string[] formats = args.Length > 2 ? args[2..] : [.. FuzzHarness.Formats];
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-fuzz", Guid.NewGuid().ToString("N"));
        try
        {
            FuzzCorpus corpus = FuzzCorpus.Create(folder);
            var harness = new FuzzHarness(corpus, TimeSpan.FromSeconds(5));
            var summaries = new List<FuzzFormatSummary>();
            var total = Stopwatch.StartNew();
            foreach (string format in formats)
            {
                var watch = Stopwatch.StartNew();
                FuzzFormatSummary summary = harness.Run(format, cases, seed, r =>
                {
                    if (r.Kind == FuzzOutcomeKind.Failure)
                    {
                        Console.WriteLine($"FAIL seed {seed} {r}");
                    }
                });
                summaries.Add(summary);
                Console.WriteLine($"{format}: {cases} cases in {watch.Elapsed.TotalSeconds:F1} s");
            }

            Console.WriteLine();
            Console.WriteLine($"Fuzz run: seed {seed}, {cases} cases per format, 5 s limit per case, {total.Elapsed.TotalSeconds:F0} s in all.");
            Console.WriteLine();
            Console.WriteLine("| format | cases | success | clear error | failures | max s/case |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            foreach (FuzzFormatSummary s in summaries)
            {
                Console.WriteLine($"| {s.Format} | {s.Cases.Count} | {s.Success} | {s.ClearError} | {s.Failures.Count} | {s.MaxSeconds.ToString("F2", CultureInfo.InvariantCulture)} |");
            }

            return summaries.Any(s => s.Failures.Count > 0) ? 1 : 0;
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
