using System.Text.Json;

namespace MLNetDistill.Tests.Text;

/// <summary>
/// The byte-level BPE and tiktoken fixtures of samples/teachers/make_bpe_fixture.mjs: text_bpe/tokenizer.json (RoBERTa
/// layout, 1,261 ids, &lt;s&gt; = 1256, &lt;pad&gt; = 1257, &lt;/s&gt; = 1258), text_tiktoken/emails.tiktoken (the same 1,256 tokens as
/// ranks), the tiny teacher text_bpe/model.onnx (make_bpe_teacher.py), and the golden ids of every row of text_emails.csv
/// computed by @huggingface/tokenizers 0.2.0 and js-tiktoken 1.0.21.
/// </summary>
internal sealed class TeacherTokenizerBpeFixture
{
    public const int Start = 1256;
    public const int Pad = 1257;
    public const int End = 1258;
    public const int Vocabulary = 1261;

    private TeacherTokenizerBpeFixture(int[] chars, int[][] ids, int[][] tiktoken, int[][] prefixSpace, int[][] nfkcLowercase)
    {
        NfkcLowercase = nfkcLowercase;
        Chars = chars;
        Ids = ids;
        Tiktoken = tiktoken;
        PrefixSpace = prefixSpace;
    }

    public static string TokenizerJson => TestPaths.Fixture(Path.Combine("text_bpe", "tokenizer.json"));

    public static string TiktokenRanks => TestPaths.Fixture(Path.Combine("text_tiktoken", "emails.tiktoken"));

    public static string Model => TestPaths.Fixture(Path.Combine("text_bpe", "model.onnx"));

    /// <summary>Each row's text length in UTF-16 chars, as the JS script read the CSV (checks both read the same texts).</summary>
    public int[] Chars { get; }

    /// <summary>Hugging Face's ids for each row, &lt;s&gt; ... &lt;/s&gt; included, untruncated.</summary>
    public int[][] Ids { get; }

    /// <summary>js-tiktoken's ids for each row (cl100k_base's split pattern, no special tokens), untruncated.</summary>
    public int[][] Tiktoken { get; }

    /// <summary>Hugging Face's ids for the first 5 rows with the ByteLevel pre-tokenizer's <c>add_prefix_space</c> set.</summary>
    public int[][] PrefixSpace { get; }

    /// <summary>Hugging Face's ids for the first 5 rows with normalizer <c>Sequence[NFKC, Lowercase]</c>.</summary>
    public int[][] NfkcLowercase { get; }

    public static TeacherTokenizerBpeFixture Load()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("golden_text_bpe.json")));
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToList();
        return new TeacherTokenizerBpeFixture(
            [.. rows.Select(r => r.GetProperty("chars").GetInt32())],
            [.. rows.Select(r => r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray())],
            [.. rows.Select(r => r.GetProperty("tiktoken").EnumerateArray().Select(x => x.GetInt32()).ToArray())],
            Rows(json.RootElement.GetProperty("prefixSpace")),
            Rows(json.RootElement.GetProperty("nfkcLowercase")));
    }

    private static int[][] Rows(JsonElement rows) => [.. rows.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray())];

    /// <summary>The texts of text_emails.csv, read by the library's CSV reader.</summary>
    public static List<string> Texts() =>
        [.. Microsoft.ML.Data.ColumnCursorExtensions.GetColumn<ReadOnlyMemory<char>>(MLNetDistill.Data.DataSourceReader.LoadText(TestPaths.Fixture("text_emails.csv"), "Text"), "Text").Select(t => t.ToString())];

    /// <summary>Hugging Face's truncation of <paramref name="ids"/> to <paramref name="max"/>: the text is cut, the closing token kept.</summary>
    public static int[] CutKeepingEnd(int[] ids, int max) => ids.Length <= max ? ids : [.. ids[..(max - 1)], ids[^1]];
}
