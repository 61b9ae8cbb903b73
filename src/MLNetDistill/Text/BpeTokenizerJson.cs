using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MLNetDistill.Text;

/// <summary>
/// Builds the Microsoft.ML.Tokenizers 2.0.1 <see cref="BpeTokenizer"/> of a Hugging Face <c>tokenizer.json</c> whose model
/// is BPE: byte-level BPE as GPT-2, RoBERTa, BART, Llama 3 or Qwen2 export it.
/// </summary>
/// <remarks>
/// <para>Read from the file: <c>model.vocab</c>, <c>model.merges</c> (either <c>"a b"</c> strings or <c>["a", "b"]</c>
/// pairs), <c>model.unk_token</c>, <c>continuing_subword_prefix</c>, <c>end_of_word_suffix</c>, <c>fuse_unk</c>;
/// <c>added_tokens</c> (split out of the text before pre-tokenization, as Hugging Face does); the pre-tokenizer, which must be
/// <c>ByteLevel</c> (GPT-2's split pattern when <c>use_regex</c>, a space put before the text when <c>add_prefix_space</c>) or
/// a <c>Sequence</c> of one regex <c>Split</c> (behavior <c>Isolated</c>) and <c>ByteLevel</c> with <c>use_regex: false</c>;
/// and the post-processor, whose special tokens wrap each text: <c>RobertaProcessing</c> / <c>BertProcessing</c> (cls ... sep),
/// <c>TemplateProcessing</c> (the tokens around <c>$A</c> in <c>single</c>), <c>ByteLevel</c> or none (no wrapping), or a
/// <c>Sequence</c> of those.</para>
/// <para>The pad id is <c>padding.pad_id</c> when the file has a padding section, else <c>pad_token</c> of
/// <c>tokenizer_config.json</c>, else an added token spelled <c>&lt;pad&gt;</c>, <c>[PAD]</c>, <c>&lt;|pad|&gt;</c> or
/// <c>&lt;|padding|&gt;</c>, else 0 (GPT-2 has no pad token; padded positions have attention mask 0, so the id only has to
/// exist in the embedding table). <c>model_max_length</c> comes from <c>tokenizer_config.json</c>, else <c>truncation.max_length</c>.</para>
/// <para>The normalizer may be none, <c>NFC</c>, <c>NFD</c>, <c>NFKC</c>, <c>NFKD</c>, <c>Lowercase</c> or a <c>Sequence</c> of
/// those (<see cref="TokenizerJsonNormalizer"/>).</para>
/// <para>Not supported (a <see cref="NotSupportedException"/> names what was found): other normalizers (Replace, Prepend, ...),
/// other pre-tokenizers (Metaspace, Whitespace, ...), split patterns .NET cannot compile (possessive quantifiers), and other
/// post-processors. Added tokens' <c>lstrip</c>/<c>rstrip</c>/<c>single_word</c> flags are not applied.</para>
/// </remarks>
internal static class BpeTokenizerJson
{
    /// <summary>GPT-2's split pattern, which Hugging Face's ByteLevel pre-tokenizer applies when <c>use_regex</c> is true.</summary>
    internal const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly string[] PadNames = ["<pad>", "[PAD]", "<|pad|>", "<|padding|>"];

    /// <summary>Loads the BPE tokenizer.json at <paramref name="path"/> (already parsed: <paramref name="root"/>, its <paramref name="model"/>).</summary>
    public static TeacherTokenizer Load(string path, JsonElement root, JsonElement model)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!model.TryGetProperty("vocab", out JsonElement vocabJson) || vocabJson.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"'{path}' has a BPE model without a model.vocab object: it is damaged or not a Hugging Face tokenizer.json. Pass the teacher's own tokenizer.json.");
        }

        int largest = -1;
        foreach (JsonProperty entry in vocabJson.EnumerateObject())
        {
            int id = entry.Value.GetInt32();
            vocab[entry.Name] = id;
            largest = Math.Max(largest, id);
        }

        var merges = new List<string>();
        if (model.TryGetProperty("merges", out JsonElement mergesJson) && mergesJson.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement merge in mergesJson.EnumerateArray())
            {
                merges.Add(merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                    ? $"{merge[0].GetString()} {merge[1].GetString()}"
                    : merge.GetString() ?? throw new InvalidDataException($"'{path}' has a merge that is neither \"a b\" nor [\"a\", \"b\"]: {merge.GetRawText()}. Pass the teacher's own tokenizer.json."));
            }
        }

        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out JsonElement addedJson) && addedJson.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement token in addedJson.EnumerateArray())
            {
                int id = token.GetProperty("id").GetInt32();
                added[token.GetProperty("content").GetString()!] = id;
                largest = Math.Max(largest, id);
            }
        }

        TokenizerJsonNormalizer? normalizer = root.TryGetProperty("normalizer", out JsonElement normalizerJson) ? TokenizerJsonNormalizer.Create(path, normalizerJson) : null;

        string pattern = PreTokenizerPattern(path, root, out bool addPrefixSpace);
        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new NotSupportedException(
                $"'{path}' splits texts with the pattern '{pattern}', which .NET regular expressions cannot compile ({e.Message}). " +
                "Rewrite possessive quantifiers (x?+, x++) as atomic groups ((?>x?), (?>x+)) in a copy of the file and pass that (TokenizerFile).", e);
        }

        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            SpecialTokens = added.Count == 0 ? null : added,
            PreTokenizer = new RegexPreTokenizer(regex, added.Count == 0 ? null : added),
            Normalizer = normalizer,
            ByteLevel = true,
        };
        if (model.TryGetProperty("unk_token", out JsonElement unk) && unk.ValueKind == JsonValueKind.String)
        {
            options.UnknownToken = unk.GetString();
        }

        if (model.TryGetProperty("continuing_subword_prefix", out JsonElement prefix) && prefix.ValueKind == JsonValueKind.String && prefix.GetString()!.Length > 0)
        {
            options.ContinuingSubwordPrefix = prefix.GetString();
        }

        if (model.TryGetProperty("end_of_word_suffix", out JsonElement suffix) && suffix.ValueKind == JsonValueKind.String && suffix.GetString()!.Length > 0)
        {
            options.EndOfWordSuffix = suffix.GetString();
        }

        if (model.TryGetProperty("fuse_unk", out JsonElement fuse) && fuse.ValueKind == JsonValueKind.True)
        {
            options.FuseUnknownTokens = true;
        }

        BpeTokenizer tokenizer = BpeTokenizer.Create(options);
        var (before, after) = Wrapping(path, root, vocab, added);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var config = TeacherTokenizer.BertConfig.Read(Path.Combine(folder, "tokenizer_config.json"));
        int pad = PadId(root, config, vocab, added);
        int? maxLength = config.ModelMaxLength;
        if (maxLength is null && root.TryGetProperty("truncation", out JsonElement truncation) && truncation.ValueKind == JsonValueKind.Object
            && truncation.TryGetProperty("max_length", out JsonElement max) && max.TryGetInt32(out int length) && length is > 0 and <= 1 << 20)
        {
            maxLength = length;
        }

        return new TeacherTokenizer(tokenizer, path, "byte-level BPE", largest + 1, pad, maxLength, before, after, addPrefixSpace);
    }

    /// <summary>The split pattern of the pre-tokenizer, and whether it puts a space before the text.</summary>
    private static string PreTokenizerPattern(string path, JsonElement root, out bool addPrefixSpace)
    {
        addPrefixSpace = false;
        if (!root.TryGetProperty("pre_tokenizer", out JsonElement pre) || pre.ValueKind != JsonValueKind.Object)
        {
            throw NotByteLevel(path, "no");
        }

        string type = TypeOf(pre);
        if (type == "ByteLevel")
        {
            addPrefixSpace = pre.TryGetProperty("add_prefix_space", out JsonElement space) && space.ValueKind == JsonValueKind.True;
            if (pre.TryGetProperty("use_regex", out JsonElement useRegex) && useRegex.ValueKind == JsonValueKind.False)
            {
                throw NotByteLevel(path, "a ByteLevel (use_regex: false) with no Split before it, as its only");
            }

            return Gpt2Pattern;
        }

        if (type == "Sequence" && pre.TryGetProperty("pretokenizers", out JsonElement steps) && steps.GetArrayLength() == 2
            && TypeOf(steps[0]) == "Split" && TypeOf(steps[1]) == "ByteLevel")
        {
            JsonElement split = steps[0];
            JsonElement byteLevel = steps[1];
            bool isolated = split.TryGetProperty("behavior", out JsonElement behavior) && behavior.GetString() == "Isolated";
            bool inverted = split.TryGetProperty("invert", out JsonElement invert) && invert.ValueKind == JsonValueKind.True;
            bool regexToo = !byteLevel.TryGetProperty("use_regex", out JsonElement useRegex) || useRegex.ValueKind != JsonValueKind.False;
            if (split.TryGetProperty("pattern", out JsonElement patternJson) && isolated && !inverted && !regexToo)
            {
                addPrefixSpace = byteLevel.TryGetProperty("add_prefix_space", out JsonElement space) && space.ValueKind == JsonValueKind.True;
                if (patternJson.TryGetProperty("Regex", out JsonElement regex))
                {
                    return regex.GetString()!;
                }

                if (patternJson.TryGetProperty("String", out JsonElement literal))
                {
                    return Regex.Escape(literal.GetString()!);
                }
            }

            throw NotByteLevel(path, "a Sequence of Split and ByteLevel that is not Split(Regex, Isolated) + ByteLevel(use_regex: false) as its");
        }

        throw NotByteLevel(path, $"a '{type}'");
    }

    private static NotSupportedException NotByteLevel(string path, string found) => new(
        $"'{path}' has {found} pre-tokenizer; the teacher scorer reads byte-level BPE tokenizer.json files, whose pre-tokenizer is ByteLevel " +
        "or Sequence[Split(Regex, Isolated), ByteLevel(use_regex: false)] (GPT-2, RoBERTa, Llama 3). Score the texts yourself into input_ids, or pass the teacher's .tiktoken file if it has one.");

    /// <summary>The ids the post-processor puts before and after a single text.</summary>
    private static (int[] Before, int[] After) Wrapping(string path, JsonElement root, Dictionary<string, int> vocab, Dictionary<string, int> added)
    {
        var before = new List<int>();
        var after = new List<int>();
        if (root.TryGetProperty("post_processor", out JsonElement post) && post.ValueKind == JsonValueKind.Object)
        {
            AddWrapping(path, post, vocab, added, before, after);
        }

        return ([.. before], [.. after]);
    }

    private static void AddWrapping(string path, JsonElement post, Dictionary<string, int> vocab, Dictionary<string, int> added, List<int> before, List<int> after)
    {
        string type = TypeOf(post);
        switch (type)
        {
            case "ByteLevel":
                return;
            case "RobertaProcessing" or "BertProcessing":
                before.Add(post.GetProperty("cls")[1].GetInt32());
                after.Add(post.GetProperty("sep")[1].GetInt32());
                return;
            case "Sequence":
                foreach (JsonElement step in post.GetProperty("processors").EnumerateArray())
                {
                    AddWrapping(path, step, vocab, added, before, after);
                }

                return;
            case "TemplateProcessing":
                bool seen = false;
                post.TryGetProperty("special_tokens", out JsonElement specials);
                foreach (JsonElement piece in post.GetProperty("single").EnumerateArray())
                {
                    if (piece.TryGetProperty("Sequence", out _))
                    {
                        seen = true;
                        continue;
                    }

                    string token = piece.GetProperty("SpecialToken").GetProperty("id").GetString()!;
                    List<int> into = seen ? after : before;
                    if (specials.ValueKind == JsonValueKind.Object && specials.TryGetProperty(token, out JsonElement special) && special.TryGetProperty("ids", out JsonElement ids))
                    {
                        foreach (JsonElement id in ids.EnumerateArray())
                        {
                            into.Add(id.GetInt32());
                        }
                    }
                    else if (added.TryGetValue(token, out int id) || vocab.TryGetValue(token, out id))
                    {
                        into.Add(id);
                    }
                    else
                    {
                        throw new InvalidDataException($"'{path}' post_processor names the special token '{token}', which is neither in its special_tokens nor in the vocabulary: the file is damaged. Pass the teacher's own tokenizer.json.");
                    }
                }

                return;
            default:
                throw new NotSupportedException(
                    $"'{path}' has a '{type}' post-processor; the teacher scorer knows RobertaProcessing, BertProcessing, TemplateProcessing, ByteLevel and Sequence of those. " +
                    "Remove or rewrite it as TemplateProcessing in a copy of the file and pass that (TokenizerFile).");
        }
    }

    private static int PadId(JsonElement root, TeacherTokenizer.BertConfig config, Dictionary<string, int> vocab, Dictionary<string, int> added)
    {
        if (root.TryGetProperty("padding", out JsonElement padding) && padding.ValueKind == JsonValueKind.Object
            && padding.TryGetProperty("pad_id", out JsonElement padId) && padId.TryGetInt32(out int fromPadding))
        {
            return fromPadding;
        }

        if (config.PadToken is { } token && (added.TryGetValue(token, out int id) || vocab.TryGetValue(token, out id)))
        {
            return id;
        }

        foreach (string name in PadNames)
        {
            if (added.TryGetValue(name, out id))
            {
                return id;
            }
        }

        return 0;
    }

    private static string TypeOf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out JsonElement type) ? type.GetString() ?? "?" : element.ValueKind.ToString();
}
