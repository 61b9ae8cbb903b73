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
/// <remarks>
/// <see cref="MaxCharacters"/> (<c>chars=N</c> in the spec) makes the student read only the first N characters of each text,
/// as a transformer teacher reads only its first 128-512 tokens: the cost of <c>FeaturizeText</c> grows with the length of
/// the text, so a cap bounds the cost of the longest emails. The cap is ML.NET's own <c>Expression</c> transform
/// (<c>left(x, N)</c>) in front of <c>FeaturizeText</c>, so the model still saves and loads with
/// <c>mlContext.Model.Save/Load</c> and needs nothing registered.
/// </remarks>
/// <example>
/// <code language="csharp">
/// var spec = StudentSpec.Parse("sdca:text=word2,char4");
/// Console.WriteLine(spec.Text);      // word2,char4
/// Console.WriteLine(spec);           // sdca:iterations=auto,text=word2,char4
/// var capped = StudentSpec.Parse("sdca:text=word1,chars=2000");
/// Console.WriteLine(capped.Text!.MaxCharacters);   // 2000
/// </code>
/// </example>
public sealed record TextFeaturization(int WordNgrams = 2, int CharNgrams = 3)
{
    /// <summary>The spec option that holds the settings: <c>text=word2,char3</c>.</summary>
    public const string OptionName = "text";

    /// <summary>The setting part that caps the characters read: <c>chars=2000</c> in <c>text=word1,chars=2000</c>.</summary>
    public const string MaxCharactersPart = "chars";

    /// <summary>The setting part that drops rare n-grams: <c>rows=10</c> in <c>text=word2,char3,rows=10</c>.</summary>
    public const string MinRowsPart = "rows";

    /// <summary>The largest <see cref="MaxCharacters"/> a spec may give.</summary>
    public const int MaxCharactersLimit = 100_000_000;

    /// <summary>
    /// Gets how many characters of each text the student reads, from its start (<c>chars=N</c>); 0 (the default) reads the
    /// whole text.
    /// </summary>
    public int MaxCharacters { get; init; }

    /// <summary>
    /// Gets the fewest training texts an n-gram must appear in to be kept (<c>rows=N</c>, ML.NET's
    /// <c>SelectFeaturesBasedOnCount</c> after <c>FeaturizeText</c>); 0 (the default) keeps every n-gram. On 3,477
    /// SpamAssassin emails, word 1-2-grams and character 3-grams make about 534,000 distinct n-grams (counted with
    /// scikit-learn's CountVectorizer); <c>rows=10</c> keeps about 29,000.
    /// </summary>
    /// <value>Defaults to 0 (keep all).</value>
    public int MinRows { get; init; }

    /// <summary>Gets the settings a text student uses when its spec says nothing: word 1-2-grams and character 3-grams.</summary>
    public static TextFeaturization Default { get; } = new();

    /// <summary>
    /// Parses <c>word2,char3</c>, <c>word1</c>, <c>char4</c>, <c>word1,chars=2000</c>, <c>word2,char3,rows=10</c> or
    /// <c>default</c> (parts separated by ',' or '+'; <c>chars=N</c> and <c>rows=N</c> may follow <c>default</c> too).
    /// </summary>
    /// <param name="text">The settings.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="ArgumentException">A part is not <c>wordN</c>, <c>charN</c>, <c>chars=N</c> or <c>rows=N</c>, or N is out of range; the message says what is allowed.</exception>
    public static TextFeaturization Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        int word = 0, chars = 0, maxCharacters = 0, minRows = 0;
        bool isDefault = false;
        foreach (string raw in text.Split([',', '+'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (string.Equals(raw, "default", StringComparison.OrdinalIgnoreCase))
            {
                isDefault = true;
                continue;
            }

            if (IsNumberPart(raw, MinRowsPart, out int rows))
            {
                if (rows < 1 || rows > MaxCharactersLimit)
                {
                    throw new ArgumentOutOfRangeException(nameof(text), raw, $"Text setting '{raw}' is out of range: rows=N (keep only the n-grams found in at least N training texts) takes N from 1 to {MaxCharactersLimit:N0}; leave it out to keep every n-gram.");
                }

                minRows = rows;
                continue;
            }

            if (IsNumberPart(raw, MaxCharactersPart, out maxCharacters))
            {
                if (maxCharacters < 1 || maxCharacters > MaxCharactersLimit)
                {
                    throw new ArgumentOutOfRangeException(nameof(text), raw, $"Text setting '{raw}' is out of range: chars=N (read only the first N characters of each text) takes N from 1 to {MaxCharactersLimit:N0}; leave it out to read the whole text.");
                }

                continue;
            }

            if (!TryPart(raw, out bool isWord, out int n))
            {
                throw new ArgumentException($"Text setting '{raw}' in '{text}' is not wordN, charN or chars=N: use for example text=word2,char3 (word n-grams up to 2, character 3-grams), text=word1, text=char4 or text=word1,chars=2000 (only the first 2,000 characters).", nameof(text));
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

        if (!isDefault && word == 0 && chars == 0)
        {
            throw new ArgumentException($"Text setting '{text}' has no n-grams: give them beside chars=N, for example text=word1,chars=2000 or text=default,chars=2000.", nameof(text));
        }

        if (isDefault && (word > 0 || chars > 0))
        {
            throw new ArgumentException($"Text setting '{text}' gives both default and n-grams: use default (word2,char3) or the n-grams alone.", nameof(text));
        }

        return (isDefault ? Default : new TextFeaturization(word, chars)) with { MaxCharacters = maxCharacters, MinRows = minRows };
    }

    /// <summary>
    /// Whether a spec part (after a <c>text=</c> setting) continues it: <c>char3</c> in <c>text=word2,char3</c>,
    /// <c>chars=2000</c> in <c>text=word1,chars=2000</c>, <c>rows=10</c> in <c>text=default,rows=10</c>.
    /// </summary>
    internal static bool IsPart(string part) =>
        TryPart(part.Trim(), out _, out _) || IsNumberPart(part.Trim(), MaxCharactersPart, out _) || IsNumberPart(part.Trim(), MinRowsPart, out _);

    /// <summary>Whether <paramref name="part"/> is <c>name=N</c>; <paramref name="n"/> is N, or 0 when N is not a whole number.</summary>
    private static bool IsNumberPart(string part, string name, out int n)
    {
        n = 0;
        string[] kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
        if (kv.Length != 2 || !string.Equals(kv[0], name, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (!int.TryParse(kv[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n))
        {
            n = 0; // reported as out of range by the caller
        }

        return true;
    }

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
        IEstimator<ITransformer> featurize = Featurize(mlContext, options, textColumn, featuresColumn);
        return MinRows <= 0
            ? featurize
            : featurize.Append(mlContext.Transforms.FeatureSelection.SelectFeaturesBasedOnCount(featuresColumn, count: MinRows));
    }

    private IEstimator<ITransformer> Featurize(MLContext mlContext, TextFeaturizingEstimator.Options options, string textColumn, string featuresColumn)
    {
        if (MaxCharacters <= 0)
        {
            return mlContext.Transforms.Text.FeaturizeText(featuresColumn, options, textColumn);
        }

        // The first N characters, by ML.NET's own (saveable) Expression transform, into a column of their own.
        string prefixColumn = $"{textColumn}.First{MaxCharacters.ToString(CultureInfo.InvariantCulture)}";
        return mlContext.Transforms.Expression(prefixColumn, $"x : left(x, {MaxCharacters.ToString(CultureInfo.InvariantCulture)})", textColumn)
            .Append(mlContext.Transforms.Text.FeaturizeText(featuresColumn, options, prefixColumn));
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Join(",", new[]
        {
            WordNgrams > 0 ? $"word{WordNgrams}" : null,
            CharNgrams > 0 ? $"char{CharNgrams}" : null,
            MaxCharacters > 0 ? $"{MaxCharactersPart}={MaxCharacters.ToString(CultureInfo.InvariantCulture)}" : null,
            MinRows > 0 ? $"{MinRowsPart}={MinRows.ToString(CultureInfo.InvariantCulture)}" : null,
        }.Where(p => p is not null));
}
