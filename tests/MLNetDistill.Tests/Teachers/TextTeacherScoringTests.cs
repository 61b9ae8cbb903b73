using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;
using MLNetDistill.Tests.Data;
using MLNetDistill.MlNet;
using MLNetDistill.Text;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;
using TeacherCacheWriter = MLNetDistill.Cache.TeacherCacheWriter;

namespace MLNetDistill.Tests.Teachers;

/// <summary>
/// The text teacher path against the fixture made by samples/teachers/make_text_teacher.py --tiny: a 1-layer transformer
/// (input_ids, attention_mask) with a 400-token BERT vocab, 50 real SpamAssassin emails plus edge cases, and PyTorch's
/// probabilities for each row computed one row at a time without padding.
/// </summary>
public sealed class TextTeacherScoringTests : IDisposable
{
    private static readonly FloatComparer Tolerance = new(2e-5);
    private readonly TempFolder _temp = new();
    private readonly MLContext _ml = new(seed: 1);

    public void Dispose() => _temp.Dispose();

    internal static string Model => TestPaths.Fixture(Path.Combine("text_teacher", "model.onnx"));

    internal static string Emails => TestPaths.Fixture("text_emails.csv");

    private static Golden Load()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("golden_text_teacher.json")));
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToList();
        return new Golden(
            json.RootElement.GetProperty("maxTokens").GetInt32(),
            [.. rows.Select(r => r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray())],
            [.. rows.Select(r => r.GetProperty("truncated").GetBoolean())],
            [.. rows.Select(r => r.GetProperty("probabilities").EnumerateArray().Select(x => x.GetSingle()).ToArray())],
            [.. rows.Select(r => r.GetProperty("logits").EnumerateArray().Select(x => x.GetSingle()).ToArray())]);
    }

    private List<float[]> Score(TeacherScoringOptions options, out TeacherScoringTransformer teacher, string column = DataColumnNames.SoftLabels)
    {
        IDataView emails = DataSourceReader.LoadText(Emails, "Text");
        teacher = _ml.Transforms.ScoreWithTeacher(options).Fit(emails);
        return [.. teacher.Transform(emails).GetColumn<float[]>(column)];
    }

    private static void AssertRows(float[][] expected, List<float[]> actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], Tolerance);
        }
    }

    [Fact]
    public void ScoreTextWithTeacher_FixtureEmails_ProbabilitiesMatchPyTorch()
    {
        Golden golden = Load();
        IDataView emails = DataSourceReader.LoadText(Emails, "Text");

        using var teacher = _ml.Transforms.ScoreTextWithTeacher(Model, "Text", maxTokens: golden.MaxTokens).Fit(emails);
        IDataView scored = teacher.Transform(emails);

        AssertRows(golden.Probabilities, [.. scored.GetColumn<float[]>(DataColumnNames.SoftLabels)]);
        AssertRows(golden.Logits, [.. scored.GetColumn<float[]>(DataColumnNames.TeacherLogits)]);
        uint[] predicted = [.. scored.GetColumn<uint>(DataColumnNames.TeacherPredictedLabel)];
        Assert.Equal(golden.Probabilities.Select(p => p[1] > p[0] ? 2u : 1u), predicted);
        Assert.Equal(2, teacher.ClassCount);
        Assert.Equal(golden.MaxTokens, teacher.MaxTokens);
    }

    [Fact]
    public void ScoreTextWithTeacher_DefaultMaxTokens_TakesModelMaxLengthFromTokenizerConfig()
    {
        IDataView emails = DataSourceReader.LoadText(Emails, "Text");

        using var teacher = _ml.Transforms.ScoreTextWithTeacher(Model, "Text").Fit(emails);

        Assert.Equal(64, teacher.MaxTokens); // tokenizer_config.json: "model_max_length": 64; the graph's sequence axis is dynamic
        Assert.EndsWith("vocab.txt", teacher.TokenizerFile, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, 4, 16384)]
    [InlineData(false, 4, 16384)]
    [InlineData(true, 256, 64)]
    [InlineData(true, 256, 1024)]
    [InlineData(true, 1, 16384)]
    [InlineData(false, 7, 100)]
    [InlineData(true, 256, 10)]
    public void Transform_BucketedOrSmallBatches_OutputKeepsInputOrder(bool bucketing, int batchSize, int maxBatchTokens)
    {
        Golden golden = Load();

        List<float[]> soft = Score(new TeacherScoringOptions
        {
            ModelFile = Model, TextColumnName = "Text", MaxTokens = golden.MaxTokens,
            LengthBucketing = bucketing, BatchSize = batchSize, MaxBatchTokens = maxBatchTokens,
        }, out var teacher);

        using (teacher)
        {
            AssertRows(golden.Probabilities, soft);
        }
    }

    [Fact]
    public void Transform_PassThroughColumns_StayWithTheirRowsWhenBucketed()
    {
        IDataView emails = DataSourceReader.LoadText(Emails, "Text");
        string[] ids = [.. emails.GetColumn<ReadOnlyMemory<char>>("Id").Select(m => m.ToString())];
        string[] texts = [.. emails.GetColumn<ReadOnlyMemory<char>>("Text").Select(m => m.ToString())];

        using var teacher = _ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = Model, TextColumnName = "Text", BatchSize = 3 }).Fit(emails);
        IDataView scored = teacher.Transform(emails);

        Assert.Equal(ids, scored.GetColumn<ReadOnlyMemory<char>>("Id").Select(m => m.ToString()));
        Assert.Equal(texts, scored.GetColumn<ReadOnlyMemory<char>>("Text").Select(m => m.ToString()));
        Assert.Equal(ViewRows.Singles(emails, "Label"), scored.GetColumn<float>("Label"));
    }

    [Fact]
    public void TeacherTokenizer_FixtureEmails_IdsEqualTheOnesTheTeacherWasTrainedOn()
    {
        Golden golden = Load();
        TeacherTokenizer tokenizer = TeacherTokenizer.Load(Model, null);
        IDataView emails = DataSourceReader.LoadText(Emails, "Text");
        char[]? scratch = null;

        var texts = emails.GetColumn<ReadOnlyMemory<char>>("Text").ToList();

        Assert.Equal(golden.Ids.Length, texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            Assert.Equal(golden.Ids[i], tokenizer.Encode(texts[i].Span, golden.MaxTokens, ref scratch, out bool truncated));
            Assert.Equal(golden.Truncated[i], truncated);
        }

        Assert.Equal(400, tokenizer.VocabularySize);
        Assert.Equal(0, tokenizer.PadId);
    }

    [Fact]
    public void TeacherTokenizer_LineBreaks_SplitWordsAsSpacesDo()
    {
        TeacherTokenizer tokenizer = TeacherTokenizer.Load(Model, null);
        char[]? scratch = null;

        var withBreaks = tokenizer.Encode("spam\n\nfree\tnow", 64, ref scratch, out _);
        var withSpaces = tokenizer.Encode("spam  free now", 64, ref scratch, out _);

        Assert.Equal(withSpaces, withBreaks);
    }

    [Fact]
    public void Transform_EmptyAndWhitespaceTexts_ScoredAndCounted()
    {
        Golden golden = Load();

        List<float[]> soft = Score(new TeacherScoringOptions { ModelFile = Model, TextColumnName = "Text", MaxTokens = golden.MaxTokens }, out var teacher);

        using (teacher)
        {
            Assert.Equal(2, teacher.EmptyTexts); // edge/empty and edge/whitespace
            Assert.Equal(golden.Truncated.Count(t => t), teacher.TruncatedTexts);
            Assert.True(teacher.TruncatedTexts > 0);
            Assert.All(soft, p => Assert.Equal(1f, p.Sum(), new FloatComparer(1e-5)));
        }
    }

    [Fact]
    public void Transform_MaxTokensSmallerThanTexts_TruncatesAndCountsEveryLongerText()
    {
        List<float[]> soft = Score(new TeacherScoringOptions { ModelFile = Model, TextColumnName = "Text", MaxTokens = 8 }, out var teacher);

        using (teacher)
        {
            TeacherTokenizer tokenizer = TeacherTokenizer.Load(Model, null);
            char[]? scratch = null;
            long longer = DataSourceReader.LoadText(Emails, "Text").GetColumn<ReadOnlyMemory<char>>("Text")
                .Count(t => tokenizer.Encode(t.Span, 1000, ref scratch, out _).Count > 8);
            Assert.Equal(longer, teacher.TruncatedTexts);
            Assert.True(longer >= 40);
            Assert.Equal(50, soft.Count);
        }
    }

    [Fact]
    public void Transform_RejectEmptyTexts_InvalidDataExceptionNamesTheRow()
    {
        IDataView emails = DataSourceReader.LoadText(Emails, "Text");
        using var teacher = _ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = Model, TextColumnName = "Text", RejectEmptyTexts = true }).Fit(emails);

        var error = Assert.Throws<InvalidDataException>(() => teacher.Transform(emails).GetColumn<float[]>(DataColumnNames.SoftLabels).ToList());

        Assert.Contains("Row 44", error.Message, StringComparison.Ordinal); // edge/empty follows the 44 sampled emails
        Assert.Contains("RejectEmptyTexts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoreTextWithTeacher_NoTokenizerBesideTheModel_FileNotFoundListsTheFilesLookedFor()
    {
        string model = _temp.File("model.onnx");
        File.Copy(Model, model);

        var error = Assert.Throws<FileNotFoundException>(() => _ml.Transforms.ScoreTextWithTeacher(model, "Text"));

        foreach (string name in new[] { "vocab.txt", "tokenizer.json", "tokenizer.model" })
        {
            Assert.Contains(Path.Combine(_temp.Path, name), error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ScoreTextWithTeacher_ExplicitTokenizerMissing_FileNotFoundNamesIt()
    {
        string missing = _temp.File("nope-vocab.txt");

        var error = Assert.Throws<FileNotFoundException>(() => _ml.Transforms.ScoreTextWithTeacher(Model, "Text", tokenizerFile: missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoreTextWithTeacher_VocabularyLargerThanEmbeddingTable_ArgumentExceptionNamesBothSizes()
    {
        string vocab = _temp.File("vocab.txt");
        File.WriteAllLines(vocab, File.ReadAllLines(TestPaths.Fixture(Path.Combine("text_teacher", "vocab.txt"))).Concat(Enumerable.Range(0, 100).Select(i => $"extra{i}")));

        var error = Assert.Throws<ArgumentException>(() => _ml.Transforms.ScoreTextWithTeacher(Model, "Text", tokenizerFile: vocab));

        Assert.Contains("500 tokens", error.Message, StringComparison.Ordinal);
        Assert.Contains("400 rows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TextTeacher_FixtureGraph_FindsTheEmbeddingTableFedByInputIds()
    {
        var model = MLNetDistill.Onnx.OnnxModelInfo.Load(Model);

        Assert.Equal(400, TextTeacher.FindEmbeddingRows(model, "input_ids"));
        Assert.Null(TextTeacher.FindEmbeddingRows(model, "attention_mask"));
    }

    [Fact]
    public void Fit_TextColumnHoldsNumbers_ArgumentExceptionSaysNotText()
    {
        IDataView numbers = _ml.Data.LoadFromEnumerable(new[] { new NumberRow { Text = 1f }, new NumberRow { Text = 2f } });
        var estimator = _ml.Transforms.ScoreTextWithTeacher(Model, "Text");

        var fit = Assert.Throws<ArgumentException>(() => estimator.Fit(numbers));
        var shape = Assert.Throws<ArgumentException>(() => estimator.GetOutputSchema(SchemaShapeChecks.Shape(numbers.Schema)));

        Assert.Contains("not text", fit.Message, StringComparison.Ordinal);
        Assert.Contains("not text", shape.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_TextColumnMissing_ArgumentExceptionListsColumns()
    {
        IDataView emails = DataSourceReader.LoadText(Emails, "Text");

        var error = Assert.Throws<ArgumentException>(() => _ml.Transforms.ScoreTextWithTeacher(Model, "Body").Fit(emails));

        Assert.Contains("'Body'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Group", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_TextTeacher_NotSupportedExceptionSaysWhatToKeep()
    {
        IDataView emails = DataSourceReader.LoadText(Emails, "Text");
        using var teacher = _ml.Transforms.ScoreTextWithTeacher(Model, "Text").Fit(emails);
        using var stream = new MemoryStream();

        var error = Assert.Throws<NotSupportedException>(() => _ml.Model.Save(teacher, emails.Schema, stream));

        Assert.Contains("ApplyOnnxModel", error.Message, StringComparison.Ordinal);
        Assert.Contains("ScoreTextWithTeacher", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(70000)]
    public void Options_MaxTokensOutOfRange_ArgumentOutOfRangeQuotesTheValue(int maxTokens)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _ml.Transforms.ScoreTextWithTeacher(Model, "Text", maxTokens: maxTokens));

        Assert.Contains(maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Contains("2 to 65,536", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_MaxBatchTokensBelowTwo_ArgumentOutOfRangeQuotesTheValue()
    {
        var options = new TeacherScoringOptions { ModelFile = Model, TextColumnName = "Text", MaxBatchTokens = 1 };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _ml.Transforms.ScoreWithTeacher(options));

        Assert.Contains("but was 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoreWithTeacher_TextTeacherWithoutTextColumn_ErrorSaysMapTheInputs()
    {
        var error = Assert.Throws<ArgumentException>(() => _ml.Transforms.ScoreWithTeacher(Model));

        Assert.Contains("input_ids", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TeacherCacheWriter_TextCsv_WritesCacheAndCountsEmptyAndTruncated()
    {
        string output = _temp.File("soft.parquet");

        TeacherScoringSummary summary = TeacherCacheWriter.Score(_ml, new TeacherScoringOptions { ModelFile = Model, TextColumnName = "Text" }, Emails, null, null, output);

        Assert.Equal(50, summary.Rows);
        Assert.Equal(2, summary.EmptyTexts);
        Assert.Equal(Load().Truncated.Count(t => t), summary.TruncatedTexts);
        Assert.NotNull(summary.TeacherAccuracy);
        IDataView cache = TeacherCache.Read(output);
        AssertRows(Load().Probabilities, [.. cache.GetColumn<float[]>(DataColumnNames.SoftLabels)]);
    }

    private sealed record Golden(int MaxTokens, int[][] Ids, bool[] Truncated, float[][] Probabilities, float[][] Logits);

    private sealed class NumberRow
    {
        public float Text { get; set; }
    }
}
