using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Cli;

/// <summary><c>compare --augment</c>: the synthetic rows are labeled once and every candidate learns from them.</summary>
[Collection("Console")]
public sealed class CompareAugmentTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Compare_AugmentMixup_SyntheticRowsScoredOnceForEveryCandidate()
    {
        string folder = Path.Combine(_temp.Path, "out");

        var (code, _, error) = CliRunner.Run("compare", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"), "--label", "label",
            "--students", "sdca:iterations=5;lbfgs:iterations=10", "--augment", "mixup:factor=2", "--out", folder);

        Assert.True(code == 0, error);
        Assert.Single(error.Split('\n'), l => l.StartsWith("generating 904 synthetic rows by mixup", StringComparison.Ordinal));
        Assert.Contains("training sdca:iterations=5 on soft labels", error, StringComparison.Ordinal);
        Assert.Contains("from 1,356 rows (904 synthetic)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_BadAugment_ErrorNamesTheFlag()
    {
        var (code, _, error) = CliRunner.Run("compare", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", TestPaths.Fixture("breast_cancer.csv"), "--label", "label",
            "--students", "sdca", "--augment", "mixup:a=-1", "--out", Path.Combine(_temp.Path, "out"));

        Assert.NotEqual(0, code);
        Assert.Contains("error: --augment: 'mixup:a=-1'", error, StringComparison.Ordinal);
        Assert.Contains("but was -1", error, StringComparison.Ordinal);
    }
}
