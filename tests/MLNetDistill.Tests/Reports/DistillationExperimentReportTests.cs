using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Reports;

namespace MLNetDistill.Tests.Reports;

public sealed class DistillationExperimentReportTests
{
    [Fact]
    public void WriteTo_DigitsRunWithBaseline_TeacherThenEachStudentAndItsTwinWithTheirMetrics()
    {
        var ml = new MLContext(seed: 0);
        var options = new DistillationExperimentOptions { TeacherModelFile = TestPaths.Fixture("digits_teacher.onnx"), Baseline = true };
        options.Students.Add(DistillationStudent.FromSpec("sdca"));
        options.Students.Add(DistillationStudent.FromSpec("lightgbm:trees=5"));
        using var result = new DistillationExperiment(ml, options).Run(
            ml.Data.TakeRows(DataSourceReader.Load(TestPaths.Fixture("digits_train.csv"), "label"), 300),
            DataSourceReader.Load(TestPaths.Fixture("digits_test.csv"), "label"));

        string html = result.ToHtmlReport().ToString();

        Assert.StartsWith("<div class=\"mlnd mlnd-experiment\">", html, StringComparison.Ordinal);
        var rows = Regex.Matches(html, "<tr class=\"(?<cls>[a-z]+)\"><td class=\"name\">(?<name>[^<]*)</td><td>(?<acc>[^<]*)</td><td>[^<]*</td><td>[^<]*</td><td>(?<agree>[^<]*)</td>");
        string F4(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
        var expected = new List<(string Class, string Name, string Accuracy, string Agreement)> { ("teacher", "teacher", F4(result.Teacher!.Accuracy), F4(result.Teacher.Agreement)) };
        foreach (var s in result.Students)
        {
            expected.Add(("student", s.Name, F4(s.Distilled.Metrics.Accuracy), F4(s.Distilled.Metrics.Agreement)));
            expected.Add(("baseline", s.Name + " (hard labels)", F4(s.Baseline!.Metrics.Accuracy), F4(s.Baseline.Metrics.Agreement)));
        }

        Assert.Equal(expected, rows.Select(m => (m.Groups["cls"].Value, WebUtility.HtmlDecode(m.Groups["name"].Value), m.Groups["acc"].Value, m.Groups["agree"].Value)));
        // The teacher agrees with itself; its recorded held-out accuracy on these 719 rows is 705/719.
        Assert.Equal((F4(705.0 / 719), "1.0000"), (expected[0].Accuracy, expected[0].Agreement));
        Assert.Contains("300 training, 0 transfer and 719 test rows", html, StringComparison.Ordinal);
    }
}
