using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Samples;

public sealed class TabularDistillationSampleTests
{
    [Fact]
    public void Main_100LabeledRows_EveryDistilledStudentBeatsItsTwinOnTheLabeledRowsAlone()
    {
        string folder = SamplePrograms.EmptyFolder();
        var (code, output) = ChildProcess.Run(ChildProcess.Dotnet, [SamplePrograms.Dll("TabularDistillation"), "100"], folder, TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"TabularDistillation exited {code}:\n{output}");

        // The digits teacher's recorded held-out accuracy: 705 of 719 (Fixtures/README.md).
        Assert.Contains($"teacher accuracy {(705.0 / 719).ToString("F4", CultureInfo.InvariantCulture)} on 719 held-out rows; 100 labeled and 978 unlabeled training rows", output, StringComparison.Ordinal);
        var lines = Regex.Matches(output, @"^(?<name>\S+)\s+distilled (?<distilled>[0-9.]+) \(agreement [0-9.]+\), labeled rows alone (?<alone>[0-9.]+)", RegexOptions.Multiline);
        Assert.Equal(["sdca", "lightgbm:trees=50", "mlp:64:epochs=200"], lines.Select(m => m.Groups["name"].Value));
        foreach (Match m in lines)
        {
            double distilled = double.Parse(m.Groups["distilled"].Value, CultureInfo.InvariantCulture);
            double alone = double.Parse(m.Groups["alone"].Value, CultureInfo.InvariantCulture);
            // 978 rows the teacher labeled are worth far more than nothing: at least 5 points for every family.
            Assert.True(distilled > alone + 0.05, $"{m.Groups["name"].Value}: distilled {distilled} vs labeled rows alone {alone}");
        }

        // The best student is saved in the working directory and scores, loaded back, the accuracy printed for it.
        var best = lines.MaxBy(m => double.Parse(m.Groups["distilled"].Value, CultureInfo.InvariantCulture))!;
        Assert.Contains($"saved {Path.Combine(folder, "digits-student.zip")}", output, StringComparison.Ordinal);
        Assert.EndsWith($": {best.Groups["name"].Value}", output.TrimEnd(), StringComparison.Ordinal);
        var ml = new MLContext(seed: 0);
        ml.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly);
        var model = ml.Model.Load(Path.Combine(folder, "digits-student.zip"), out _);
        var test = DataSourceReader.Load(TestPaths.Fixture("digits_test.csv"), "label");
        double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        Assert.Equal(best.Groups["distilled"].Value, accuracy.ToString("F4", CultureInfo.InvariantCulture));
    }
}
