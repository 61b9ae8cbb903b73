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
    /// <summary>`-- fuzz-case FORMAT SEED CASE`: runs one case again and prints its outcome in full (to reproduce a failure).</summary>
    public static int RunOne(string[] args)
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-fuzz", Guid.NewGuid().ToString("N"));
        FuzzCorpus corpus = FuzzCorpus.Create(folder);
        var harness = new FuzzHarness(corpus, TimeSpan.FromSeconds(args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 5));
        FuzzCaseResult result = harness.RunCase(args[0], int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
        Console.WriteLine(result);
        return result.Kind == FuzzOutcomeKind.Failure ? 1 : 0;
    }

    public static int Run(string[] args)
    {
        int cases = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        int seed = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20261201;
        string[] formats = args.Length > 2 ? args[2..] : [.. FuzzHarness.Formats];
        bool verbose = Environment.GetEnvironmentVariable("MLNETDISTILL_FUZZ_VERBOSE") == "1";
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
                    if (verbose)
                    {
                        Console.WriteLine(r);
                    }
                    else if (r.Kind == FuzzOutcomeKind.Failure)
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
