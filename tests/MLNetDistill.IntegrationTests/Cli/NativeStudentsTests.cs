using System.Text.Json;
using MLNetDistill.Cli;
using MLNetDistill.Cli.Commands;
using MLNetDistill.Data;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Cli;

/// <summary>
/// Where LightGBM's native library does not load (its NuGet package has no arm64 build; on Linux it needs libgomp1),
/// <c>demo</c> leaves the LightGBM students out with a message naming them and why, and trains the others.
/// </summary>
[Collection("Console")]
public sealed class NativeStudentsTests
{
    private const string MissingLibrary = "/app/runtimes/linux-arm64/native/lib_lightgbm.so: cannot open shared object file: No such file or directory";

    [Fact]
    public void SkipMissing_TrainerThrowsDllNotFound_SkipsEveryLightGbmSpecOnceTriedAndKeepsTheOthers()
    {
        var tried = new List<string>();

        var split = NativeStudents.SkipMissing(["sdca", "lightgbm:trees=10", "mlp:32", "lightgbm:trees=30"], family =>
        {
            tried.Add(family);
            throw new DllNotFoundException(MissingLibrary + "\n/usr/share/dotnet/lib_lightgbm.so: cannot open shared object file");
        });

        Assert.Equal(["sdca", "mlp:32"], split.Kept);
        Assert.Equal(["lightgbm:trees=10", "lightgbm:trees=30"], split.Skipped);
        Assert.Equal(["lightgbm"], tried); // one try for the family, not one per spec
        Assert.Contains("lib_lightgbm", split.Reason, StringComparison.Ordinal);
        Assert.Contains(MissingLibrary, split.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("/usr/share/dotnet", split.Reason, StringComparison.Ordinal); // the first line only
    }

    [Fact]
    public void SkipMissing_TypeInitializationWrapsEntryPointNotFound_SkipsTheLightGbmSpecs()
    {
        var split = NativeStudents.SkipMissing(["lightgbm", "fasttree:trees=5"], _ =>
            throw new TypeInitializationException("Microsoft.ML.Trainers.LightGbm.WrappedLightGbmInterface", new EntryPointNotFoundException("LGBM_DatasetCreateFromSampledColumn")));

        Assert.Equal(["fasttree:trees=5"], split.Kept);
        Assert.Equal(["lightgbm"], split.Skipped);
        Assert.Contains("LGBM_DatasetCreateFromSampledColumn", split.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SkipMissing_OtherTrainingError_Propagates()
    {
        // Only a library that does not load is skipped: a real training error is not hidden.
        Assert.Throws<InvalidOperationException>(() => NativeStudents.SkipMissing(["sdca", "lightgbm"], _ => throw new InvalidOperationException("bad rows")));
    }

    [Fact]
    public void SkipMissing_NoNativeStudent_TriesNothing()
    {
        var split = NativeStudents.SkipMissing(["sdca", "mlp:32", "not-a-family"], _ => throw new DllNotFoundException(MissingLibrary));

        Assert.Equal(["sdca", "mlp:32", "not-a-family"], split.Kept);
        Assert.Empty(split.Skipped);
        Assert.Null(split.Reason);
    }

    [Fact]
    public void SkipMissingNative_EveryStudentNeedsTheMissingLibrary_ThrowsNamingThemAndTheFix()
    {
        var data = DataSourceReader.Load(TestPaths.FashionImages);

        var e = Assert.Throws<InvalidOperationException>(() => DemoCommand.SkipMissingNative(["lightgbm:trees=10"], data, _ => throw new DllNotFoundException(MissingLibrary)));

        Assert.Contains("lightgbm:trees=10", e.Message, StringComparison.Ordinal);
        Assert.Contains("--students", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SkipMissingNative_RealLightGbmOnThisMachine_KeepsEveryStudent()
    {
        // The real try: a one-tree LightGBM on 64 embedded images, which loads lib_lightgbm (present on linux-x64).
        var data = DataSourceReader.Load(TestPaths.FashionImages);

        var kept = DemoCommand.SkipMissingNative(["sdca", "lightgbm:trees=10"], data);

        Assert.Equal(["sdca", "lightgbm:trees=10"], kept);
    }

    [Fact]
    public void Demo_LightGbmLibraryMissing_SkipsLightGbmStudentsWithAMessageAndFinishes()
    {
        // The CLI's own build output with lib_lightgbm removed, as on a platform the LightGBM package has no build for.
        using var temp = new TempFolder();
        string app = CopyCliWithoutLightGbm(temp.File("app"));
        string work = Directory.CreateDirectory(temp.File("work")).FullName;

        var (code, output) = ChildProcess.Run(ChildProcess.Dotnet, [Path.Combine(app, "mlnet-distill.dll"), "demo", "--students", "sdca;lightgbm:trees=2", "--out", "demo-out"],
            work, TimeSpan.FromMinutes(5));

        Assert.True(code == 0, output);
        Assert.Contains("warning: skipped lightgbm:trees=2: lightgbm's native library (lib_lightgbm) does not load", output, StringComparison.Ordinal);
        var board = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "demo-out", "leaderboard.json"))).RootElement;
        var names = board.GetProperty("students").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(["sdca"], names);
        Assert.True(File.Exists(Path.Combine(work, "demo-out", "report.html")));
    }

    /// <summary>Copies the CLI's files (its native runtimes as symbolic links) without any lib_lightgbm.</summary>
    private static string CopyCliWithoutLightGbm(string target)
    {
        string source = Path.GetDirectoryName(ChildCli.Dll)!;
        foreach (string directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        }

        Directory.CreateDirectory(target);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(source, file);
            string copy = Path.Combine(target, relative);
            if (Path.GetFileName(file).StartsWith("lib_lightgbm", StringComparison.Ordinal))
            {
                continue;
            }

            // The host resolves a symbolic link to the app's own folder, so the app's files are real copies; the large
            // native runtimes are links.
            if (relative.StartsWith("runtimes", StringComparison.Ordinal))
            {
                File.CreateSymbolicLink(copy, file);
            }
            else
            {
                File.Copy(file, copy);
            }
        }

        return target;
    }
}
