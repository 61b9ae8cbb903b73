using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Trainers.LightGbm;
using MLNetDistill.Students;

namespace MLNetDistill.Cli;

/// <summary>
/// Students whose trainer runs a native library that its NuGet package ships for some platforms only: LightGBM's
/// <c>lib_lightgbm</c> (x64 only; on Linux it also needs <c>libgomp1</c>). A family is tried once, on a few rows, before
/// a run, so that a machine without its library skips those students with a message instead of failing half-way.
/// </summary>
internal static class NativeStudents
{
    /// <summary>The student families whose trainer loads a native library, and the library's name.</summary>
    private static readonly Dictionary<string, string> Libraries = new(StringComparer.Ordinal) { ["lightgbm"] = "lib_lightgbm" };

    /// <summary>The students to train and those skipped because their family's native library does not load.</summary>
    /// <param name="Kept">The specs to train, in the given order.</param>
    /// <param name="Skipped">The specs left out, in the given order.</param>
    /// <param name="Reason">Why they were left out (null when none was).</param>
    internal sealed record Split(IReadOnlyList<string> Kept, IReadOnlyList<string> Skipped, string? Reason);

    /// <summary>
    /// Tries each native family among <paramref name="specs"/> once with <paramref name="tryTrain"/> (given the family's
    /// name) and leaves out every spec of a family whose native library fails to load (<see cref="DllNotFoundException"/>,
    /// <see cref="EntryPointNotFoundException"/>, or either wrapped, e.g. in a <see cref="TypeInitializationException"/>).
    /// Any other failure is not a missing library and propagates. A spec that does not parse is kept (the run reports it).
    /// </summary>
    internal static Split SkipMissing(IReadOnlyList<string> specs, Action<string> tryTrain)
    {
        var kept = new List<string>(specs.Count);
        var skipped = new List<string>();
        var failures = new Dictionary<string, string?>(StringComparer.Ordinal);
        var reasons = new List<string>();
        foreach (string spec in specs)
        {
            string? family = Family(spec);
            if (family is null || !Libraries.TryGetValue(family, out string? library))
            {
                kept.Add(spec);
                continue;
            }

            if (!failures.TryGetValue(family, out string? failure))
            {
                failure = Try(() => tryTrain(family));
                failures.Add(family, failure);
                if (failure is not null)
                {
                    reasons.Add($"{family}'s native library ({library}) does not load on this machine ({RuntimeInformation.RuntimeIdentifier}): {failure}");
                }
            }

            (failure is null ? kept : skipped).Add(spec);
        }

        return new Split(kept, skipped, reasons.Count == 0 ? null : string.Join("; ", reasons));
    }

    /// <summary>Trains a one-tree LightGBM model on the first rows of <paramref name="data"/> (Features, Label), which loads its native library.</summary>
    internal static void TrainLightGbm(IDataView data)
    {
        var mlContext = new MLContext(seed: 0); // its own context: the run's seeded context is left as it was
        var rows = mlContext.Data.TakeRows(data, 64);
        var trainer = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                NumberOfIterations = 1,
                MinimumExampleCountPerLeaf = 1,
                NumberOfThreads = 1,
            }));
        trainer.Fit(rows);
    }

    /// <summary>The first line of the missing library's error, or null when <paramref name="train"/> succeeds.</summary>
    private static string? Try(Action train)
    {
        try
        {
            train();
            return null;
        }
        catch (Exception e) when (MissingLibrary(e) is { } missing)
        {
            return missing.Message.Split('\n', 2)[0].Trim();
        }
    }

    /// <summary>The <see cref="DllNotFoundException"/> or <see cref="EntryPointNotFoundException"/> in <paramref name="e"/>'s chain of inner exceptions.</summary>
    private static Exception? MissingLibrary(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is DllNotFoundException or EntryPointNotFoundException)
            {
                return inner;
            }
        }

        return null;
    }

    private static string? Family(string spec)
    {
        try
        {
            return StudentSpec.Parse(spec).Family;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
