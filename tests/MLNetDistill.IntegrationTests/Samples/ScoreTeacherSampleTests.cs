using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MLNetDistill.Tests.Samples;

public sealed class ScoreTeacherSampleTests
{
    [Fact]
    public void Main_FromAnotherFolder_ScoresAtTheRecordedAccuracyAndSurvivesSaveAndLoad()
    {
        string folder = SamplePrograms.EmptyFolder();
        var (code, output) = ChildProcess.Run(ChildProcess.Dotnet, [SamplePrograms.Dll("ScoreTeacher")], folder, TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"ScoreTeacher exited {code}:\n{output}");

        // All 10,000 embedded images: the accuracy samples/teachers/fashion_cnn.json records for the teacher.
        var facts = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Repo, "samples", "teachers", "fashion_cnn.json"))).RootElement;
        var accuracy = Regex.Match(output, @"teacher on \S+: accuracy (?<p>[0-9.]+) ?%");
        Assert.True(accuracy.Success, output);
        double recorded = facts.GetProperty("testAccuracy").GetDouble() * 100; // recorded to 0.1 point
        Assert.InRange(double.Parse(accuracy.Groups["p"].Value, CultureInfo.InvariantCulture), recorded - 0.06, recorded + 0.06);

        Assert.True(File.Exists(Path.Combine(folder, "teacher-model.zip")), output);
        var difference = Regex.Match(output, @"after save/load, largest difference: (?<d>\S+)");
        Assert.True(difference.Success, output);
        Assert.InRange(double.Parse(difference.Groups["d"].Value, CultureInfo.InvariantCulture), 0, 1e-5);
    }
}
