using System.Text.Json;
using System.Text.RegularExpressions;

namespace MLNetDistill.Tests.Notebooks;

/// <summary>
/// The set-up a notebook user does, once for the notebook tests: restore the pinned <c>dotnet-repl</c> tool from the manifest
/// (<c>.config/dotnet-tools.json</c>), run the pack command the notebooks' first cell documents (read from
/// 01-quickstart.ipynb, so the test does exactly the user's step), and drop that version from the NuGet cache, which
/// otherwise keeps the package of an earlier pack forever.
/// </summary>
public sealed partial class NotebookFeed
{
    public NotebookFeed()
    {
        string first = Notebook.Cells(Path.Combine(Folder, "01-quickstart.ipynb"))[0].Source;
        PackCommands = [.. PackLine().Matches(first).Select(m => m.Value.Trim()).Distinct()];
        if (PackCommands.Count == 0)
        {
            throw new InvalidOperationException("01-quickstart.ipynb's first cell documents no `dotnet pack ...` command.");
        }

        PackCommand = PackCommands[0];
        Version = NuGetReference().Match(string.Concat(Notebook.Cells(Path.Combine(Folder, "01-quickstart.ipynb")).Select(c => c.Source))) is { Success: true } r
            ? r.Groups["version"].Value
            : throw new InvalidOperationException("01-quickstart.ipynb has no #r \"nuget: MLNetDistill, <version>\".");

        Run(ChildProcess.Dotnet, ["tool", "restore"], TimeSpan.FromMinutes(5));
        foreach (string command in PackCommands)
        {
            string[] pack = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("dotnet", pack[0]);
            Run(ChildProcess.Dotnet, pack[1..], TimeSpan.FromMinutes(10));
        }

        Package = Path.Combine(TestPaths.Repo, "artifacts", "packages", $"MLNetDistill.{Version}.nupkg");
        Assert.True(File.Exists(Package), $"'{PackCommand}' made no {Package}");
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
            ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in (string[])["mlnetdistill", "mlnetdistill.reports"])
        {
            string cached = Path.Combine(cache, id, Version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }
    }

    /// <summary>The notebooks' folder.</summary>
    public static string Folder => Path.Combine(TestPaths.Repo, "notebooks");

    /// <summary>The first pack command the first cell documents (the core library's).</summary>
    public string PackCommand { get; }

    /// <summary>Every pack command the first cell documents, in order (the core library, then MLNetDistill.Reports), all run by the fixture.</summary>
    public IReadOnlyList<string> PackCommands { get; }

    /// <summary>The package version the notebooks reference.</summary>
    public string Version { get; }

    /// <summary>The package the command made.</summary>
    public string Package { get; }

    private static void Run(string program, string[] args, TimeSpan timeout)
    {
        var (code, output) = ChildProcess.Run(program, args, TestPaths.Repo, timeout);
        Assert.True(code == 0, $"'{program} {string.Join(' ', args)}' exited {code}:\n{output}");
    }

    [GeneratedRegex(@"dotnet pack src/MLNetDistill[^\n`]*")]
    private static partial Regex PackLine();

    [GeneratedRegex(@"#r ""nuget: MLNetDistill, (?<version>[0-9][^""]*)""")]
    internal static partial Regex NuGetReference();
}

/// <summary>A notebook's cells, committed or as <c>dotnet-repl</c> wrote them after running.</summary>
internal sealed record Notebook(string CellType, string Source, IReadOnlyList<NotebookOutput> Outputs)
{
    public static IReadOnlyList<Notebook> Cells(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var cells = new List<Notebook>();
        foreach (var cell in doc.RootElement.GetProperty("cells").EnumerateArray())
        {
            var outputs = new List<NotebookOutput>();
            if (cell.TryGetProperty("outputs", out var list))
            {
                foreach (var o in list.EnumerateArray())
                {
                    string kind = o.GetProperty("output_type").GetString()!;
                    var data = new Dictionary<string, string>();
                    if (o.TryGetProperty("data", out var mimes))
                    {
                        foreach (var mime in mimes.EnumerateObject())
                        {
                            data[mime.Name] = Text(mime.Value);
                        }
                    }

                    string? error = kind == "error" ? $"{o.GetProperty("ename").GetString()}: {o.GetProperty("evalue").GetString()}" : null;
                    outputs.Add(new NotebookOutput(kind, data, error));
                }
            }

            cells.Add(new Notebook(cell.GetProperty("cell_type").GetString()!, Text(cell.GetProperty("source")), outputs));
        }

        return cells;
    }

    private static string Text(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array ? string.Concat(value.EnumerateArray().Select(l => l.GetString())) : value.GetString() ?? "";
}

/// <summary>One output of a cell: its type (display_data, execute_result, error), its MIME data, the error text.</summary>
internal sealed record NotebookOutput(string Type, IReadOnlyDictionary<string, string> Data, string? Error);
