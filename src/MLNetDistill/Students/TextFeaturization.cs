using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Transforms.Text;

namespace MLNetDistill.Students;

/// <summary>
/// How a text student turns its text column into features: ML.NET's own <c>FeaturizeText</c> with word n-grams up to
/// <see cref="WordNgrams"/> and character n-grams of length <see cref="CharNgrams"/>, L2-normalised, written to <c>Features</c>
/// for the student's trainer. Part of a student's spec (<c>sdca:text=word2,char3</c>), so the featurizer is fitted with the
/// student, saved inside its model by <c>mlContext.Model.Save</c>, and needs no tokenizer file at prediction time.
/// </summary>
/// <param name="WordNgrams">The longest word n-gram (all lengths 1..N are kept), 0 for no word features; 0 to 3.</param>
/// <param name="CharNgrams">The character n-gram length (N only, ML.NET's default), 0 for no character features; 0 to 6.</param>
/// <example>
/// <code language="csharp">
/// var spec = StudentSpec.Parse("sdca:text=word2,char4");
/// Console.WriteLine(spec.Text);      // word2,char4
/// Console.WriteLine(spec);           // sdca:iterations=20,text=word2,char4
/// </code>
/// </example>
public sealed record TextFeaturization(int WordNgrams = 2, int CharNgrams = 3)
{
    /// <summary>The spec option that holds the settings: <c>text=word2,char3</c>.</summary>
    public const string OptionName = "text";

    /// <summary>Gets the settings a text student uses when its spec says nothing: word 1-2-grams and character 3-grams.</summary>
    public static TextFeaturization Default { get; } = new();

    /// <summary>Parses <c>word2,char3</c>, <c>word1</c>, <c>char4</c> or <c>default</c> (parts separated by ',' or '+').</summary>
    /// <param name="text">The settings.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="ArgumentException">A part is not <c>wordN</c> or <c>charN</c>, or N is out of range; the message says what is allowed.</exception>
    public static TextFeaturization Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        if (string.Equals(text.Trim(), "default", StringComparison.OrdinalIgnoreCase))
        {
            return Default;
        }

        int word = 0, chars = 0;
        foreach (string raw in text.Split([',', '+'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryPart(raw, out bool isWord, out int n))
            {
                throw new ArgumentException($"Text setting '{raw}' in '{text}' is not wordN or charN: use for example text=word2,char3 (word n-grams up to 2, character 3-grams), text=word1 or text=char4.", nameof(text));
            }

            int max = isWord ? 3 : 6;
            if (n < 1 || n > max)
            {
                throw new ArgumentOutOfRangeException(nameof(text), raw, $"Text setting '{raw}' is out of range: {(isWord ? "word" : "char")}N takes N from 1 to {max}.");
            }

            if (isWord)
            {
                word = n;
            }
            else
            {
                chars = n;
            }
        }

        return new TextFeaturization(word, chars);
    }

    /// <summary>Whether a spec part (after a <c>text=</c> setting) continues it: <c>char3</c> in <c>text=word2,char3</c>.</summary>
    internal static bool IsPart(string part) => TryPart(part.Trim(), out _, out _);

    private static bool TryPart(string part, out bool isWord, out int n)
    {
        isWord = part.StartsWith("word", StringComparison.OrdinalIgnoreCase);
        bool isChar = part.StartsWith("char", StringComparison.OrdinalIgnoreCase);
        n = 0;
        return (isWord || isChar) && int.TryParse(part.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out n);
    }

    /// <summary>The featurizer from <paramref name="textColumn"/> into <paramref name="featuresColumn"/>.</summary>
    internal IEstimator<ITransformer> Estimator(MLContext mlContext, string textColumn, string featuresColumn)
    {
        if (WordNgrams == 0 && CharNgrams == 0)
        {
            throw new ArgumentException("Text featurization has neither word nor character n-grams: give at least one, for example text=word2,char3.");
        }

        var options = new TextFeaturizingEstimator.Options
        {
            CaseMode = TextNormalizingEstimator.CaseMode.Lower,
            KeepDiacritics = false,
            KeepPunctuations = true,
            KeepNumbers = true,
            Norm = TextFeaturizingEstimator.NormFunction.L2,
            WordFeatureExtractor = WordNgrams > 0 ? new WordBagEstimator.Options { NgramLength = WordNgrams, UseAllLengths = true } : null,
            CharFeatureExtractor = CharNgrams > 0 ? new WordBagEstimator.Options { NgramLength = CharNgrams, UseAllLengths = false } : null,
        };
        return mlContext.Transforms.Text.FeaturizeText(featuresColumn, options, textColumn);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Join(",", new[] { WordNgrams > 0 ? $"word{WordNgrams}" : null, CharNgrams > 0 ? $"char{CharNgrams}" : null }.Where(p => p is not null));
}
