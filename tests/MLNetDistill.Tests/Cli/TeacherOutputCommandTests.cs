using System.Text.Json;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Cli;

/// <summary>Choosing the teacher's output from the command line (issue 21, item 3): ML.NET exports, scikit-learn's ZipMap, a teacher below chance.</summary>
[Collection("Console")]
public sealed class TeacherOutputCommandTests
{
    private static string DigitsTrain => TestPaths.Fixture("digits_train.csv");

    private static string DigitsTest => TestPaths.Fixture("digits_test.csv");

    [Theory]
    [InlineData("lightgbm:trees=20")]
    [InlineData("sdca")]
    public void Score_MlNetExportedStudentAsTeacher_ReadsScoreOutputAtTheStudentsAccuracy(string spec)
    {
        // A real ML.NET model exported by ML.NET's converter: the .onnx distill writes beside a lightgbm or sdca student.
        using var folder = new TempFolder();
        var (code, _, error) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("digits_teacher.onnx"), "--train", DigitsTrain, "--test", DigitsTest,
            "--student", spec, "--out", folder.File("student.zip"), "--report", folder.File("report.json"));
        Assert.True(code == 0, error);
        string onnx = folder.File("student.onnx");
        Assert.Equal("Features.output", MLNetDistill.Onnx.OnnxModelInfo.Load(onnx).Outputs[0].Name);
        using var report = JsonDocument.Parse(File.ReadAllText(folder.File("report.json")));
        double studentAccuracy = report.RootElement.GetProperty("student").GetProperty("accuracy").GetDouble();

        (code, var stdout, error) = CliRunner.Run("score", "--teacher", onnx, "--data", DigitsTest, "--out", folder.File("cache.csv"), "--json");

        Assert.True(code == 0, error);
        Assert.DoesNotContain("warning", error, StringComparison.Ordinal);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(10, json.GetProperty("classes").GetInt32());
        Assert.Equal("Score.output", json.GetProperty("teacherOutput").GetString());
        Assert.True(json.GetProperty("outputWasProbabilities").GetBoolean());
        // The exported graph predicts as the ML.NET model does (a float tie could move a row or two).
        Assert.InRange(json.GetProperty("teacherAccuracy").GetDouble(), studentAccuracy - 0.003, studentAccuracy + 0.003);
        Assert.True(studentAccuracy > 0.9, $"student accuracy {studentAccuracy}");

        (code, _, error) = CliRunner.Run("score", "--teacher", onnx, "--data", DigitsTest, "--out", folder.File("copy.csv"), "--teacher-output", "Features.output");
        Assert.Equal(2, code);
        Assert.StartsWith("error: --teacher-output: ", error, StringComparison.Ordinal);
        Assert.Contains("copy of the model's input 'Features'", error, StringComparison.Ordinal);
        Assert.Contains("Score.output", error, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.File("copy.csv")));
    }

    [Fact]
    public void Score_SklearnZipMapClassifier_ReadsItsProbabilities()
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("digits_zipmap_teacher.json")));
        string teacher = TestPaths.Fixture("digits_zipmap_teacher.onnx");
        using var folder = new TempFolder();

        var (code, stdout, error) = CliRunner.Run("score", "--teacher", teacher, "--data", DigitsTest, "--out", folder.File("cache.csv"), "--json");

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("output_probability", json.GetProperty("teacherOutput").GetString());
        Assert.Equal(expected.RootElement.GetProperty("testAccuracy").GetDouble(), json.GetProperty("teacherAccuracy").GetDouble(), 9);

        // --teacher-output names the same output; the int64 label output is refused, listing the outputs.
        (code, _, error) = CliRunner.Run("score", "--teacher", teacher, "--data", DigitsTest, "--out", folder.File("named.csv"), "--teacher-output", "output_probability");
        Assert.True(code == 0, error);
        Assert.Equal(File.ReadAllText(folder.File("cache.csv")), File.ReadAllText(folder.File("named.csv")));
        (code, _, error) = CliRunner.Run("score", "--teacher", teacher, "--data", DigitsTest, "--out", folder.File("label.csv"), "--teacher-output", "output_label");
        Assert.Equal(2, code);
        Assert.Contains("int64", error, StringComparison.Ordinal);
        Assert.Contains("output_probability", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Score_LabelsPermuted_WarnsBelowChanceNamingTheCauses()
    {
        // The same teacher, right on 98% of the real labels, is scored against labels shifted by one class: below chance.
        using var folder = new TempFolder();
        string[] lines = File.ReadAllLines(DigitsTest);
        string permuted = folder.Write("permuted.csv", string.Join('\n', lines.Select((line, i) =>
        {
            if (i == 0 || line.Length == 0)
            {
                return line;
            }

            int comma = line.LastIndexOf(',');
            return line[..(comma + 1)] + ((int.Parse(line[(comma + 1)..], System.Globalization.CultureInfo.InvariantCulture) + 1) % 10).ToString(System.Globalization.CultureInfo.InvariantCulture);
        })) + "\n");

        var (code, _, error) = CliRunner.Run("score", "--teacher", TestPaths.Fixture("digits_teacher.onnx"), "--data", permuted, "--out", folder.File("p.csv"));
        Assert.Equal(0, code);
        Assert.StartsWith("warning: ", error, StringComparison.Ordinal);
        Assert.Contains("below chance", error, StringComparison.Ordinal);
        Assert.Contains("--teacher-output", error, StringComparison.Ordinal);
        Assert.Contains("class", error, StringComparison.Ordinal);
        Assert.Contains("scaled", error, StringComparison.Ordinal);

        (code, _, error) = CliRunner.Run("score", "--teacher", TestPaths.Fixture("digits_teacher.onnx"), "--data", DigitsTest, "--out", folder.File("real.csv"));
        Assert.Equal(0, code);
        Assert.DoesNotContain("below chance", error, StringComparison.Ordinal);

        // distill prints the same warning before training.
        (code, _, error) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("digits_teacher.onnx"), "--train", permuted, "--student", "sdca",
            "--out", folder.File("s.zip"), "--report", folder.File("r.json"));
        Assert.Equal(0, code);
        Assert.Contains("warning: The teacher's accuracy", error, StringComparison.Ordinal);
    }
}
