using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Evaluation;

namespace MLNetDistill.Tests.Notebooks;

/// <summary>
/// Runs every code cell of the committed notebooks in order, as .NET Interactive would, with Roslyn scripting, and
/// checks what each cell shows (its displayed value) against the teacher's recorded facts and an independent evaluation.
/// </summary>
[Collection("Console")]
public sealed partial class NotebookTests
{
    [Fact]
    public async Task DistillFashionMnist_AllCells_ShowTheTeacherAndAStudentThatMatchesTheEvaluator()
    {
        // The notebook's views are lazy and read files by paths relative to the repository, so the checks run there too.
        await RunNotebook("distill-fashion-mnist.ipynb", Check);
    }

    private static void Check(List<object?> outputs, ScriptState<object> state)
    {

        // Four code cells: the usings (no output), the teacher's description, its accuracy, the student's.
        Assert.Equal(4, outputs.Count);
        Assert.Null(outputs[0]);

        // Cell 2: the description read from the file, as samples/teachers/fashion_cnn.json records it.
        var facts = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Repo, "samples", "teachers", "fashion_cnn.json"))).RootElement;
        long parameters = facts.GetProperty("parameters").GetInt64();
        Assert.Equal($"input [batch, 1, 28, 28] -> logits [batch, 10], {parameters.ToString("N0", CultureInfo.CurrentCulture)} parameters", outputs[1]);

        // Cell 3: the teacher's accuracy on the 70 % transfer part, shown as a percentage of the value the cell computed;
        // the teacher scores 91.4 % on the whole test set (fashion_cnn.json), so a 7,000-row part is within 2 points of it.
        double teacherAccuracy = (double)state.GetVariable("teacherAccuracy").Value;
        Assert.Equal($"teacher accuracy on the transfer part: {teacherAccuracy.ToString("P1", CultureInfo.CurrentCulture)}", outputs[2]);
        Assert.InRange(teacherAccuracy, facts.GetProperty("testAccuracy").GetDouble() - 0.02, facts.GetProperty("testAccuracy").GetDouble() + 0.02);
        var scored = (IDataView)state.GetVariable("scored").Value;
        Assert.InRange(scored.GetColumn<float>("Label").Count(), 6700, 7300);

        // Cell 4: the student's accuracy and agreement as shown, equal to what DistillationEvaluator computes on the
        // same predictions (Score against the labels, and against the teacher's T = 1 SoftLabels).
        var match = StudentLine().Match(Assert.IsType<string>(outputs[3]));
        Assert.True(match.Success, $"cell 4 showed '{outputs[3]}'");
        double studentAccuracy = (double)state.GetVariable("studentAccuracy").Value;
        double agreement = (double)state.GetVariable("agreement").Value;
        Assert.Equal(studentAccuracy.ToString("P1", CultureInfo.CurrentCulture), match.Groups["accuracy"].Value);
        Assert.Equal(agreement.ToString("P1", CultureInfo.CurrentCulture), match.Groups["agreement"].Value);
        var metrics = DistillationEvaluator.Evaluate((IDataView)state.GetVariable("predicted").Value);
        Assert.Equal(metrics.Accuracy, studentAccuracy, 1e-9);
        Assert.Equal(metrics.Agreement, agreement, 1e-9);
        Assert.InRange(metrics.Rows, 2700, 3300);

        // A 784-64-10 student after 5 epochs on 7,000 rows (0.743 accuracy when this test was written): far above
        // chance (0.1), below the teacher.
        Assert.InRange(studentAccuracy, 0.6, teacherAccuracy + 0.02);
        Assert.InRange(agreement, 0.6, 1.0);
    }

    /// <summary>Runs the notebook's code cells in order from the repository root, then <paramref name="check"/> with each cell's displayed value (its last expression) and the final state.</summary>
    private static async Task RunNotebook(string name, Action<List<object?>, ScriptState<object>> check)
    {
        string notebook = Path.Combine(TestPaths.Repo, "notebooks", name);
        var cells = JsonDocument.Parse(File.ReadAllText(notebook)).RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.GetProperty("cell_type").GetString() == "code")
            .Select(c => string.Concat(c.GetProperty("source").EnumerateArray().Select(l => l.GetString())))
            .ToArray();
        var options = ScriptOptions.Default
            .AddReferences(typeof(MLNetDistill.TeacherCatalog).Assembly, typeof(MLContext).Assembly, typeof(Microsoft.ML.Data.VectorDataViewType).Assembly)
            .WithImports("System", "System.Linq", "System.Collections.Generic");
        string previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(TestPaths.Repo);
        try
        {
            var outputs = new List<object?>();
            ScriptState<object>? state = null;
            foreach (string cell in cells)
            {
                // The notebook loads the library with #r; the test references the same assembly directly.
                string code = string.Join('\n', cell.Split('\n').Where(l => !l.TrimStart().StartsWith("#r ", StringComparison.Ordinal)));
                state = state is null ? await CSharpScript.RunAsync(code, options) : await state.ContinueWithAsync(code, options);
                outputs.Add(state.ReturnValue);
            }

            check(outputs, state!);
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }

    [GeneratedRegex(@"^student accuracy (?<accuracy>.+), agreement with the teacher (?<agreement>.+)$")]
    private static partial Regex StudentLine();
}
