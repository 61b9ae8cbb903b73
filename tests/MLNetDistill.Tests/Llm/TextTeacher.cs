using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Llm;

/// <summary>
/// The probabilities the test chat server answers with: the committed fixture text teacher (Fixtures/text_teacher, a
/// PyTorch transformer encoder over a BERT vocab.txt) run in ONNX Runtime one text at a time, tokenized by the library's
/// own tokenizer loader, softmax over its two logits (ham, spam). The texts are real SpamAssassin emails.
/// </summary>
internal static class TextTeacher
{
    public static readonly string[] Classes = ["ham", "spam"];

    private static readonly Lazy<(InferenceSession Session, TeacherTokenizer Tokenizer)> Model = new(() =>
    {
        string file = TestPaths.Fixture(Path.Combine("text_teacher", "model.onnx"));
        return (new InferenceSession(file), TeacherTokenizer.Load(file, null));
    });

    private static readonly ConcurrentDictionary<string, float[]> Known = new(StringComparer.Ordinal);

    private static readonly Lazy<string[]> Emails = new(() => [.. EmailData.Texts(EmailData.Load(new MLContext(0))).Distinct(StringComparer.Ordinal)]);

    /// <summary>The first <paramref name="count"/> distinct email texts of the committed sample.</summary>
    public static string[] Texts(int count) => Emails.Value[..count];

    public static float[] Probabilities(string text) => Known.GetOrAdd(text, Score);

    private static float[] Score(string text)
    {
        var (session, tokenizer) = Model.Value;
        var ids = tokenizer.Encode(text, 64, out _);
        var input = new DenseTensor<long>([1, ids.Count]);
        var mask = new DenseTensor<long>([1, ids.Count]);
        for (int i = 0; i < ids.Count; i++)
        {
            input[0, i] = ids[i];
            mask[0, i] = 1;
        }

        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input_ids", input), NamedOnnxValue.CreateFromTensor("attention_mask", mask)]);
        var logits = results.First().AsEnumerable<float>().ToArray();
        float max = Math.Max(logits[0], logits[1]);
        double a = Math.Exp(logits[0] - max), b = Math.Exp(logits[1] - max);
        return [(float)(a / (a + b)), (float)(b / (a + b))];
    }
}
