using System.Text.RegularExpressions;

namespace MLNetDistill.Tests;

/// <summary>
/// The library's folders by role (design.md): data flows one way, so no folder imports a folder that imports it. An
/// import is any mention of <c>MLNetDistill.Folder</c> (a using, a full name, a cref) in a folder's sources.
/// </summary>
public sealed partial class FolderImportTests
{
    private static string Library => Path.Combine(TestPaths.Repo, "src", "MLNetDistill");

    [Fact]
    public void Imports_EveryLibraryFolder_NoCycle()
    {
        var imports = Imports();
        var cycles = new List<string>();
        foreach (var (folder, targets) in imports)
        {
            foreach (string target in targets)
            {
                if (PathBetween(imports, target, folder) is { } back)
                {
                    cycles.Add($"{folder} -> {string.Join(" -> ", back)}");
                }
            }
        }

        Assert.True(imports.Count >= 15, $"only {imports.Count} folders found under {Library}");
        Assert.True(cycles.Count == 0, "folder cycles: " + string.Join("; ", cycles));
    }

    [Fact]
    public void Imports_TheFoundations_ImportNoOtherFolder()
    {
        var imports = Imports();
        foreach (string foundation in (string[])["Numerics", "Onnx", "MlNet", "Text"])
        {
            Assert.Empty(imports[foundation]);
        }

        Assert.Contains("Serving", imports["Experiments"]);
        Assert.DoesNotContain("Experiments", imports["Serving"]);
    }

    private static Dictionary<string, HashSet<string>> Imports()
    {
        string[] folders = [.. Directory.GetDirectories(Library).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).Select(f => f!)];
        var imports = folders.ToDictionary(f => f, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (string folder in folders)
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(Library, folder), "*.cs", SearchOption.AllDirectories))
            {
                foreach (Match m in Mention().Matches(File.ReadAllText(file)))
                {
                    string target = m.Groups["folder"].Value;
                    if (target != folder && imports.ContainsKey(target))
                    {
                        imports[folder].Add(target);
                    }
                }
            }
        }

        return imports;
    }

    /// <summary>A path of imports from one folder to another (breadth first), or null.</summary>
    private static List<string>? PathBetween(Dictionary<string, HashSet<string>> imports, string from, string to)
    {
        var previous = new Dictionary<string, string> { [from] = from };
        var queue = new Queue<string>([from]);
        while (queue.TryDequeue(out string? at))
        {
            if (at == to)
            {
                var path = new List<string> { to };
                for (string p = to; p != from; p = previous[p])
                {
                    path.Insert(0, previous[p]);
                }

                return path;
            }

            foreach (string next in imports[at].Where(n => previous.TryAdd(n, at)))
            {
                queue.Enqueue(next);
            }
        }

        return null;
    }

    [GeneratedRegex(@"\bMLNetDistill\.(?<folder>[A-Z][A-Za-z]+)\b")]
    private static partial Regex Mention();
}
