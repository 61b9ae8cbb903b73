using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace MLNetDistill.Text;

/// <summary>
/// The normalizer of a Hugging Face <c>tokenizer.json</c> for the BPE path: <c>NFC</c>, <c>NFD</c>, <c>NFKC</c>, <c>NFKD</c>,
/// <c>Lowercase</c>, or a <c>Sequence</c> of them, applied in order (Qwen2's byte-level BPE has <c>NFC</c>).
/// </summary>
internal sealed class TokenizerJsonNormalizer : Normalizer
{
    private readonly Step[] _steps;

    private TokenizerJsonNormalizer(Step[] steps) => _steps = steps;

    private enum Step
    {
        Nfc,
        Nfd,
        Nfkc,
        Nfkd,
        Lowercase,
    }

    /// <summary>The normalizer <paramref name="normalizer"/> describes, or null for JSON null.</summary>
    /// <exception cref="NotSupportedException">A normalizer type other than those above: the message names it.</exception>
    public static TokenizerJsonNormalizer? Create(string path, JsonElement normalizer)
    {
        if (normalizer.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var steps = new List<Step>();
        Add(path, normalizer, steps);
        return steps.Count == 0 ? null : new TokenizerJsonNormalizer([.. steps]);
    }

    /// <inheritdoc/>
    public override string Normalize(string original)
    {
        string text = original;
        foreach (Step step in _steps)
        {
            text = step switch
            {
                Step.Nfc => text.Normalize(NormalizationForm.FormC),
                Step.Nfd => text.Normalize(NormalizationForm.FormD),
                Step.Nfkc => text.Normalize(NormalizationForm.FormKC),
                Step.Nfkd => text.Normalize(NormalizationForm.FormKD),
                _ => text.ToLowerInvariant(),
            };
        }

        return text;
    }

    /// <inheritdoc/>
    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

    private static void Add(string path, JsonElement normalizer, List<Step> steps)
    {
        string type = normalizer.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "?" : "?";
        switch (type)
        {
            case "NFC": steps.Add(Step.Nfc); break;
            case "NFD": steps.Add(Step.Nfd); break;
            case "NFKC": steps.Add(Step.Nfkc); break;
            case "NFKD": steps.Add(Step.Nfkd); break;
            case "Lowercase": steps.Add(Step.Lowercase); break;
            case "Sequence":
                foreach (JsonElement inner in normalizer.GetProperty("normalizers").EnumerateArray())
                {
                    Add(path, inner, steps);
                }

                break;
            default:
                throw new NotSupportedException(
                    $"'{path}' has a '{type}' normalizer; the teacher scorer applies NFC, NFD, NFKC, NFKD, Lowercase and Sequence of those before a byte-level BPE. " +
                    "Score the texts yourself into input_ids, or export the tokenizer as a .tiktoken file if it is one.");
        }
    }
}
