using System.Text.Json;
using MLNetDistill.Data;
using MLNetDistill.Students;
using MLNetDistill.Tests.Cli;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Readme;

/// <summary>
/// Every student spec README.md or the benchmark page (tests/MLNetDistill.Benchmarks/README.md, where the README's
/// measurements live) states a figure for with an explicit budget runs, its budget cut to a few epochs,
/// through the path a reader has (<c>distill</c>, the real CLI in a child process) on a few hundred Fashion-MNIST rows
/// with the CNN teacher: it trains, writes its report, and runs the epochs its spec says (an explicit budget with an
/// augment is a patient schedule: every epoch of it), so no README figure can come from a schedule the CLI does not run.
/// </summary>
[Collection("Console")]
public sealed class ReadmeRecipeTests : IDisposable
{
    private const int ReducedEpochs = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Recipes()
    {
        // Specs that differ only in their budget (epochs=1000 and epochs=3000) reduce to one run.
        var data = new TheoryData<string>();
        foreach (string spec in ReadmeRecipes.BudgetSpecs(ReadmeRecipes.ReadDocuments()).DistinctBy(s => ReadmeRecipes.Reduce(s, ReducedEpochs)))
        {
            data.Add(spec);
        }

        return data;
    }

    [Fact]
    public void BudgetSpecs_Readme_FindsTheConsistentTeachingRecipes()
    {
        var specs = ReadmeRecipes.BudgetSpecs(ReadmeRecipes.ReadDocuments()).Select(StudentSpec.Parse).ToList();

        Assert.Contains(specs, s => s.Choices["augment"] == "shift" && s["flip"] == 1 && s["epochs"] >= 1000);
        Assert.Contains(specs, s => s.Choices["augment"] == "mixup");
        Assert.DoesNotContain(specs, s => s["epochs"] == 0);
    }

    [Fact]
    public void BudgetSpecs_UsagePatternsAndAutomaticSpecs_AreLeftOut()
    {
        const string markdown = "`mlp:H1,H2[:epochs=auto|N]` and `mlp:128` and `mlp:64:epochs=20,batch=256` and `mlp:64:epochs=20,batch=256` again";

        var specs = ReadmeRecipes.BudgetSpecs(markdown);

        Assert.Equal(["mlp:64:epochs=20,batch=256"], specs);
        Assert.Equal("mlp:128:augment=shift,flip=1,epochs=3", ReadmeRecipes.Reduce("mlp:128:augment=shift,flip=1,epochs=1000", 3));
        Assert.Equal("mlp:64:epochs=1", ReadmeRecipes.Reduce("mlp:64:epochs=1", 3));
    }

    [Theory]
    [MemberData(nameof(Recipes))]
    public void ReadmeRecipe_ReducedThroughDistill_TrainsEveryEpochOfItsBudget(string spec)
    {
        string reduced = ReadmeRecipes.Reduce(spec, ReducedEpochs);
        int budget = (int)StudentSpec.Parse(reduced)["epochs"];
        var (train, test) = FashionFiles();

        var (code, output, error) = ChildCli.Run(Timeout, "distill", "--teacher", TestPaths.FashionTeacher, "--train", train, "--test", test,
            "--student", reduced, "--seed", "1", "--out", _temp.File("student.zip"), "--report", _temp.File("report.json"));

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(_temp.File("report.json"))).RootElement;
        Assert.Equal(StudentSpec.Parse(reduced), StudentSpec.Parse(json.GetProperty("studentSpec").GetString()!));
        Assert.Equal(300, json.GetProperty("trainRows").GetInt64());
        Assert.InRange(json.GetProperty("student").GetProperty("accuracy").GetDouble(), 0.1, 1);
        Assert.InRange(json.GetProperty("student").GetProperty("agreement").GetDouble(), 0.1, 1);
        var epochs = error.Split('\n').Where(l => l.StartsWith(reduced + " epoch ", StringComparison.Ordinal)).ToList();
        Assert.Equal(budget, epochs.Count);
        Assert.StartsWith($"{reduced} epoch {budget}/{budget}:", epochs[^1], StringComparison.Ordinal);
        Assert.Contains("student  accuracy", output, StringComparison.Ordinal);
    }

    /// <summary>Rows [2000, 2300) of the embedded set to train on and [0, 200) to test on, as IDX files with labels (the rows the README's tables use, fewer).</summary>
    private (string Train, string Test) FashionFiles()
    {
        var (pixels, _, cols, labels) = IdxReader.ReadAll(TestPaths.FashionImages);
        return (WriteIdx("train", pixels, cols, 2000, 300, labels!), WriteIdx("test", pixels, cols, 0, 200, labels!));
    }

    private string WriteIdx(string name, float[] pixels, int cols, int first, int count, float[] labels)
    {
        string images = _temp.File($"{name}-images-idx3-ubyte");
        var rows = Enumerable.Range(first, count).Select(i => pixels.AsSpan(i * cols, cols).ToArray().Select(p => (byte)MathF.Round(p * 255)).ToArray()).ToArray();
        IdxFiles.WriteImages(images, rows, 28, 28);
        IdxFiles.WriteLabels(_temp.File($"{name}-labels-idx1-ubyte"), [.. Enumerable.Range(first, count).Select(i => (byte)labels[i])]);
        return images;
    }
}
