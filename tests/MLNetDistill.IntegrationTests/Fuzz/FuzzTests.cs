using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Fuzz;

/// <summary>
/// The reduced CI run of the fuzzer: a fixed seed and a hundred cases per format, each within 5 s (about 10 s in all here).
/// A failure lists the seed, case number, mutation and outcome of each bad case; `-- fuzz-case FORMAT SEED CASE` of the
/// benchmarks runs one again. The full run is `dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- fuzz 1000`.
/// </summary>
[Collection("Console")]
public sealed class FuzzTests(FuzzCorpusFixture fixture) : IClassFixture<FuzzCorpusFixture>
{
    private const int Seed = 20261201;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    [Fact]
    public void Idx_MutatedFiles_SucceedOrThrowClearErrors() => AssertNoFailures("idx", 100);

    [Fact]
    public void IdxGz_MutatedFiles_SucceedOrThrowClearErrors() => AssertNoFailures("idx-gz", 100);

    [Fact]
    public void Csv_MutatedFiles_SucceedOrThrowClearErrors() => AssertNoFailures("csv", 100);

    [Fact]
    public void Tsv_MutatedFiles_SucceedOrThrowClearErrors() => AssertNoFailures("tsv", 100);

    [Fact]
    public void TextCsv_MutatedFiles_SucceedOrThrowClearErrors() => AssertNoFailures("text-csv", 100);

    [Fact]
    public void Parquet_MutatedFiles_SucceedOrThrowClearErrors() => AssertNoFailures("parquet", 100);

    [Fact]
    public void Cache_MutatedFilesAndSidecars_SucceedOrThrowClearErrors() => AssertNoFailures("cache", 100);

    [Fact]
    public void CacheMetadata_MutatedKeyValues_SucceedOrThrowClearErrors() => AssertNoFailures("cache-metadata", 100);

    [Fact]
    public void Onnx_MutatedModels_SucceedOrThrowClearErrors() => AssertNoFailures("onnx", 100);

    [Fact]
    public void Spec_MutatedStrings_SucceedOrThrowClearErrors() => AssertNoFailures("spec", 100);

    [Fact]
    public void Cli_MutatedArguments_SucceedOrPrintOneErrorLine() => AssertNoFailures("cli", 100);

    [Fact]
    public void Classify_CrashTypesAndRawMessages_AreFailures()
    {
        string[] names = ["data.csv"];

        Assert.Equal(FuzzOutcomeKind.ClearError, FuzzHarness.Classify(new InvalidDataException("'data.csv' row 3 has 2 cells, expected 4: fix the row."), names).Kind);
        Assert.Equal(FuzzOutcomeKind.Failure, FuzzHarness.Classify(new NullReferenceException("data.csv"), names).Kind);
        Assert.Equal(FuzzOutcomeKind.Failure, FuzzHarness.Classify(new IndexOutOfRangeException("data.csv"), names).Kind);
        Assert.Equal(FuzzOutcomeKind.Failure, FuzzHarness.Classify(new OutOfMemoryException("data.csv"), names).Kind);
        Assert.Equal(FuzzOutcomeKind.Failure, FuzzHarness.Classify(new InvalidOperationException("data.csv"), names).Kind);
        Assert.Equal(FuzzOutcomeKind.Failure, FuzzHarness.Classify(new FormatException("The input string 'x' was not in a correct format."), []).Kind);
        Assert.Equal(FuzzOutcomeKind.Failure, FuzzHarness.Classify(new InvalidDataException("[ErrorCode:InvalidProtobuf] Load model from data.csv failed"), names).Kind);
        Assert.Equal(FuzzOutcomeKind.Failure, FuzzHarness.Classify(new InvalidDataException("the row is bad"), names).Kind);
    }

    [Fact]
    public void ClassifyCli_StackTraceOrSilentFailure_AreFailures()
    {
        Assert.Equal(FuzzOutcomeKind.Success, FuzzHarness.ClassifyCli(0, "ok", string.Empty).Kind);
        Assert.Equal(FuzzOutcomeKind.ClearError, FuzzHarness.ClassifyCli(2, string.Empty, "error: 'x.csv' was not found: check the path.\n").Kind);
        Assert.Equal(FuzzOutcomeKind.Failure, FuzzHarness.ClassifyCli(1, string.Empty, string.Empty).Kind);
        Assert.Equal(FuzzOutcomeKind.Failure, FuzzHarness.ClassifyCli(1, string.Empty, "System.NullReferenceException: Object reference not set\n   at Foo.Bar()\n").Kind);
        Assert.Equal(FuzzOutcomeKind.Failure, FuzzHarness.ClassifyCli(2, string.Empty, "error: one\nerror: two\n").Kind);
    }

    [Fact]
    public void Mutator_SameSeedAndCase_SameMutant()
    {
        byte[] seed = File.ReadAllBytes(fixture.Corpus.IdxImagesPath);

        byte[] a = new Mutator(7, 3).MutateBytes(seed, [4, 8, 12]);
        byte[] b = new Mutator(7, 3).MutateBytes(seed, [4, 8, 12]);
        byte[] c = new Mutator(7, 4).MutateBytes(seed, [4, 8, 12]);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    private void AssertNoFailures(string format, int cases)
    {
        var harness = new FuzzHarness(fixture.Corpus, Limit);

        FuzzFormatSummary summary = harness.Run(format, cases, Seed);

        Assert.Equal(cases, summary.Cases.Count);
        string failures = string.Join("\n", summary.Failures.Select(f => $"seed {Seed} {f}"));
        Assert.True(summary.Failures.Count == 0, $"{summary.Failures.Count} of {cases} {format} cases failed:\n{failures}");
    }
}
