using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Llm;

/// <summary>
/// The probabilities the test chat server answers with: the committed fixture text teacher (Fixtures/text_teacher, a
/// PyTorch transformer encoder over a BERT vocab.txt) scored by the library's own text teacher scoring
/// (<c>ScoreTextWithTeacher</c>) over every email of the committed SpamAssassin sample, once.
/// </summary>
internal static class TextTeacher
{
    public static readonly string[] Classes = ["ham", "spam"];

    public static string ModelFile => TestPaths.Fixture(Path.Combine("text_teacher", "model.onnx"));

    private static readonly Lazy<(string[] Texts, Dictionary<string, float[]> Probabilities)> Scored = new(() =>
    {
        var mlContext = new MLContext(0);
        string[] texts = [.. EmailData.Texts(EmailData.Load(mlContext)).Distinct(StringComparer.Ordinal)];
        var view = mlContext.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }));
        using var teacher = mlContext.Transforms.ScoreTextWithTeacher(ModelFile, "Text").Fit(view);
        var soft = teacher.Transform(view).GetColumn<VBuffer<float>>(DataColumnNames.SoftLabels).Select(v => v.DenseValues().ToArray()).ToArray();
        return (texts, texts.Select((t, i) => (t, soft[i])).ToDictionary(p => p.t, p => p.Item2, StringComparer.Ordinal));
    });

    /// <summary>The first <paramref name="count"/> distinct email texts of the committed sample.</summary>
    public static string[] Texts(int count) => Scored.Value.Texts[..count];

    /// <summary>The teacher's probabilities (ham, spam) for an email of the sample.</summary>
    public static float[] Probabilities(string text) => Scored.Value.Probabilities[text];
}
