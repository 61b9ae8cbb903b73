using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Teachers;
using MLNetDistill.Tests.Data;
using MLNetDistill.Tests.Llm;
using MLNetDistill.Tests.Teachers;

namespace MLNetDistill.Tests.Experiments;

/// <summary><see cref="DistillationExperimentOptions.TeacherScoring"/>: the experiments run the teacher file with the caller's scoring settings.</summary>
public sealed class DistillationTeacherScoringOptionsTests
{
    private static string Vocab => TestPaths.Fixture(Path.Combine("text_teacher", "vocab.txt"));

    [Fact]
    public void Run_TeacherScoringWithTokenizerElsewhereAndMaxTokens_ScoresAsTheScorerWithThoseOptions()
    {
        var ml = new MLContext(0);
        var emails = EmailData.Load(ml, TextTeacherScoringTests.Emails);
        using var folder = new TempFolder();
        string model = folder.File("teacher.onnx");
        File.Copy(TextTeacherScoringTests.Model, model);
        var options = new DistillationExperimentOptions
        {
            TeacherModelFile = model,
            TextColumnName = "Text",
            TeacherScoring = new TeacherScoringOptions { TokenizerFile = Vocab, MaxTokens = 8, BatchSize = 3, ModelFile = "ignored.onnx", Temperature = 5 },
        };
        options.Students.Add(DistillationStudent.FromSpec("sdca:iterations=10,text=word1"));
        var experiment = new DistillationExperiment(ml, options);

        using var result = experiment.Run(emails, emails);
        float[][] logits = [.. experiment.TestRows!.GetColumn<float[]>(DataColumnNames.TeacherLogits)];

        float[][] Direct(int? maxTokens)
        {
            using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = model, TextColumnName = "Text", TokenizerFile = Vocab, MaxTokens = maxTokens }).Fit(emails);
            return [.. teacher.Transform(emails).GetColumn<float[]>(DataColumnNames.TeacherLogits)];
        }

        float[][] eight = Direct(8);
        float[][] full = Direct(null);
        Assert.Equal(eight.Length, logits.Length);
        for (int r = 0; r < logits.Length; r++)
        {
            Assert.Equal(eight[r], logits[r], new FloatComparer(1e-5));
        }

        Assert.Contains(Enumerable.Range(0, full.Length), r => Math.Abs(full[r][0] - eight[r][0]) > 1e-3);
        Assert.Equal(1f, result.Temperature);
    }

    [Fact]
    public void Options_TokenizerWithoutTextColumn_ThrowsNamingTeacherScoring()
    {
        var options = new DistillationExperimentOptions
        {
            TeacherModelFile = TestPaths.Fixture("binary_teacher.onnx"),
            TeacherScoring = new TeacherScoringOptions { TokenizerFile = Vocab },
        };
        options.Students.Add(DistillationStudent.FromSpec("sdca"));

        var error = Assert.Throws<ArgumentException>(() => new DistillationExperiment(new MLContext(0), options));

        Assert.Equal(nameof(DistillationExperimentOptions.TeacherScoring), error.ParamName);
        Assert.Contains("TextColumnName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_BadBatchSizeInTemplate_ThrowsWhenTheExperimentIsMade()
    {
        var options = new DistillationExperimentOptions
        {
            TeacherModelFile = TestPaths.Fixture("binary_teacher.onnx"),
            TeacherScoring = new TeacherScoringOptions { BatchSize = 0 },
        };
        options.Students.Add(DistillationStudent.FromSpec("sdca"));

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DistillationExperiment(new MLContext(0), options));

        Assert.Equal(nameof(TeacherScoringOptions.BatchSize), error.ParamName);
    }
}
