using System.Globalization;
using System.Text.RegularExpressions;
using MLNetDistill.Students;

namespace MLNetDistill.Tests.Readme;

/// <summary>
/// The student specs README.md and the benchmark page state figures for with an explicit training budget (a backticked <c>mlp:...</c> with
/// <c>epochs=N</c>), as a reader copies them into <c>distill --student</c>, and their reduced versions for tests.
/// </summary>
internal static partial class ReadmeRecipes
{
    /// <summary>The benchmark page, where the figures the README quotes are measured, with their commands.</summary>
    public static string BenchmarksReadmePath => Path.Combine(TestPaths.Repo, "tests", "MLNetDistill.Benchmarks", "README.md");

    /// <summary>README.md, then the benchmark page: the documents that state figures for student specs.</summary>
    public static string ReadDocuments() => File.ReadAllText(ReadmePrograms.ReadmePath) + "\n" + File.ReadAllText(BenchmarksReadmePath);

    /// <summary>Every backticked spec in the markdown that parses and sets <c>epochs=N</c>, in order of first appearance, each once.</summary>
    public static IReadOnlyList<string> BudgetSpecs(string markdown)
    {
        var specs = new List<string>();
        foreach (Match match in BacktickedMlp().Matches(markdown))
        {
            string text = match.Groups[1].Value;
            StudentSpec spec;
            try
            {
                spec = StudentSpec.Parse(text);
            }
            catch (ArgumentException)
            {
                continue; // a usage pattern such as mlp:H1,H2[:epochs=auto|N], not a spec
            }

            if (spec["epochs"] != 0 && !specs.Contains(text, StringComparer.Ordinal))
            {
                specs.Add(text);
            }
        }

        return specs;
    }

    /// <summary>The spec with its budget cut to at most <paramref name="epochs"/> (every other option as written).</summary>
    public static string Reduce(string spec, int epochs) =>
        Epochs().Replace(spec, m => "epochs=" + Math.Min(epochs, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture));

    [GeneratedRegex(@"`(mlp:[^`\s]+)`")]
    private static partial Regex BacktickedMlp();

    [GeneratedRegex(@"epochs=(\d+)")]
    private static partial Regex Epochs();
}
