using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MLNetDistill.Text;

/// <summary>
/// Builds the Microsoft.ML.Tokenizers 2.0.1 <see cref="TiktokenTokenizer"/> of a <c>*.tiktoken</c> rank file (one
/// <c>base64-token rank</c> pair per line: OpenAI's cl100k_base/o200k_base files, Llama 3's <c>tokenizer.model</c> renamed,
/// Qwen's <c>qwen.tiktoken</c>).
/// </summary>
/// <remarks>
/// <para>A rank file carries no split pattern. Files named after an OpenAI encoding get that encoding's pattern
/// (<c>r50k_base</c>, <c>p50k_base</c>, <c>p50k_edit</c>, <c>gpt2</c>: GPT-2's; <c>o200k_base</c>: o200k's); any other name
/// gets cl100k_base's, which GPT-3.5/4 and (up to letter-case details) Llama 3 use.</para>
/// <para>Special tokens, wrapping and padding come from <c>tokenizer_config.json</c> beside the file when it is there:
/// <c>added_tokens_decoder</c> gives the special tokens (split out of the text, as tiktoken's <c>allowed_special="all"</c>);
/// <c>bos_token</c> goes before every text when <c>add_bos_token</c> is true, <c>eos_token</c> after it when
/// <c>add_eos_token</c> is true (kept when the text is truncated); <c>pad_token</c> is the pad id. Without it (or without
/// those keys): no special tokens, no wrapping, and pad id 0 (padded positions have attention mask 0).</para>
/// </remarks>
internal static class TiktokenFile
{
    /// <summary>cl100k_base's split pattern (tiktoken's, with .NET atomic groups for its possessive quantifiers).</summary>
    internal const string Cl100kPattern = @"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)\p{L}+|\p{N}{1,3}| ?(?>[^\s\p{L}\p{N}]+)[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";

    /// <summary>o200k_base's split pattern (tiktoken's).</summary>
    internal const string O200kPattern =
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The split pattern for a rank file called <paramref name="path"/>.</summary>
    internal static string PatternFor(string path) => Path.GetFileNameWithoutExtension(path).ToLowerInvariant() switch
    {
        "r50k_base" or "p50k_base" or "p50k_edit" or "gpt2" => BpeTokenizerJson.Gpt2Pattern,
        "o200k_base" => O200kPattern,
        _ => Cl100kPattern,
    };

    /// <summary>Loads the rank file at <paramref name="path"/>.</summary>
    public static TeacherTokenizer Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int largest = LargestRank(path, bytes);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var config = TeacherTokenizer.BertConfig.Read(Path.Combine(folder, "tokenizer_config.json"));
        Dictionary<string, int>? specials = config.AddedTokens.Count == 0 ? null : config.AddedTokens;
        foreach (int id in config.AddedTokens.Values)
        {
            largest = Math.Max(largest, id);
        }

        var pre = new RegexPreTokenizer(new Regex(PatternFor(path), RegexOptions.Compiled | RegexOptions.CultureInvariant), specials);
        using var stream = new MemoryStream(bytes, writable: false);
        TiktokenTokenizer tokenizer = TiktokenTokenizer.Create(stream, pre, null, specials);
        int[] before = config.AddBosToken == true ? [Special(path, config, config.BosToken, "bos_token")] : [];
        int[] after = config.AddEosToken == true ? [Special(path, config, config.EosToken, "eos_token")] : [];
        int pad = config.PadToken is { } padToken && config.AddedTokens.TryGetValue(padToken, out int padId) ? padId : 0;
        return new TeacherTokenizer(tokenizer, path, "tiktoken", largest + 1, pad, config.ModelMaxLength, before, after, false);
    }

    private static int Special(string path, TeacherTokenizer.BertConfig config, string? token, string key)
    {
        if (token is not null && config.AddedTokens.TryGetValue(token, out int id))
        {
            return id;
        }

        throw new InvalidDataException(
            $"tokenizer_config.json beside '{path}' sets add_{key} but its {key} '{token}' is not one of its added_tokens_decoder tokens, so it has no id. " +
            $"Add it to added_tokens_decoder with its id, or set add_{key} to false.");
    }

    /// <summary>Checks that every line is <c>base64 rank</c> and returns the largest rank.</summary>
    private static int LargestRank(string path, byte[] bytes)
    {
        int largest = -1;
        int line = 0;
        int start = 0;
        Span<byte> decoded = stackalloc byte[256];
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0)
            {
                end = bytes.Length;
            }

            line++;
            ReadOnlySpan<byte> text = bytes.AsSpan(start, end - start).TrimEnd((byte)'\r');
            start = end + 1;
            if (text.IsEmpty)
            {
                continue;
            }

            int space = text.IndexOf((byte)' ');
            if (space <= 0
                || System.Buffers.Text.Base64.DecodeFromUtf8(text[..space], decoded, out _, out _) != System.Buffers.OperationStatus.Done
                || !int.TryParse(Encoding.ASCII.GetString(text[(space + 1)..]), NumberStyles.None, CultureInfo.InvariantCulture, out int rank))
            {
                string shown = Encoding.UTF8.GetString(text.Length > 60 ? text[..60] : text);
                throw new InvalidDataException(
                    $"'{path}' line {line} is '{shown}': a .tiktoken file holds one 'base64-token rank' pair per line (for example 'IQ== 0'). Pass the teacher's own rank file.");
            }

            largest = Math.Max(largest, rank);
        }

        if (largest < 0)
        {
            throw new InvalidDataException($"'{path}' holds no 'base64-token rank' lines: it is empty or not a .tiktoken file. Pass the teacher's own rank file.");
        }

        return largest;
    }
}
