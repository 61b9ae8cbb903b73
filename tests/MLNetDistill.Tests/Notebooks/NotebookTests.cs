using System.Text.Json;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace MLNetDistill.Tests.Notebooks;

/// <summary>Runs every code cell of the committed notebooks in order, as .NET Interactive would, with Roslyn scripting.</summary>
[Collection("Console")]
public sealed class NotebookTests
{
    [Fact]
    public async Task DistillFashionMnist_AllCells_RunAndReportAStudent()
    {
        string notebook = Path.Combine(TestPaths.Repo, "notebooks", "distill-fashion-mnist.ipynb");
        var cells = JsonDocument.Parse(File.ReadAllText(notebook)).RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.GetProperty("cell_type").GetString() == "code")
            .Select(c => string.Concat(c.GetProperty("source").EnumerateArray().Select(l => l.GetString())))
            .ToArray();
        var options = ScriptOptions.Default
            .AddReferences(typeof(MLNetDistill.TeacherCatalog).Assembly, typeof(Microsoft.ML.MLContext).Assembly, typeof(Microsoft.ML.Data.VectorDataViewType).Assembly)
            .WithImports("System", "System.Linq", "System.Collections.Generic");
        string previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(TestPaths.Repo);
        try
        {
            ScriptState<object>? state = null;
            foreach (string cell in cells)
            {
                // The notebook loads the library with #r; the test references the same assembly directly.
                string code = string.Join('\n', cell.Split('\n').Where(l => !l.TrimStart().StartsWith("#r ", StringComparison.Ordinal)));
                state = state is null ? await CSharpScript.RunAsync(code, options) : await state.ContinueWithAsync(code, options);
            }

            string result = Assert.IsType<string>(state!.ReturnValue);
            Assert.Contains("student accuracy", result, StringComparison.Ordinal);
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }
}
