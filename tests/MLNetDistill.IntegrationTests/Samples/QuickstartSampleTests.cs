using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Samples;

public sealed partial class QuickstartSampleTests
{
    [Fact]
    public void Main_1000RowsFromAnotherFolder_PrintsTheTeacherAndSavesAStudentThatPredictsAsPrinted()
    {
        string folder = SamplePrograms.EmptyFolder();
        var (code, output) = ChildProcess.Run(ChildProcess.Dotnet, [SamplePrograms.Dll("Quickstart"), "1000"], folder, TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"Quickstart exited {code}:\n{output}");

        // The teacher's accuracy as printed is the one the teacher has on the same held-out rows, computed here.
        var ml = new MLContext(seed: 0);
        var split = ml.Data.TrainTestSplit(ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 1000), testFraction: 0.2, seed: 0);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(split.TestSet);
        var scored = teacher.Transform(split.TestSet);
        double teacherAccuracy = scored.GetColumn<float>("Label").Zip(scored.GetColumn<uint>("TeacherPredictedLabel"), (l, p) => l + 1 == p ? 1.0 : 0.0).Average();
        var quality = QualityLine().Match(output);
        Assert.True(quality.Success, output);
        Assert.Equal(teacherAccuracy.ToString("F4", CultureInfo.InvariantCulture), quality.Groups["teacher"].Value);
        Assert.InRange(double.Parse(quality.Groups["student"].Value, CultureInfo.InvariantCulture), 0.6, teacherAccuracy + 0.05); // 800 rows, 50 trees

        // The model is saved in the working directory, not beside the sample, and predicts the first held-out image as printed.
        string model = Path.Combine(folder, "quickstart-student.zip");
        Assert.True(File.Exists(model), output);
        var predictions = ml.Model.Load(model, out _).Transform(ml.Data.TakeRows(split.TestSet, 1));
        uint predicted = predictions.GetColumn<uint>("PredictedLabel").First();
        float probability = predictions.GetColumn<float[]>("Score").First().Max();
        Assert.Contains($"first held-out image: class {predicted - 1}, probability {probability.ToString("F4", CultureInfo.InvariantCulture)}", output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"teacher accuracy (?<teacher>[0-9.]+), student (?<student>[0-9.]+) \([0-9.]+ % of the teacher\), agreement [0-9.]+ on (?<rows>\d+) images")]
    private static partial Regex QualityLine();
}
