using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace MLNetDistill.Tests.Readme;

/// <summary>
/// Compiles and runs every C# program of README.md as a console app of the reader's own would (top-level statements,
/// the SDK's implicit usings, a reference to the library), in a fresh folder that sees the repository's samples, so
/// the README cannot drift from the library again.
/// </summary>
[Collection("Console")]
public sealed class ReadmeTests
{
    private static readonly string[] ImplicitUsings =
        ["System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    public static TheoryData<int> ProgramLines()
    {
        var data = new TheoryData<int>();
        foreach (var program in ReadmePrograms.Read(File.ReadAllText(ReadmePrograms.ReadmePath)))
        {
            data.Add(program.Line);
        }

        return data;
    }

    [Fact]
    public void Read_ContinuationBlocks_JoinTheProgramAbove()
    {
        const string markdown = "text\n```csharp\nusing System;\nvar a = 1;\n```\nmore\n```csharp\nusing var c = new System.IO.MemoryStream();\nConsole.WriteLine(a);\n```\n```bash\nls\n```\n```csharp\nusing System.IO;\nvar b = 2;\n```\n";

        var programs = ReadmePrograms.Read(markdown);

        Assert.Equal(2, programs.Count);
        Assert.Equal(3, programs[0].Line);
        Assert.Contains("var a = 1;", programs[0].Source, StringComparison.Ordinal);
        Assert.Contains("using var c", programs[0].Source, StringComparison.Ordinal); // a using declaration continues
        Assert.Contains("Console.WriteLine(a);", programs[0].Source, StringComparison.Ordinal);
        Assert.DoesNotContain("ls", programs[0].Source, StringComparison.Ordinal);
        Assert.Equal(15, programs[1].Line);
        Assert.Contains("var b = 2;", programs[1].Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Readme_FindsTheTour()
    {
        var programs = ReadmePrograms.Read(File.ReadAllText(ReadmePrograms.ReadmePath));

        Assert.NotEmpty(programs);
        Assert.Contains(programs, p => p.Source.Contains("ScoreWithTeacher", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ProgramLines))]
    public async Task ReadmeProgram_AsWritten_CompilesAndRuns(int line)
    {
        var (_, source) = ReadmePrograms.Read(File.ReadAllText(ReadmePrograms.ReadmePath)).Single(p => p.Line == line);
        var assembly = Compile(source, line);
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-readme", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        // The programs read the repository's samples and committed fixtures by relative paths, as from a clone's root.
        Directory.CreateSymbolicLink(Path.Combine(folder, "samples"), Path.Combine(TestPaths.Repo, "samples"));
        Directory.CreateSymbolicLink(Path.Combine(folder, "tests"), Path.Combine(TestPaths.Repo, "tests"));
        string previous = Directory.GetCurrentDirectory();
        var previousOut = Console.Out;
        using var output = new StringWriter();
        Directory.SetCurrentDirectory(folder);
        Console.SetOut(output);
        try
        {
            var entry = assembly.EntryPoint!;
            object? result = entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
            if (result is Task task)
            {
                await task;
            }
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new Xunit.Sdk.XunitException($"The README program at line {line} threw {e.InnerException.GetType().Name}: {e.InnerException.Message}\nIt printed:\n{output}\n{e.InnerException}");
        }
        finally
        {
            Console.SetOut(previousOut);
            Directory.SetCurrentDirectory(previous);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Assembly Compile(string source, int line)
    {
        string globalUsings = string.Concat(ImplicitUsings.Select(u => $"global using global::{u};\n"));
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(globalUsings, new CSharpParseOptions(LanguageVersion.Latest), "GlobalUsings.g.cs"),
            CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), "Program.cs"),
        };
        var compilation = CSharpCompilation.Create($"ReadmeProgram{line}", trees, References(),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.True(emitted.Success, $"The README program at line {line} does not compile:\n{string.Join('\n', errors)}");
        return Assembly.Load(image.ToArray());
    }

    private static List<MetadataReference> References()
    {
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        foreach (string path in tpa.Split(Path.PathSeparator).Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll")))
        {
            paths.TryAdd(Path.GetFileName(path), path);
        }

        // What a reader's console app references: the framework and the library's package graph, not the tests.
        string[] notTheirs = ["MLNetDistill.Tests.dll", "mlnet-distill.dll"];
        return paths.Values.Where(p => !notTheirs.Contains(Path.GetFileName(p), StringComparer.OrdinalIgnoreCase)
                && !Path.GetFileName(p).StartsWith("xunit", StringComparison.OrdinalIgnoreCase) && IsManaged(p)).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
    }

    private static bool IsManaged(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
