using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Students;
using MLNetDistill.Tests.Data;
using MLNetDistill.Tests.Llm;

namespace MLNetDistill.Tests.Students;

public sealed class TextStudentTests
{
    [Fact]
    public void Parse_TextSetting_RoundTripsBesideOtherOptions()
    {
        var spec = StudentSpec.Parse("lightgbm:trees=50,text=word1,char4,leaves=8");

        Assert.Equal(new TextFeaturization(1, 4), spec.Text);
        Assert.Equal(8, spec["leaves"]);
        Assert.Equal("lightgbm:trees=50,leaves=8,lr=0.1,text=word1,char4", spec.ToString());
        Assert.Equal(spec, StudentSpec.Parse(spec.ToString()));
        Assert.Equal(new TextFeaturization(2, 3), StudentSpec.Parse("sdca:text=word2+char3").Text);
        Assert.Equal(TextFeaturization.Default, StudentSpec.Parse("mlp:32:text=default").Text);
        Assert.Null(StudentSpec.Parse("sdca").Text);
        Assert.NotEqual(StudentSpec.Parse("sdca"), StudentSpec.Parse("sdca:text=word2"));
    }

    [Fact]
    public void Parse_CharsCap_RoundTripsAsPartOfTheTextSetting()
    {
        var spec = StudentSpec.Parse("sdca:iterations=200,text=word1,chars=2000");

        Assert.Equal(new TextFeaturization(1, 0) { MaxCharacters = 2000 }, spec.Text);
        Assert.Equal("sdca:iterations=200,text=word1,chars=2000", spec.ToString());
        Assert.Equal(spec, StudentSpec.Parse(spec.ToString()));
        Assert.NotEqual(StudentSpec.Parse("sdca:iterations=200,text=word1"), spec);
        Assert.Equal(TextFeaturization.Default with { MaxCharacters = 1500 }, StudentSpec.Parse("lightgbm:text=default,chars=1500").Text);
        Assert.Equal(new TextFeaturization(2, 3) { MaxCharacters = 300 }, StudentSpec.Parse("sdca:text=word2+char3+chars=300,iterations=10").Text);
        Assert.Equal(0, StudentSpec.Parse("sdca:text=word1").Text!.MaxCharacters);
    }

    [Theory]
    [InlineData("sdca:text=word9", "word9' is out of range: wordN takes N from 1 to 3")]
    [InlineData("sdca:text=bigrams", "'bigrams' in 'bigrams' is not wordN, charN or chars=N")]
    [InlineData("sdca:text=word1,chars=0", "'chars=0' is out of range: chars=N (read only the first N characters of each text) takes N from 1")]
    [InlineData("sdca:text=word1,chars=many", "'chars=many' is out of range")]
    [InlineData("sdca:text=chars=100", "has no n-grams: give them beside chars=N")]
    public void Parse_BadTextSetting_ThrowsSayingWhatIsAllowed(string spec, string expected)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => StudentSpec.Parse(spec));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sdca:iterations=200,text=word2,char3")] // 20 iterations (the default before iterations=auto) leave SDCA far from converged on ~20k sparse n-grams: 25 of 40 here
    [InlineData("lightgbm:trees=30,leaves=8,text=word1,char3")]
    [InlineData("mlp:16:epochs=3,text=word1")]
    [InlineData("sdca:iterations=200,text=word1,chars=300")] // the first 300 characters through ML.NET's Expression transform, saved in the zip
    public void Build_TextStudent_SavedLoadedPredictionEngineGivesSamePredictions(string specText)
    {
        var mlContext = new MLContext(0);
        var (train, test) = EmailData.Split(mlContext, EmailData.Load(mlContext));
        var scored = SoftLabeled(mlContext, train);
        var spec = StudentSpec.Parse(specText);
        var trainers = StudentRegistry.Build(spec, new StudentBuildContext(mlContext, 2, 1f, 0.5f, 0) { TextColumnName = "Text" });

        var model = trainers.Distilled.Fit(scored);

        using var folder = new TempFolder();
        string path = folder.File("student.zip");
        mlContext.Model.Save(model, train.Schema, path);
        var loaded = mlContext.Model.Load(path, out var schema);
        Assert.NotNull(schema.GetColumnOrNull("Text"));
        var before = model.Transform(test).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
        var after = loaded.Transform(test).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
        Assert.Equal(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++)
        {
            Assert.Equal(before[i], after[i], new FloatComparer(1e-6));
        }

        var engine = mlContext.Model.CreatePredictionEngine<Email, Prediction>(loaded);
        string[] texts = EmailData.Texts(test);
        float[] labels = EmailData.Labels(test);
        int correct = 0;
        for (int i = 0; i < 40; i++) // the first 40 test emails
        {
            var prediction = engine.Predict(new Email { Text = texts[i] });
            Assert.Equal(before[i], prediction.Score, new FloatComparer(1e-5));
            correct += ArgMax(prediction.Score) == (int)labels[i] ? 1 : 0;
        }

        Assert.True(correct >= 28, $"{specText}: {correct} of 40 test emails right; a text student should do far better than chance");
    }

    [Fact]
    public void Build_CharsCap_LoadedModelScoresOnlyTheFirstCharacters()
    {
        var mlContext = new MLContext(0);
        var (train, test) = EmailData.Split(mlContext, EmailData.Load(mlContext));
        var trainers = StudentRegistry.Build(StudentSpec.Parse("sdca:iterations=50,text=word1,chars=200"), new StudentBuildContext(mlContext, 2, 1f, 0.5f, 0) { TextColumnName = "Text" });
        using var folder = new TempFolder();
        string path = folder.File("capped.zip");
        mlContext.Model.Save(trainers.Distilled.Fit(SoftLabeled(mlContext, train)), train.Schema, path);
        var engine = mlContext.Model.CreatePredictionEngine<Email, Prediction>(mlContext.Model.Load(path, out _));
        string[] longTexts = [.. EmailData.Texts(test).Where(t => t.Length > 400).Take(20)];
        Assert.True(longTexts.Length >= 10, $"the fixture should hold emails longer than 400 characters, has {longTexts.Length}");

        int changedByCuttingInside = 0;
        foreach (string text in longTexts)
        {
            float[] whole = engine.Predict(new Email { Text = text }).Score;
            Assert.Equal(whole, engine.Predict(new Email { Text = text[..200] }).Score); // nothing after character 200 counts
            changedByCuttingInside += whole.SequenceEqual(engine.Predict(new Email { Text = text[..100] }).Score) ? 0 : 1;
        }

        Assert.True(changedByCuttingInside >= longTexts.Length / 2, $"cutting inside the first 200 characters changed only {changedByCuttingInside} of {longTexts.Length} scores: the model does not read them");
    }

    [Fact]
    public void Build_TextStudentOnDataWithoutTheTextColumn_ThrowsNamingTheColumnAndTheFix()
    {
        var mlContext = new MLContext(0);
        var data = SoftLabeled(mlContext, EmailData.Load(mlContext));
        var trainers = StudentRegistry.Build(StudentSpec.Parse("sdca:text=word1"), new StudentBuildContext(mlContext, 2, 1f, 0.5f, 0) { TextColumnName = "Body" });

        var error = Assert.Throws<ArgumentException>(() => trainers.Distilled.Fit(data));

        Assert.Contains("text column 'Body', which the data does not have", error.Message, StringComparison.Ordinal);
        Assert.Contains("--text", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The rows with a SoftLabels column: the label smoothed to 0.9 / 0.1 (what the mechanics of the text student need).</summary>
    internal static IDataView SoftLabeled(MLContext mlContext, IDataView data)
    {
        string[] texts = EmailData.Texts(data);
        float[] labels = EmailData.Labels(data);
        var rows = texts.Select((t, i) => new SoftRow { Text = t, Label = labels[i], SoftLabels = labels[i] == 1 ? [0.1f, 0.9f] : [0.9f, 0.1f] }).ToArray();
        return mlContext.Data.LoadFromEnumerable(rows);
    }

    private static int ArgMax(float[] values) => values[1] > values[0] ? 1 : 0;

    private sealed class SoftRow
    {
        public string Text { get; set; } = "";

        public float Label { get; set; }

        [VectorType(2)]
        public float[] SoftLabels { get; set; } = [];
    }

    private sealed class Email
    {
        public string Text { get; set; } = "";
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }
}
