using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Samples;

public sealed partial class EmailTriageSampleTests
{
    [Fact]
    public void Main_500EmailFixtureFromAnotherFolder_PrintsTheTeacherAndHardHamAsComputedOffline()
    {
        // The sample's default teacher, all-MiniLM-L6-v2 with the spam head (assembled from the NuGet package on first use).
        string teacherFile = Teachers.MiniLmSpamTeacher.ModelFile;
        string folder = SamplePrograms.EmptyFolder();
        string emails = TestPaths.Fixture("llm_emails.csv");
        var (code, output) = ChildProcess.Run(ChildProcess.Dotnet, [SamplePrograms.Dll("EmailTriage"), emails], folder, TimeSpan.FromMinutes(10));
        Assert.True(code == 0, $"EmailTriage exited {code}:\n{output}");

        // The same split, scored by the teacher here: the held-out count, the teacher's accuracy, and its hard-ham figures.
        var ml = new MLContext(seed: 0);
        var split = ml.Data.TrainTestSplit(DataSourceReader.LoadText(emails, "Text", "Label"), testFraction: 0.2, seed: 0);
        using var teacher = ml.Transforms.ScoreTextWithTeacher(teacherFile, "Text").Fit(split.TestSet);
        var scored = teacher.Transform(split.TestSet);
        float[] labels = [.. scored.GetColumn<float>("Label")];
        string[] groups = [.. scored.GetColumn<string>("Group")];
        int[] predicted = [.. scored.GetColumn<float[]>(DataColumnNames.SoftLabels).Select(p => p[1] > p[0] ? 1 : 0)];
        int trainRows = split.TrainSet.GetColumn<float>("Label").Count();
        Assert.Contains($"data: {trainRows} training and {labels.Length} held-out emails from {emails}", output, StringComparison.Ordinal);

        var teacherLine = TeacherLine().Match(output);
        Assert.True(teacherLine.Success, output);
        double teacherAccuracy = labels.Select((l, i) => predicted[i] == (int)l ? 1.0 : 0.0).Average();
        Assert.Equal(teacherAccuracy.ToString("F4", CultureInfo.InvariantCulture), teacherLine.Groups["accuracy"].Value);

        int[] hard = [.. Enumerable.Range(0, labels.Length).Where(i => groups[i] == "hard_ham_1")];
        Assert.NotEmpty(hard);
        int hardMistakes = hard.Count(i => predicted[i] != (int)labels[i]);
        double hardAccuracy = 1.0 - ((double)hardMistakes / hard.Length);
        Assert.Contains($"hard ham ({hard.Length} held-out emails): teacher accuracy {hardAccuracy.ToString("F4", CultureInfo.InvariantCulture)}, {hardMistakes} mistakes", output, StringComparison.Ordinal);

        // Both students: a real (if small) text model, and an inheritance table whose counts add up to the teacher's mistakes.
        foreach (string name in new[] { "hard labels", "distilled" })
        {
            var student = StudentLine().Matches(output).Single(m => m.Groups["name"].Value == name);
            Assert.InRange(double.Parse(student.Groups["accuracy"].Value, CultureInfo.InvariantCulture), 0.6, 1.0);
            var inherited = InheritanceLine().Matches(output).Single(m => m.Groups["name"].Value == name);
            Assert.Equal(hardMistakes, int.Parse(inherited.Groups["mistakes"].Value, CultureInfo.InvariantCulture));
            Assert.Equal(hardMistakes, int.Parse(inherited.Groups["copied"].Value, CultureInfo.InvariantCulture) + int.Parse(inherited.Groups["fixed"].Value, CultureInfo.InvariantCulture));
            double accuracy = double.Parse(inherited.Groups["accuracy"].Value, CultureInfo.InvariantCulture);
            int studentMistakes = int.Parse(inherited.Groups["copied"].Value, CultureInfo.InvariantCulture) + int.Parse(inherited.Groups["new"].Value, CultureInfo.InvariantCulture);
            Assert.Equal(1.0 - ((double)studentMistakes / hard.Length), accuracy, 4);
        }

        // Latency: both timed, and the ratio printed is the ratio of the two medians.
        var latency = LatencyLine().Match(output);
        Assert.True(latency.Success, output);
        double teacherUs = double.Parse(latency.Groups["teacher"].Value, CultureInfo.InvariantCulture);
        double studentUs = double.Parse(latency.Groups["student"].Value, CultureInfo.InvariantCulture);
        Assert.True(teacherUs > 0 && studentUs > 0, output);
        // The medians are printed to the microsecond: the true ratio lies within what that rounding allows (a 90 MB teacher
        // against a ~40 us student is a ratio in the hundreds, where half a microsecond of the student's is several units).
        Assert.True(studentUs > 0.5, output);
        double rounding = ((teacherUs + 0.5) / (studentUs - 0.5)) - (teacherUs / studentUs);
        Assert.Equal(teacherUs / studentUs, double.Parse(latency.Groups["ratio"].Value, CultureInfo.InvariantCulture), rounding + 0.1);
    }

    [Fact]
    public void Main_NoCsvFolder_ExitsNonZeroNamingTheFetchScript()
    {
        string folder = SamplePrograms.EmptyFolder();
        var (code, output) = ChildProcess.Run(ChildProcess.Dotnet, [SamplePrograms.Dll("EmailTriage"), Path.Combine(folder, "csv")], folder, TimeSpan.FromMinutes(1));
        Assert.Equal(1, code);
        Assert.Contains("No SpamAssassin CSVs at " + Path.Combine(folder, "csv"), output, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("samples", "data", "spam-assassin", "make_csv.py"), output, StringComparison.Ordinal);
    }

    [Fact]
    public void Main_TeacherFileMissing_ExitsNonZeroNamingIt()
    {
        string folder = SamplePrograms.EmptyFolder();
        string missing = Path.Combine(folder, "model.onnx");
        var (code, output) = ChildProcess.Run(ChildProcess.Dotnet, [SamplePrograms.Dll("EmailTriage"), TestPaths.Fixture("llm_emails.csv"), missing], folder, TimeSpan.FromMinutes(1));
        Assert.Equal(1, code);
        Assert.Contains($"No teacher at {missing}", output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"teacher \(transformer, [0-9,]+ bytes\): accuracy (?<accuracy>[0-9.]+)")]
    private static partial Regex TeacherLine();

    [GeneratedRegex(@"^student (?:on )?(?<name>hard labels|distilled): accuracy (?<accuracy>[0-9.]+), agreement (?<agreement>[0-9.]+)", RegexOptions.Multiline)]
    private static partial Regex StudentLine();

    [GeneratedRegex(@"  student (?<name>hard labels|distilled): accuracy (?<accuracy>[0-9.]+), agreement [0-9.]+; of the teacher's (?<mistakes>\d+) mistakes copied (?<copied>\d+), fixed (?<fixed>\d+); new mistakes (?<new>\d+)")]
    private static partial Regex InheritanceLine();

    [GeneratedRegex(@"per email \(p50 of \d+\): teacher (?<teacher>[0-9.]+) us, student (?<student>[0-9.]+) us, student (?<ratio>[0-9.]+)x faster")]
    private static partial Regex LatencyLine();
}
