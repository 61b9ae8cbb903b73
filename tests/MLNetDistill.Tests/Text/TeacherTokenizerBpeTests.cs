using System.Text.Json;
using System.Text.Json.Nodes;
using MLNetDistill.Text;
using MLNetDistill.Tests.Data;
using F = MLNetDistill.Tests.Text.TeacherTokenizerBpeFixture;

namespace MLNetDistill.Tests.Text;

/// <summary>Byte-level BPE tokenizer.json and .tiktoken teachers' tokenizers against independent JS implementations.</summary>
public sealed class TeacherTokenizerBpeTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static JsonObject FixtureJson() => JsonNode.Parse(File.ReadAllText(F.TokenizerJson))!.AsObject();

    private string WriteJson(JsonObject json, string name = "tokenizer.json") => _temp.Write(name, json.ToJsonString());

    [Fact]
    public void LoadFile_BpeTokenizerJson_IdsEqualHuggingFaceJsForEveryFixtureEmail()
    {
        F golden = F.Load();
        List<string> texts = F.Texts();
        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(F.TokenizerJson);
        char[]? scratch = null;

        Assert.Equal(golden.Ids.Length, texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            Assert.Equal(golden.Chars[i], texts[i].Length);
            Assert.Equal(golden.Ids[i], tokenizer.Encode(texts[i], 100000, ref scratch, out bool truncated));
            Assert.False(truncated);
        }

        Assert.Equal("byte-level BPE", tokenizer.Kind);
        Assert.Equal(F.Vocabulary, tokenizer.VocabularySize);
        Assert.Equal(F.Pad, tokenizer.PadId); // no padding section: the <pad> added token
        Assert.Equal(64, tokenizer.ModelMaxLength); // tokenizer_config.json beside it
    }

    [Fact]
    public void LoadFile_Tiktoken_IdsEqualJsTiktokenForEveryFixtureEmail()
    {
        F golden = F.Load();
        List<string> texts = F.Texts();
        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(F.TiktokenRanks);
        char[]? scratch = null;

        for (int i = 0; i < texts.Count; i++)
        {
            Assert.Equal(golden.Tiktoken[i], tokenizer.Encode(texts[i], 100000, ref scratch, out bool truncated));
            Assert.False(truncated);
        }

        Assert.Equal("tiktoken", tokenizer.Kind);
        Assert.Equal(1256, tokenizer.VocabularySize);
        Assert.Equal(0, tokenizer.PadId); // no tokenizer_config.json: pad 0, masked out
    }

    [Theory]
    [InlineData(64)]
    [InlineData(16)]
    [InlineData(2)]
    public void Encode_BpeTextLongerThanMaxTokens_CutsTheTextAndKeepsTheClosingToken(int maxTokens)
    {
        F golden = F.Load();
        List<string> texts = F.Texts();
        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(F.TokenizerJson);
        char[]? scratch = null;
        int longer = 0;

        for (int i = 0; i < texts.Count; i++)
        {
            var ids = tokenizer.Encode(texts[i], maxTokens, ref scratch, out bool truncated);

            Assert.Equal(F.CutKeepingEnd(golden.Ids[i], maxTokens), ids);
            Assert.Equal(golden.Ids[i].Length > maxTokens, truncated);
            Assert.Equal(F.Start, ids[0]);
            Assert.Equal(F.End, ids[^1]);
            longer += truncated ? 1 : 0;
        }

        Assert.True(longer >= 40, $"only {longer} rows longer than {maxTokens}");
    }

    [Fact]
    public void Encode_TiktokenTextLongerThanMaxTokens_FirstMaxTokensIdsAndTruncated()
    {
        F golden = F.Load();
        List<string> texts = F.Texts();
        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(F.TiktokenRanks);
        char[]? scratch = null;

        for (int i = 0; i < texts.Count; i++)
        {
            var ids = tokenizer.Encode(texts[i], 32, ref scratch, out bool truncated);

            Assert.Equal(golden.Tiktoken[i].Length > 32 ? golden.Tiktoken[i][..32] : golden.Tiktoken[i], ids);
            Assert.Equal(golden.Tiktoken[i].Length > 32, truncated);
        }
    }

    [Fact]
    public void Encode_BpeAndTiktokenSharedByFourThreads_EveryRowGetsTheGoldenIds()
    {
        // One tokenizer serves every cursor of a teacher: its encode (and the Microsoft.ML.Tokenizers caches) must be thread-safe.
        F golden = F.Load();
        List<string> texts = F.Texts();
        TeacherTokenizer bpe = TeacherTokenizer.LoadFile(F.TokenizerJson);
        TeacherTokenizer tiktoken = TeacherTokenizer.LoadFile(F.TiktokenRanks);
        int wrong = 0;

        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            char[]? scratch = null;
            for (int pass = 0; pass < 5; pass++)
            {
                for (int k = 0; k < texts.Count; k++)
                {
                    int i = (k + (worker * 13)) % texts.Count;
                    bool same = golden.Ids[i].AsSpan().SequenceEqual([.. bpe.Encode(texts[i], 100000, ref scratch, out _)])
                        && golden.Tiktoken[i].AsSpan().SequenceEqual([.. tiktoken.Encode(texts[i], 100000, ref scratch, out _)]);
                    if (!same)
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }
        });

        Assert.Equal(0, wrong);
    }

    [Fact]
    public void LoadFile_BpeWithSplitThenByteLevelWithoutRegex_SameIdsAsByteLevel()
    {
        // Llama 3 / Qwen2 layout; make_bpe_fixture.mjs checked that Hugging Face's JS gives the same ids for it (splitVariantSameIds).
        F golden = F.Load();
        JsonObject json = FixtureJson();
        json["pre_tokenizer"] = JsonNode.Parse("""
            {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
            """);
        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(WriteJson(json));
        char[]? scratch = null;
        List<string> texts = F.Texts();

        for (int i = 0; i < texts.Count; i++)
        {
            Assert.Equal(golden.Ids[i], tokenizer.Encode(texts[i], 100000, ref scratch, out _));
        }
    }

    [Fact]
    public void LoadFile_BpeTemplateProcessing_WrapsWithItsTokensAndMergesAsPairs()
    {
        F golden = F.Load();
        JsonObject json = FixtureJson();
        // Llama 3 layout: a Sequence of ByteLevel and a template that puts only a start token, merges as ["a", "b"] pairs.
        json["post_processor"] = JsonNode.Parse("""
            {"type": "Sequence", "processors": [
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
              {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1256], "tokens": ["<s>"]}}}]}
            """);
        var merges = new JsonArray();
        foreach (JsonNode? merge in json["model"]!["merges"]!.AsArray())
        {
            string[] parts = merge!.GetValue<string>().Split(' ');
            merges.Add(new JsonArray(parts[0], parts[1]));
        }

        json["model"]!["merges"] = merges;
        json["padding"] = JsonNode.Parse("""{"strategy": "BatchLongest", "pad_id": 1258, "pad_token": "</s>"}""");
        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(WriteJson(json));
        char[]? scratch = null;
        List<string> texts = F.Texts();

        for (int i = 0; i < texts.Count; i++)
        {
            Assert.Equal(golden.Ids[i][..^1], tokenizer.Encode(texts[i], 100000, ref scratch, out _));
        }

        Assert.Equal(1258, tokenizer.PadId); // the padding section wins over the <pad> token
    }

    [Fact]
    public void LoadFile_BpeByteLevelPostProcessorOnly_NoWrapping()
    {
        F golden = F.Load();
        JsonObject json = FixtureJson();
        json["post_processor"] = JsonNode.Parse("""{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}""");
        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(WriteJson(json));
        char[]? scratch = null;

        Assert.Equal(golden.Ids[0][1..^1], tokenizer.Encode(F.Texts()[0], 100000, ref scratch, out _));
        Assert.Empty(tokenizer.Encode("", 16, ref scratch, out bool truncated));
        Assert.False(truncated);
    }

    [Fact]
    public void LoadFile_BpeByteLevelAddPrefixSpace_IdsEqualHuggingFaceJs()
    {
        F golden = F.Load();
        JsonObject json = FixtureJson();
        json["pre_tokenizer"]!["add_prefix_space"] = true;
        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(WriteJson(json));
        char[]? scratch = null;
        List<string> texts = F.Texts();

        Assert.Equal(5, golden.PrefixSpace.Length);
        for (int i = 0; i < golden.PrefixSpace.Length; i++)
        {
            Assert.NotEqual(golden.Ids[i], golden.PrefixSpace[i]); // the space changes the first word's tokens
            Assert.Equal(golden.PrefixSpace[i], tokenizer.Encode(texts[i], 100000, ref scratch, out _));
        }
    }

    [Fact]
    public void LoadFile_BpeNormalizerNfkcThenLowercase_IdsEqualHuggingFaceJs()
    {
        F golden = F.Load();
        JsonObject json = FixtureJson();
        json["normalizer"] = JsonNode.Parse("""{"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]}""");
        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(WriteJson(json));
        char[]? scratch = null;
        List<string> texts = F.Texts();

        for (int i = 0; i < golden.NfkcLowercase.Length; i++)
        {
            Assert.NotEqual(golden.Ids[i], golden.NfkcLowercase[i]); // "Subject:" and friends lose their capitals
            Assert.Equal(golden.NfkcLowercase[i], tokenizer.Encode(texts[i], 100000, ref scratch, out bool truncated));
            Assert.False(truncated);
            Assert.Equal(F.CutKeepingEnd(golden.NfkcLowercase[i], 20), tokenizer.Encode(texts[i], 20, ref scratch, out truncated));
            Assert.True(truncated);
        }
    }

    [Theory]
    [InlineData(null, 0)] // no padding section, no <pad> added token, no tokenizer_config.json: 0, masked out
    [InlineData("</s>", F.End)] // pad_token of tokenizer_config.json
    public void LoadFile_BpeWithoutPaddingOrPadToken_PadIdFromConfigElseZero(string? configPad, int expected)
    {
        JsonObject json = FixtureJson();
        JsonArray added = json["added_tokens"]!.AsArray();
        added.Remove(added.First(t => t!["content"]!.GetValue<string>() == "<pad>"));
        if (configPad is not null)
        {
            _temp.Write("tokenizer_config.json", $$"""{"pad_token": "{{configPad}}"}""");
        }

        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(WriteJson(json));

        Assert.Equal(expected, tokenizer.PadId);
    }

    [Fact]
    public void LoadFile_BpeEmptyText_OnlyTheWrappingTokens()
    {
        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(F.TokenizerJson);
        char[]? scratch = null;

        Assert.Equal([F.Start, F.End], tokenizer.Encode("", 64, ref scratch, out bool truncated));
        Assert.False(truncated);
    }

    [Fact]
    public void LoadFile_BpeTextHoldingAnAddedToken_EncodesItAsItsId()
    {
        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(F.TokenizerJson);
        TeacherTokenizer plain = TeacherTokenizer.LoadFile(F.TokenizerJson);
        char[]? scratch = null;

        var ids = tokenizer.Encode("hi<mask>hi", 64, ref scratch, out _);
        var hi = plain.Encode("hi", 64, ref scratch, out _);

        Assert.Equal([F.Start, .. hi.Skip(1).SkipLast(1), 1260, .. hi.Skip(1).SkipLast(1), F.End], ids);
    }

    [Fact]
    public void LoadFile_TokenizerJsonWithUnigramModel_NotSupportedNamesTheModelTypeAndWhatIsSupported()
    {
        string path = _temp.Write("tokenizer.json", """{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0]]}}""");

        var error = Assert.Throws<NotSupportedException>(() => TeacherTokenizer.LoadFile(path));

        Assert.Contains("'Unigram'", error.Message, StringComparison.Ordinal);
        Assert.Contains("BPE", error.Message, StringComparison.Ordinal);
        Assert.Contains("WordPiece", error.Message, StringComparison.Ordinal);
        Assert.Contains("tokenizer.model", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Replace", "pattern": {"String": " "}, "content": "_"}]}""", "normalizer", "'Replace'")]
    [InlineData(null, "pre_tokenizer:Metaspace", "'Metaspace'")]
    [InlineData(null, "post_processor:BertPieces", "'BertPieces'")]
    public void LoadFile_BpeWithPartsNotSupported_NotSupportedNamesThePart(string? normalizer, string part, string expected)
    {
        JsonObject json = FixtureJson();
        if (normalizer is not null)
        {
            json["normalizer"] = JsonNode.Parse(normalizer);
        }
        else
        {
            string[] kv = part.Split(':');
            json[kv[0]] = JsonNode.Parse($$"""{"type": "{{kv[1]}}"}""");
        }

        var error = Assert.Throws<NotSupportedException>(() => TeacherTokenizer.LoadFile(WriteJson(json)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_BpeSplitPatternWithPossessiveQuantifier_NotSupportedSaysHowToRewriteIt()
    {
        JsonObject json = FixtureJson();
        json["pre_tokenizer"] = JsonNode.Parse("""
            {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": "[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+"}, "behavior": "Isolated", "invert": false},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
            """);

        var error = Assert.Throws<NotSupportedException>(() => TeacherTokenizer.LoadFile(WriteJson(json)));

        Assert.Contains("atomic groups", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TiktokenFileBesideTheTeacher_FoundAfterTheOtherNames()
    {
        File.Copy(F.TiktokenRanks, _temp.File("my.tiktoken"));

        TeacherTokenizer tokenizer = TeacherTokenizer.Load(_temp.File("model.onnx"), null);

        Assert.Equal(_temp.File("my.tiktoken"), tokenizer.File);
        Assert.Equal("tiktoken", tokenizer.Kind);
    }

    [Fact]
    public void Load_NoTokenizerBesideTheTeacher_FileNotFoundListsTiktokenAfterTheOthers()
    {
        var error = Assert.Throws<FileNotFoundException>(() => TeacherTokenizer.Load(_temp.File("model.onnx"), null));

        int tokenizerModel = error.Message.IndexOf(_temp.File("tokenizer.model"), StringComparison.Ordinal);
        int tiktoken = error.Message.IndexOf(_temp.File("*.tiktoken"), StringComparison.Ordinal);
        Assert.True(tokenizerModel > 0 && tiktoken > tokenizerModel, error.Message);
        Assert.Contains(".tiktoken rank file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TwoTiktokenFilesBesideTheTeacher_ArgumentExceptionNamesBoth()
    {
        File.Copy(F.TiktokenRanks, _temp.File("a.tiktoken"));
        File.Copy(F.TiktokenRanks, _temp.File("b.tiktoken"));

        var error = Assert.Throws<ArgumentException>(() => TeacherTokenizer.Load(_temp.File("model.onnx"), null));

        Assert.Contains("'a.tiktoken'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'b.tiktoken'", error.Message, StringComparison.Ordinal);
        Assert.Contains("TokenizerFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TiktokenWithTokenizerConfig_WrapsInBosEosAndPadsWithPadToken()
    {
        F golden = F.Load();
        string ranks = _temp.File("emails.tiktoken");
        File.Copy(F.TiktokenRanks, ranks);
        _temp.Write("tokenizer_config.json", """
            {"added_tokens_decoder": {"1256": {"content": "<|begin|>", "special": true}, "1257": {"content": "<|end|>", "special": true}, "1258": {"content": "<|pad|>", "special": true}},
             "bos_token": "<|begin|>", "eos_token": "<|end|>", "pad_token": "<|pad|>", "add_bos_token": true, "add_eos_token": true, "model_max_length": 48}
            """);
        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(ranks);
        char[]? scratch = null;
        string text = F.Texts()[0];

        var ids = tokenizer.Encode(text, 100000, ref scratch, out _);
        var cut = tokenizer.Encode(text, 10, ref scratch, out bool truncated);
        var special = tokenizer.Encode("x<|end|>", 100000, ref scratch, out _);

        Assert.Equal([1256, .. golden.Tiktoken[0], 1257], ids);
        Assert.True(truncated);
        Assert.Equal(1256, cut[0]);
        Assert.Equal(1257, cut[^1]);
        Assert.Equal(10, cut.Count);
        Assert.Equal(golden.Tiktoken[0][..8], cut.Skip(1).SkipLast(1));
        Assert.Equal(1257, special[^2]); // the special token in the text is its id, not its characters' tokens
        Assert.Equal(1258, tokenizer.PadId);
        Assert.Equal(1259, tokenizer.VocabularySize);
        Assert.Equal(48, tokenizer.ModelMaxLength);
    }

    [Fact]
    public void LoadFile_DamagedTiktokenLine_InvalidDataExceptionQuotesTheLine()
    {
        string path = _temp.Write("bad.tiktoken", "IQ== 0\nIg==1\n");

        var error = Assert.Throws<InvalidDataException>(() => TeacherTokenizer.LoadFile(path));

        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Ig==1'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cl100k_base.tiktoken", TiktokenFile.Cl100kPattern)]
    [InlineData("r50k_base.tiktoken", BpeTokenizerJson.Gpt2Pattern)]
    [InlineData("o200k_base.tiktoken", TiktokenFile.O200kPattern)]
    [InlineData("qwen.tiktoken", TiktokenFile.Cl100kPattern)]
    public void PatternFor_RankFileName_PicksThatEncodingsPatternElseCl100k(string name, string pattern)
    {
        Assert.Equal(pattern, TiktokenFile.PatternFor(Path.Combine("any", name)));
    }
}
