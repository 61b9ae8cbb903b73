using System.Security.Cryptography;
using System.Text;

namespace MLNetDistill.Llm;

/// <summary>
/// Turns the first answer token's top log-probabilities into a distribution over the classes: a token belongs to a class
/// when, trimmed and ignoring case, it is a non-empty start of that class's name (" spam", "Sp", "SPAM" all belong to
/// "spam"); the probabilities of a class's tokens add up, and the classes' sums are renormalised. A class that no listed
/// token belongs to gets min(smallest listed probability, left-over mass / such classes): the endpoint says only that it
/// is less likely than everything listed. No token of any class: the answer is unknown.
/// </summary>
internal static class LlmAnswer
{
    /// <summary>Maps one token to its class, or -1 when it names none.</summary>
    public static int ClassOf(IReadOnlyList<string> classes, ReadOnlySpan<char> token)
    {
        var t = token.Trim();
        // Leading quotes or punctuation some models start with are not part of the name.
        while (t.Length > 0 && (t[0] is '"' or '\'' or '*' or '`' or '(' or '['))
        {
            t = t[1..];
        }

        if (t.Length == 0)
        {
            return -1;
        }

        int found = -1;
        for (int c = 0; c < classes.Count; c++)
        {
            string name = classes[c];
            bool match = t.Length <= name.Length
                ? name.AsSpan().StartsWith(t, StringComparison.OrdinalIgnoreCase)
                : t.StartsWith(name, StringComparison.OrdinalIgnoreCase) && !char.IsLetterOrDigit(t[name.Length]);
            if (match)
            {
                if (found >= 0)
                {
                    return -1; // the start of two names: tells nothing
                }

                found = c;
            }
        }

        return found;
    }

    /// <summary>Fills <paramref name="probabilities"/> from (token, log-probability) pairs; returns false when no token names a class.</summary>
    public static bool FromTopLogProbabilities(IReadOnlyList<string> classes, IReadOnlyList<(string Token, float LogProbability)> top, Span<float> probabilities)
    {
        probabilities.Clear();
        double listed = 0, smallest = double.MaxValue;
        bool any = false;
        Span<bool> seen = stackalloc bool[classes.Count];
        seen.Clear();
        for (int i = 0; i < top.Count; i++)
        {
            double p = Math.Exp(top[i].LogProbability);
            if (!double.IsFinite(p))
            {
                continue;
            }

            listed += p;
            smallest = Math.Min(smallest, p);
            int c = ClassOf(classes, top[i].Token);
            if (c >= 0)
            {
                probabilities[c] += (float)p;
                seen[c] = true;
                any = true;
            }
        }

        if (!any)
        {
            return false;
        }

        int missing = 0;
        foreach (bool s in seen)
        {
            missing += s ? 0 : 1;
        }

        if (missing > 0)
        {
            double leftover = Math.Max(0, 1 - listed);
            float fill = (float)Math.Min(smallest, leftover / missing);
            for (int c = 0; c < classes.Count; c++)
            {
                if (!seen[c])
                {
                    probabilities[c] = fill;
                }
            }
        }

        double sum = 0;
        foreach (float p in probabilities)
        {
            sum += p;
        }

        for (int c = 0; c < probabilities.Length; c++)
        {
            probabilities[c] = (float)(probabilities[c] / sum);
        }

        return true;
    }

    /// <summary>One-hot from an answer's text, for endpoints that give no log-probabilities; returns false when the text names no class.</summary>
    public static bool FromText(IReadOnlyList<string> classes, string? text, Span<float> probabilities)
    {
        probabilities.Clear();
        int c = text is null ? -1 : ClassOf(classes, FirstWord(text));
        if (c < 0)
        {
            return false;
        }

        probabilities[c] = 1f;
        return true;
    }

    private static ReadOnlySpan<char> FirstWord(string text)
    {
        var t = text.AsSpan().Trim();
        int end = 0;
        while (end < t.Length && !char.IsWhiteSpace(t[end]) && t[end] is not ('.' or ',' or ':' or ';' or '!'))
        {
            end++;
        }

        return t[..end];
    }

    /// <summary>The logits written to the cache for a distribution: log p (classes at probability 0 get log of the float epsilon's square, a finite value).</summary>
    public static void Logits(ReadOnlySpan<float> probabilities, Span<float> logits)
    {
        for (int c = 0; c < probabilities.Length; c++)
        {
            logits[c] = MathF.Log(Math.Max(probabilities[c], 1e-30f));
        }
    }

    /// <summary>The prompt for one row's text.</summary>
    public static string Prompt(string template, IReadOnlyList<string> classes, string text) =>
        template.Replace(LlmLabelerOptions.ClassesPlaceholder, string.Join(", ", classes), StringComparison.Ordinal)
                .Replace(LlmLabelerOptions.TextPlaceholder, text, StringComparison.Ordinal);

    /// <summary>The hash that stands for the teacher's SHA-256 in the cache: of the model id, the prompt template and the class names.</summary>
    public static string Identity(string model, string template, IReadOnlyList<string> classes) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"mlnetdistill-llm-v1\nmodel={model}\nclasses={string.Join('\u001f', classes)}\nprompt={template}")));

    /// <summary>The SHA-256 of the prompt template alone, as written into <c>teacher_file</c>.</summary>
    public static string PromptHash(string template) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(template)));

    /// <summary>The cache's <c>teacher_file</c> for an LLM: <c>llm:MODEL;prompt_sha256=HEX</c>.</summary>
    public static string TeacherFile(string model, string template) => $"llm:{model};prompt_sha256={PromptHash(template)}";
}
