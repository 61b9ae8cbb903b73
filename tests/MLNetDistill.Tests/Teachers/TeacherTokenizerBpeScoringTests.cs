using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Data;
using MLNetDistill.Teachers;
using MLNetDistill.Tests.Data;
using F = MLNetDistill.Tests.Text.TeacherTokenizerBpeFixture;

namespace MLNetDistill.Tests.Teachers;

/// <summary>
/// The text teacher path with a byte-level BPE tokenizer.json and a .tiktoken file, against ONNX Runtime run directly on
/// the golden ids of the independent JS tokenizers (one row per run, no padding).
/// </summary>
public sealed class TeacherTokenizerBpeScoringTests : IDisposable
{
    private static readonly FloatComparer Tolerance = new(2e-5);
    private readonly TempFolder _temp = new();
    private readonly MLContext _ml = new(seed: 1);

    public void Dispose() => _temp.Dispose();

    /// <summary>
    /// ONNX Runtime's logits for each id row, fed as int64 input_ids and an all-ones attention_mask [1, n]; a row without ids
    /// as one pad id 0 with mask 0 (what the scorer feeds an empty text whose tokenizer adds no special tokens).
    /// </summary>
    internal static float[][] OrtLogits(IEnumerable<int[]> rows)
    {
        using var session = new InferenceSession(F.Model);
        var result = new List<float[]>();
        foreach (int[] row in rows)
        {
            long[] idTensor = row.Length == 0 ? [0L] : [.. row.Select(i => (long)i)];
            long[] mask = row.Length == 0 ? [0L] : [.. row.Select(_ => 1L)];
            long[] shape = [1, idTensor.Length];
            using var idValue = OrtValue.CreateTensorValueFromMemory(idTensor, shape);
            using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
            using var outputs = session.Run(new RunOptions(), ["input_ids", "attention_mask"], [idValue, maskValue], ["logits"]);
            result.Add(outputs[0].GetTensorDataAsSpan<float>().ToArray());
        }

        return [.. result];
    }

    private static float[] Softmax(float[] logits)
    {
        double max = logits.Max();
        double[] e = [.. logits.Select(l => Math.Exp(l - max))];
        double sum = e.Sum();
        return [.. e.Select(x => (float)(x / sum))];
    }

    private static void AssertRows(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], Tolerance);
        }
    }

    [Fact]
    public void ScoreTextWithTeacher_BpeTokenizerJsonBesideTeacher_SameProbabilitiesAsOrtOnHuggingFaceIds()
    {
        F golden = F.Load();
        float[][] logits = OrtLogits(golden.Ids.Select(ids => F.CutKeepingEnd(ids, 64)));
        IDataView emails = DataSourceReader.LoadText(TextTeacherScoringTests.Emails, "Text");

        using var teacher = _ml.Transforms.ScoreTextWithTeacher(F.Model, "Text").Fit(emails);
        IDataView scored = teacher.Transform(emails);
        float[][] actual = [.. scored.GetColumn<float[]>(DataColumnNames.TeacherLogits)];
        long truncated = teacher.TruncatedTexts; // counted per pass over the data: read after the first

        Assert.EndsWith("tokenizer.json", teacher.TokenizerFile, StringComparison.Ordinal);
        Assert.Equal(64, teacher.MaxTokens); // model_max_length of tokenizer_config.json
        AssertRows(logits, actual);
        AssertRows([.. logits.Select(Softmax)], [.. scored.GetColumn<float[]>(DataColumnNames.SoftLabels)]);
        Assert.Equal(golden.Ids.Count(ids => ids.Length > 64), truncated);
        Assert.True(truncated > 40);
    }

    [Theory]
    [InlineData(true, 4, 16384)]
    [InlineData(false, 7, 100)]
    public void ScoreWithTeacher_TiktokenFileNamed_SameProbabilitiesAsOrtOnJsTiktokenIds(bool bucketing, int batchSize, int maxBatchTokens)
    {
        F golden = F.Load();
        float[][] logits = OrtLogits(golden.Tiktoken.Select(ids => ids.Length > 48 ? ids[..48] : ids));
        IDataView emails = DataSourceReader.LoadText(TextTeacherScoringTests.Emails, "Text");

        using var teacher = _ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions
        {
            ModelFile = F.Model, TextColumnName = "Text", TokenizerFile = F.TiktokenRanks, MaxTokens = 48,
            LengthBucketing = bucketing, BatchSize = batchSize, MaxBatchTokens = maxBatchTokens,
        }).Fit(emails);
        float[][] actual = [.. teacher.Transform(emails).GetColumn<float[]>(DataColumnNames.TeacherLogits)];

        AssertRows(logits, actual);
        Assert.Contains(golden.Tiktoken, ids => ids.Length == 0); // the empty row: no ids, all padding
        Assert.Equal(golden.Tiktoken.Count(ids => ids.Length > 48), teacher.TruncatedTexts);
        Assert.EndsWith("emails.tiktoken", teacher.TokenizerFile, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoreTextWithTeacher_BpeVocabularyLargerThanEmbeddingTable_ArgumentExceptionNamesBothSizes()
    {
        JsonObject json = JsonNode.Parse(File.ReadAllText(F.TokenizerJson))!.AsObject();
        json["added_tokens"]!.AsArray().Add(JsonNode.Parse("""{"id": 1299, "content": "<extra>", "special": true}"""));
        string path = _temp.Write("tokenizer.json", json.ToJsonString());

        var error = Assert.Throws<ArgumentException>(() => _ml.Transforms.ScoreTextWithTeacher(F.Model, "Text", tokenizerFile: path));

        Assert.Contains("1,300 tokens", error.Message, StringComparison.Ordinal);
        Assert.Contains("1,261 rows", error.Message, StringComparison.Ordinal);
    }
}
