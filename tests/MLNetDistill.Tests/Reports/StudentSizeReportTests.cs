using System.Text.Json;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Reports;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Reports;

public sealed class StudentSizeReportTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly MLContext _ml = new(seed: 0);

    public void Dispose() => _temp.Dispose();

    private IDataView Cancer => DataSourceReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label");

    private StudentSizeExperimentResult Run(params string[] students) => new StudentSizeExperiment(_ml)
        .SetTeacher(TestPaths.Fixture("binary_teacher.onnx"))
        .AddStudents(students)
        .SetAccuracyTolerance(0.05)
        .Run(_ml.Data.TakeRows(Cancer, 400), _ml.Data.SkipRows(Cancer, 400));

    [Fact]
    public void WriteAll_BreastCancerThreeStudents_WritesModelsJsonMarkdownChartAndHtml()
    {
        using var result = Run("sdca", "lightgbm:trees=5", "mlp:8:epochs=5,batch=32");
        string folder = Path.Combine(_temp.Path, "out");

        var files = StudentSizeReport.WriteAll(_ml, result, folder);

        Assert.Equal(["sdca.zip", "sdca.onnx", "lightgbm_trees=5.zip", "lightgbm_trees=5.onnx", "mlp_8_epochs=5,batch=32.zip", "mlp_8_epochs=5,batch=32.onnx", "leaderboard.json", "report.md", "tradeoff.png", "report.html"],
            files.Select(Path.GetFileName));
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > 0, f));
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "leaderboard.json"))).RootElement;
        Assert.Equal("size", json.GetProperty("costAxis").GetString());
        Assert.Equal(0.05, json.GetProperty("accuracyTolerance").GetDouble());
        Assert.Equal(569, json.GetProperty("teacherRowsScored").GetInt64());
        var students = json.GetProperty("students").EnumerateArray().ToList();
        Assert.Equal(3, students.Count);
        foreach (var s in students)
        {
            foreach (string field in new[] { "name", "spec", "accuracy", "macroF1", "logLoss", "agreement", "klToTeacher", "retainedAccuracy", "trainSeconds", "modelBytes", "parameters", "cost", "pareto", "chosen", "modelFile" })
            {
                Assert.True(s.TryGetProperty(field, out _), $"{field} missing");
            }

            Assert.True(File.Exists(Path.Combine(folder, s.GetProperty("modelFile").GetString()!)));
        }

        Assert.Equal(result.Leaderboard.Chosen?.Name, json.GetProperty("chosen").GetString());
        Assert.Equal(result.Leaderboard.Chosen is null ? 0 : 1, students.Count(s => s.GetProperty("chosen").GetBoolean()));
        Assert.Contains(students, s => s.GetProperty("pareto").GetBoolean());
        Assert.All(students, s => Assert.True(s.GetProperty("parameters").GetInt64() > 0)); // trees too: thresholds and leaf values

        Assert.Contains("teacher's accuracy", json.GetProperty("choice").GetString()!, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0027", File.ReadAllText(Path.Combine(folder, "leaderboard.json")), StringComparison.Ordinal); // text as written, not escaped
        string md = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains("**Pick:** " + result.Leaderboard.Choice, md, StringComparison.Ordinal);
        Assert.Contains("| teacher |", md, StringComparison.Ordinal);
        Assert.Contains("| lightgbm:trees=5 |", md, StringComparison.Ordinal);
        Assert.Contains("![quality vs cost](tradeoff.png)", md, StringComparison.Ordinal);
        byte[] png = File.ReadAllBytes(Path.Combine(folder, "tradeoff.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [Fact]
    public void WriteAll_FolderIsAFile_ThrowsNamingIt()
    {
        using var result = Run("sdca");
        string file = Path.Combine(_temp.Path, "taken");
        File.WriteAllText(file, "");

        var e = Assert.Throws<IOException>(() => StudentSizeReport.WriteAll(_ml, result, file));
        Assert.Contains($"'{file}' is a file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelFiles_NamesMappingToOneFile_AreMadeUnique()
    {
        var entries = new[] { "a/b", "a_b", "A_B" }.Select(n => new LeaderboardEntry(n, n, 0.9, 0.9, 0.1, 0.9, 0.1, 1, 100, null, 100));
        var board = Leaderboard.Create(entries, LeaderboardCostAxis.Size, 0.9, 0.02);

        var files = LeaderboardFiles.ModelFiles(board);

        Assert.Equal(["a_b.zip", "a_b-2.zip", "A_B-3.zip"], board.Entries.Select(e => files[e.Name]));
    }

    [Theory]
    [InlineData("sdca", "sdca.zip")]
    [InlineData("mlp:32,16:epochs=2", "mlp_32,16_epochs=2.zip")]
    [InlineData("my model/v2", "my_model_v2.zip")]
    public void ModelFileName_Spec_ReplacesUnsafeCharacters(string name, string expected) =>
        Assert.Equal(expected, StudentSizeReport.ModelFileName(name));
}
