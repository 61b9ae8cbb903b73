using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace MLNetDistill.Text;

/// <summary>
/// The tokenizer of a text teacher, loaded with Microsoft.ML.Tokenizers from the files a Hugging Face export lays out
/// beside the model (or from one file named explicitly), and the encoding of one text into token ids.
/// </summary>
/// <remarks>
/// Supported: BERT WordPiece from <c>vocab.txt</c> (lower-casing and special tokens from <c>tokenizer_config.json</c> when
/// present), BERT WordPiece from a <c>tokenizer.json</c> whose model is WordPiece, SentencePiece from <c>tokenizer.model</c>,
/// byte-level BPE (GPT-2, RoBERTa and the like) from a <c>tokenizer.json</c> whose model is BPE (see <see cref="BpeTokenizerJson"/>),
/// and tiktoken from a <c>*.tiktoken</c> rank file (see <see cref="TiktokenFile"/>).
/// Encoding is thread-safe (the Microsoft.ML.Tokenizers tokenizers are).
/// </remarks>
internal sealed class TeacherTokenizer
{
    /// <summary>The file names looked for beside the teacher, in order (<c>*.tiktoken</c>: the one file of that extension).</summary>
    internal static readonly string[] KnownFiles = ["vocab.txt", "tokenizer.json", "tokenizer.model", "*.tiktoken"];

    private readonly Tokenizer _tokenizer;
    private readonly BertTokenizer? _bert;
    private readonly SentencePieceTokenizer? _sentencePiece;
    private readonly int[] _prefix;
    private readonly int[] _suffix;
    private readonly bool _addPrefixSpace;

    private TeacherTokenizer(Tokenizer tokenizer, string file, string kind, int vocabularySize, int padId, int? modelMaxLength)
        : this(tokenizer, file, kind, vocabularySize, padId, modelMaxLength, [], [], false)
    {
    }

    /// <summary>A tokenizer whose ids are wrapped in <paramref name="prefix"/> ... <paramref name="suffix"/> by the scorer (BPE, tiktoken).</summary>
    internal TeacherTokenizer(Tokenizer tokenizer, string file, string kind, int vocabularySize, int padId, int? modelMaxLength,
        int[] prefix, int[] suffix, bool addPrefixSpace)
    {
        _tokenizer = tokenizer;
        _bert = tokenizer as BertTokenizer;
        _sentencePiece = tokenizer as SentencePieceTokenizer;
        _prefix = prefix;
        _suffix = suffix;
        _addPrefixSpace = addPrefixSpace;
        File = file;
        Kind = kind;
        VocabularySize = vocabularySize;
        PadId = padId;
        ModelMaxLength = modelMaxLength;
    }

    /// <summary>The tokenizer file read (<c>vocab.txt</c>, <c>tokenizer.json</c>, <c>tokenizer.model</c> or a <c>*.tiktoken</c>).</summary>
    public string File { get; }

    /// <summary>What the tokenizer is, for messages: <c>BERT WordPiece</c>, <c>SentencePiece</c>, <c>byte-level BPE</c> or <c>tiktoken</c>.</summary>
    public string Kind { get; }

    /// <summary>The number of token ids the vocabulary holds (largest id + 1).</summary>
    public int VocabularySize { get; }

    /// <summary>The id that pads a row to its batch's length (its attention mask is 0 there).</summary>
    public int PadId { get; }

    /// <summary><c>model_max_length</c> from <c>tokenizer_config.json</c>, when it is given and plausible.</summary>
    public int? ModelMaxLength { get; }

    /// <summary>Finds and loads the tokenizer of <paramref name="modelFile"/>: <paramref name="tokenizerFile"/> when given, else the first of <see cref="KnownFiles"/> beside the model.</summary>
    /// <exception cref="FileNotFoundException">No tokenizer file: the message lists the paths looked at.</exception>
    /// <exception cref="NotSupportedException">A file Microsoft.ML.Tokenizers 2.0.1 cannot load as a teacher tokenizer.</exception>
    /// <exception cref="InvalidDataException">The file is damaged.</exception>
    public static TeacherTokenizer Load(string modelFile, string? tokenizerFile)
    {
        if (tokenizerFile is not null)
        {
            if (!System.IO.File.Exists(tokenizerFile))
            {
                throw new FileNotFoundException(
                    $"Tokenizer file '{tokenizerFile}' was not found: check the path (relative paths start from '{Environment.CurrentDirectory}'), or leave it unset to use the {string.Join(", ", KnownFiles)} beside the teacher.",
                    tokenizerFile);
            }

            return LoadFile(tokenizerFile);
        }

        string folder = Path.GetDirectoryName(Path.GetFullPath(modelFile)) ?? ".";
        var looked = new List<string>(KnownFiles.Length);
        foreach (string name in KnownFiles)
        {
            string candidate = Path.Combine(folder, name);
            if (name.StartsWith('*'))
            {
                string[] found = Directory.Exists(folder) ? Directory.GetFiles(folder, name) : [];
                Array.Sort(found, StringComparer.Ordinal);
                if (found.Length > 1)
                {
                    throw new ArgumentException(
                        $"Text teacher '{modelFile}' has {found.Length} {name} files beside it ({string.Join(", ", found.Select(p => $"'{Path.GetFileName(p)}'"))}): name the one the teacher was trained with (TokenizerFile).");
                }

                if (found.Length == 1)
                {
                    return LoadFile(found[0]);
                }
            }
            else if (System.IO.File.Exists(candidate))
            {
                return LoadFile(candidate);
            }

            looked.Add(candidate);
        }

        throw new FileNotFoundException(
            $"Text teacher '{modelFile}' has no tokenizer beside it: looked for {string.Join(", ", looked.Select(p => $"'{p}'"))}. " +
            "Put the teacher's Hugging Face tokenizer files (vocab.txt with tokenizer_config.json, tokenizer.json (WordPiece or BPE), tokenizer.model, or a .tiktoken rank file) beside it, or name the file explicitly (TokenizerFile).",
            looked[0]);
    }

    /// <summary>Loads one tokenizer file by its name.</summary>
    public static TeacherTokenizer LoadFile(string path)
    {
        string name = Path.GetFileName(path);
        try
        {
            if (name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
            {
                return LoadBertVocab(path);
            }

            if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                return LoadTokenizerJson(path);
            }

            if (name.EndsWith(".model", StringComparison.OrdinalIgnoreCase))
            {
                return LoadSentencePiece(path);
            }

            if (name.EndsWith(".tiktoken", StringComparison.OrdinalIgnoreCase))
            {
                return TiktokenFile.Load(path);
            }
        }
        catch (Exception e) when (e is not (NotSupportedException or InvalidDataException or FileNotFoundException))
        {
            throw new InvalidDataException($"Tokenizer file '{path}' could not be loaded: {e.Message} Check that it is the teacher's own tokenizer file and not damaged.", e);
        }

        throw new NotSupportedException(
            $"Tokenizer file '{path}' is not a kind the teacher scorer loads: expected vocab.txt (BERT WordPiece), tokenizer.json (WordPiece or byte-level BPE model), tokenizer.model (SentencePiece) or a .tiktoken rank file.");
    }

    /// <summary>
    /// Encodes <paramref name="text"/> into at most <paramref name="maxTokens"/> ids, special tokens included
    /// (<c>[CLS] ... [SEP]</c> for BERT, <c>&lt;s&gt; ... &lt;/s&gt;</c> for RoBERTa's BPE), and says whether text was left out.
    /// A truncated text keeps its closing special token, as Hugging Face's truncation does.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="maxTokens">The most ids to return.</param>
    /// <param name="scratch">A buffer reused between calls (grown as needed) for the text with its line breaks made spaces.</param>
    /// <param name="truncated">Set when the text holds more than <paramref name="maxTokens"/> tokens' worth.</param>
    public IReadOnlyList<int> Encode(ReadOnlySpan<char> text, int maxTokens, ref char[]? scratch, out bool truncated)
    {
        IReadOnlyList<int> ids;
        string? normalized;
        int consumed;
        if (_bert is not null)
        {
            // Only the first words of a long text can become its first maxTokens tokens: encode a prefix that ends at a
            // space (a word boundary for BERT), and the whole text only when the prefix did not fill maxTokens. Same ids
            // as encoding the whole text (checked over the SpamAssassin corpus: `-- tokenize-check`), at a fraction of the
            // cost for emails of thousands of characters (BertTokenizer normalizes all of its input first).
            int limit = PrefixChars(maxTokens);
            while (true)
            {
                int cut = text.Length <= limit ? text.Length : text[..limit].LastIndexOfAny(' ', '\n', '\t');
                if (cut <= 0 || cut == text.Length)
                {
                    return EncodeBert(text, maxTokens, ref scratch, out truncated);
                }

                IReadOnlyList<int> prefix = EncodeBert(text[..cut], maxTokens, ref scratch, out truncated);
                if (truncated && prefix.Count == maxTokens)
                {
                    // The budget is full before the prefix ends: the whole text gives the same ids. (A prefix that stops
                    // short of the budget is not trusted: BertTokenizer may stop at a word that the whole text spells differently.)
                    return prefix;
                }

                limit = limit > int.MaxValue / 4 ? int.MaxValue : limit * 4;
            }
        }

        if (_sentencePiece is not null)
        {
            ids = _sentencePiece.EncodeToIds(text, _sentencePiece.AddBeginningOfSentence, _sentencePiece.AddEndOfSentence, maxTokens, out normalized, out consumed);
            if (ids.Count == 0 && _sentencePiece.AddBeginningOfSentence && maxTokens > 0)
            {
                // An empty text still starts with <s>, as python sentencepiece encodes it; Microsoft.ML.Tokenizers 2.0.1 returns no ids.
                ids = _sentencePiece.AddEndOfSentence && maxTokens > 1
                    ? [_sentencePiece.BeginningOfSentenceId, _sentencePiece.EndOfSentenceId]
                    : [_sentencePiece.BeginningOfSentenceId];
            }
        }
        else
        {
            return EncodeWrapped(text, maxTokens, ref scratch, out truncated);
        }

        ReadOnlySpan<char> basis = normalized is null ? text : normalized.AsSpan();
        truncated = consumed < basis.Length && !basis[consumed..].IsWhiteSpace();
        return ids;
    }

    /// <summary>
    /// BPE and tiktoken: the text's ids within the budget that the wrapping ids leave (<c>_prefix</c>, <c>&lt;s&gt;</c> for
    /// RoBERTa; <c>_suffix</c>, <c>&lt;/s&gt;</c>), then wrapped in them: Hugging Face's order, truncate the sequence, then add
    /// the post-processor's special tokens. BERT and SentencePiece add their own and never get here.
    /// </summary>
    private IReadOnlyList<int> EncodeWrapped(ReadOnlySpan<char> text, int maxTokens, ref char[]? scratch, out bool truncated)
    {
        if (_addPrefixSpace && !text.IsEmpty && text[0] != ' ')
        {
            // ByteLevel add_prefix_space: Hugging Face puts a space before a text that does not start with one.
            if (scratch is null || scratch.Length < text.Length + 1)
            {
                scratch = new char[Math.Max(text.Length + 1, 1024)];
            }

            scratch[0] = ' ';
            text.CopyTo(scratch.AsSpan(1));
            text = scratch.AsSpan(0, text.Length + 1);
        }

        int budget = maxTokens - _prefix.Length - _suffix.Length;
        // Byte-level BPE and tiktoken spell whitespace as tokens too, so any text left over is text cut off.
        IReadOnlyList<int> body = [];
        truncated = !text.IsEmpty;
        int request = budget;
        while (request > 0)
        {
            // Microsoft.ML.Tokenizers stops before a word whose tokens do not all fit; Hugging Face and tiktoken users cut
            // the ids themselves, inside a word too. So ask for more until the budget is full or the text is done, then cut.
            body = _tokenizer.EncodeToIds(text, request, out string? normalized, out int consumed);
            bool more = consumed < (normalized is null ? text.Length : normalized.Length);
            truncated = body.Count > budget || (more && body.Count == budget);
            if (truncated || !more)
            {
                break;
            }

            request = request > int.MaxValue / 2 ? int.MaxValue : Math.Max(request * 2, budget + 64);
        }

        int count = Math.Min(body.Count, Math.Max(budget, 0));
        if (_prefix.Length == 0 && _suffix.Length == 0 && count == body.Count)
        {
            return body;
        }

        int total = _prefix.Length + count + _suffix.Length;
        var ids = new int[Math.Min(total, maxTokens)];
        int at = 0;
        for (int i = 0; i < _prefix.Length && at < ids.Length - (_suffix.Length > 0 ? 1 : 0); i++)
        {
            ids[at++] = _prefix[i];
        }

        for (int i = 0; i < count; i++)
        {
            ids[at++] = body[i];
        }

        // The suffix fills what is left; when even the special tokens do not fit, its last id (the closing one) is kept.
        int room = ids.Length - at;
        for (int i = Math.Max(_suffix.Length - room, 0); i < _suffix.Length; i++)
        {
            ids[at++] = _suffix[i];
        }

        return ids;
    }

    /// <summary>The prefix length tried first for <paramref name="maxTokens"/> tokens: 8 characters per token.</summary>
    internal static int PrefixChars(int maxTokens) => maxTokens > int.MaxValue / 8 ? int.MaxValue : Math.Max(maxTokens * 8, 64);

    /// <summary>Encodes the whole of <paramref name="text"/> with the BERT tokenizer (tabs and line breaks as spaces).</summary>
    internal IReadOnlyList<int> EncodeBert(ReadOnlySpan<char> text, int maxTokens, ref char[]? scratch, out bool truncated)
    {
        if (text.IndexOfAny('\n', '\r', '\t') >= 0)
        {
            if (scratch is null || scratch.Length < text.Length)
            {
                scratch = new char[Math.Max(text.Length, 1024)];
            }

            Span<char> copy = scratch.AsSpan(0, text.Length);
            text.CopyTo(copy);
            LineBreaksToSpaces(copy);
            text = copy;
        }

        IReadOnlyList<int> ids = _bert!.EncodeToIds(text, maxTokens, addSpecialTokens: true, out string? normalized, out int consumed);
        ReadOnlySpan<char> basis = normalized is null ? text : normalized.AsSpan();
        truncated = consumed < basis.Length && !basis[consumed..].IsWhiteSpace();
        return ids;
    }

    /// <summary>
    /// Turns tabs and line breaks into spaces, in place. BERT's basic tokenizer (Hugging Face's, and the original) treats
    /// them as whitespace, but Microsoft.ML.Tokenizers 2.0.1's BertTokenizer drops them as control characters, which glues
    /// the words on either side together ("problem\n\nNow" became one word, p ##r ##o ... ##w); a teacher trained with
    /// Hugging Face's tokenizer expects them split.
    /// </summary>
    internal static void LineBreaksToSpaces(Span<char> text)
    {
        text.Replace('\n', ' ');
        text.Replace('\r', ' ');
        text.Replace('\t', ' ');
    }

    private static TeacherTokenizer LoadBertVocab(string path)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var config = BertConfig.Read(Path.Combine(folder, "tokenizer_config.json"));
        var options = config.Options();
        BertTokenizer tokenizer = BertTokenizer.Create(path, options);
        int size = CountLines(path);
        return new TeacherTokenizer(tokenizer, path, "BERT WordPiece", size, tokenizer.PaddingTokenId, config.ModelMaxLength);
    }

    private static TeacherTokenizer LoadTokenizerJson(string path)
    {
        using JsonDocument document = JsonDocument.Parse(System.IO.File.ReadAllBytes(path));
        JsonElement root = document.RootElement;
        if (!root.TryGetProperty("model", out JsonElement model) || !model.TryGetProperty("type", out JsonElement type))
        {
            throw new InvalidDataException($"'{path}' is not a Hugging Face tokenizer.json: it has no model.type. Pass the teacher's tokenizer.json, vocab.txt or tokenizer.model.");
        }

        if (type.GetString() == "BPE")
        {
            return BpeTokenizerJson.Load(path, root, model);
        }

        if (type.GetString() != "WordPiece")
        {
            throw new NotSupportedException(
                $"'{path}' holds a '{type.GetString()}' tokenizer; the teacher scorer reads tokenizer.json files of WordPiece (BERT) and byte-level BPE (GPT-2, RoBERTa) models. " +
                "For SentencePiece teachers pass tokenizer.model, for tiktoken ones the .tiktoken file; for others export a vocab.txt, or score the texts yourself into input_ids.");
        }

        JsonElement vocab = model.GetProperty("vocab");
        var tokens = new SortedDictionary<int, string>();
        foreach (JsonProperty entry in vocab.EnumerateObject())
        {
            tokens[entry.Value.GetInt32()] = entry.Name;
        }

        int size = tokens.Count == 0 ? 0 : tokens.Keys.Max() + 1;
        var lines = new string[size];
        for (int i = 0; i < size; i++)
        {
            lines[i] = tokens.TryGetValue(i, out string? token) ? token : $"[unused{i}]";
        }

        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var config = BertConfig.Read(Path.Combine(folder, "tokenizer_config.json"));
        if (root.TryGetProperty("normalizer", out JsonElement normalizer) && normalizer.ValueKind == JsonValueKind.Object
            && normalizer.TryGetProperty("lowercase", out JsonElement lower) && lower.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            config.LowerCase ??= lower.GetBoolean();
        }

        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
        BertTokenizer tokenizer = BertTokenizer.Create(stream, config.Options());
        return new TeacherTokenizer(tokenizer, path, "BERT WordPiece", size, tokenizer.PaddingTokenId, config.ModelMaxLength);
    }

    private static TeacherTokenizer LoadSentencePiece(string path)
    {
        using var stream = System.IO.File.OpenRead(path);
        SentencePieceTokenizer tokenizer = SentencePieceTokenizer.Create(stream, true, false);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var config = BertConfig.Read(Path.Combine(folder, "tokenizer_config.json"));
        int pad = config.PadToken is { } padToken && tokenizer.Vocabulary.TryGetValue(padToken, out int id) ? id : 0;
        return new TeacherTokenizer(tokenizer, path, "SentencePiece", tokenizer.Vocabulary.Count, pad, config.ModelMaxLength);
    }

    private static int CountLines(string path)
    {
        int count = 0;
        foreach (string line in System.IO.File.ReadLines(path))
        {
            _ = line;
            count++;
        }

        return count;
    }

    /// <summary>The parts of <c>tokenizer_config.json</c> the scorer uses.</summary>
    internal sealed class BertConfig
    {
        public bool? LowerCase { get; set; }

        public string? ClsToken { get; private set; }

        public string? SepToken { get; private set; }

        public string? PadToken { get; private set; }

        public string? UnkToken { get; private set; }

        public string? MaskToken { get; private set; }

        public int? ModelMaxLength { get; private set; }

        /// <summary><c>bos_token</c> (tiktoken: put before every text when <see cref="AddBosToken"/>).</summary>
        public string? BosToken { get; private set; }

        /// <summary><c>eos_token</c> (tiktoken: put after every text when <see cref="AddEosToken"/>).</summary>
        public string? EosToken { get; private set; }

        /// <summary><c>add_bos_token</c>, when given.</summary>
        public bool? AddBosToken { get; private set; }

        /// <summary><c>add_eos_token</c>, when given.</summary>
        public bool? AddEosToken { get; private set; }

        /// <summary><c>added_tokens_decoder</c>: each added token's text and id.</summary>
        public Dictionary<string, int> AddedTokens { get; } = new(StringComparer.Ordinal);

        public static BertConfig Read(string path)
        {
            var config = new BertConfig();
            if (!System.IO.File.Exists(path))
            {
                return config;
            }

            try
            {
                using JsonDocument document = JsonDocument.Parse(System.IO.File.ReadAllBytes(path));
                JsonElement root = document.RootElement;
                if (root.TryGetProperty("do_lower_case", out JsonElement lower) && lower.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    config.LowerCase = lower.GetBoolean();
                }

                config.ClsToken = Token(root, "cls_token");
                config.SepToken = Token(root, "sep_token");
                config.PadToken = Token(root, "pad_token");
                config.UnkToken = Token(root, "unk_token");
                config.MaskToken = Token(root, "mask_token");
                config.BosToken = Token(root, "bos_token");
                config.EosToken = Token(root, "eos_token");
                config.AddBosToken = Flag(root, "add_bos_token");
                config.AddEosToken = Flag(root, "add_eos_token");
                if (root.TryGetProperty("added_tokens_decoder", out JsonElement added) && added.ValueKind == JsonValueKind.Object)
                {
                    foreach (JsonProperty entry in added.EnumerateObject())
                    {
                        if (int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id)
                            && entry.Value.ValueKind == JsonValueKind.Object && entry.Value.TryGetProperty("content", out JsonElement content)
                            && content.ValueKind == JsonValueKind.String)
                        {
                            config.AddedTokens[content.GetString()!] = id;
                        }
                    }
                }
                if (root.TryGetProperty("model_max_length", out JsonElement max) && max.ValueKind == JsonValueKind.Number
                    && max.TryGetInt64(out long length) && length is > 0 and <= 1 << 20)
                {
                    config.ModelMaxLength = (int)length;
                }
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{path}' is not valid JSON ({e.Message}): fix or remove it (it only sets lower-casing and special tokens).", e);
            }

            return config;
        }

        public BertOptions Options()
        {
            var options = new BertOptions { LowerCaseBeforeTokenization = LowerCase ?? true };
            if (ClsToken is not null)
            {
                options.ClassificationToken = ClsToken;
            }

            if (SepToken is not null)
            {
                options.SeparatorToken = SepToken;
            }

            if (PadToken is not null)
            {
                options.PaddingToken = PadToken;
            }

            if (UnkToken is not null)
            {
                options.UnknownToken = UnkToken;
            }

            if (MaskToken is not null)
            {
                options.MaskingToken = MaskToken;
            }

            return options;
        }

        private static bool? Flag(JsonElement root, string name) =>
            root.TryGetProperty(name, out JsonElement value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;

        private static string? Token(JsonElement root, string name)
        {
            if (!root.TryGetProperty(name, out JsonElement value))
            {
                return null;
            }

            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object when value.TryGetProperty("content", out JsonElement content) => content.GetString(),
                _ => null,
            };
        }
    }
}
