using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Fuzz;

/// <summary>The corpus, built once for the fuzz tests and the regression tests of the files the fuzzer damaged.</summary>
public sealed class FuzzCorpusFixture : IDisposable
{
    private readonly TempFolder _folder = new();

    public FuzzCorpusFixture()
    {
        Corpus = FuzzCorpus.Create(_folder.Path, TestPaths.Repo);
    }

    internal FuzzCorpus Corpus { get; }

    public void Dispose() => _folder.Dispose();
}
