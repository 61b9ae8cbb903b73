using MLNetDistill.Cache;
using MLNetDistill.Llm;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Llm;

public sealed class LlmBatchImporterTests
{
    private static readonly FloatComparer Tolerance = new(1e-5);

    /// <summary>Expected soft labels of the committed fixture's rows (null: no line, an error line, or an answer naming no class).</summary>
    private static readonly float[]?[] Expected =
    [
        [0.9375f, 0.0625f],                 // " ham" .80 + "Ham" .10 vs " spam" .06 ("The" names none)
        [0.05102041f, 0.94897960f],         // "spam" .70 + " Spam" .20 + "S" .03 vs "ham" .05
        [0.99497487f, 0.00502513f],
        [0.42105263f, 0.57894737f],         // "sp" is the start of spam
        null,                               // no line for row 4
        [0.66666667f, 0.33333333f],         // "Ham" + "ham" vs "spam"; '"' names none
        null,                               // row 6: status 500
        null,                               // row 7: "Maybe", "I", "The"
        [0.03f, 0.97f],                     // ham not listed: it gets the mass left over (0.03), less than any listed token
        [0.51f, 0.49f],
    ];

    [Fact]
    public void Import_CommittedFixture_SoftLabelsTokensAndMissingRowsAsDocumented()
    {
        using var folder = new TempFolder();
        string cache = folder.File("batch.parquet");
        var options = Options();
        options.Model = ""; // taken from the answers

        var summary = LlmBatchImporter.Import(TestPaths.Fixture("llm_batch_output.jsonl"), rows: 10, cache, options);

        Assert.Equal(8, summary.RowsLabeled);
        Assert.Equal(2, summary.MissingRows);
        Assert.Equal(3, summary.UnknownAnswers);
        Assert.Equal(new[] { 0, 1, 2, 3, 5, 7, 8, 9 }.Sum(r => 40L + r), summary.InputTokens);
        Assert.Equal(8, summary.OutputTokens);
        Assert.Equal("gpt-4o-mini-2024-07-18", summary.Model);
        var soft = SoftLabelCache.Read(cache);
        Assert.Equal(10, soft.Length);
        for (int r = 0; r < 10; r++)
        {
            Assert.Equal(Expected[r] ?? [0.5f, 0.5f], soft[r], Tolerance);
        }

        var metadata = TeacherCache.ReadMetadata(cache);
        Assert.Equal(summary.TeacherSha256, metadata.TeacherSha256);
        Assert.StartsWith("llm:gpt-4o-mini-2024-07-18;prompt_sha256=", metadata.TeacherFile, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_RowBeyondTheData_ThrowsNamingTheLine()
    {
        using var folder = new TempFolder();

        var error = Assert.Throws<InvalidDataException>(() => LlmBatchImporter.Import(TestPaths.Fixture("llm_batch_output.jsonl"), rows: 5, folder.File("b.parquet"), Options()));

        Assert.Contains("llm_batch_output.jsonl:3: custom_id 'row-9' names row 9, but the data has 5 rows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_DamagedLine_ThrowsNamingTheLine()
    {
        using var folder = new TempFolder();
        string[] lines = File.ReadAllLines(TestPaths.Fixture("llm_batch_output.jsonl"));
        lines[1] = lines[1][..40];
        string damaged = folder.Write("damaged.jsonl", string.Join('\n', lines));

        var error = Assert.Throws<InvalidDataException>(() => LlmBatchImporter.Import(damaged, rows: 10, folder.File("b.parquet"), Options()));

        Assert.Contains("damaged.jsonl:2: not a JSON line", error.Message, StringComparison.Ordinal);
    }

    private static LlmLabelerOptions Options()
    {
        var options = new LlmLabelerOptions { Model = "gpt-4o-mini-2024-07-18" };
        options.Classes.Add("ham");
        options.Classes.Add("spam");
        return options;
    }
}
