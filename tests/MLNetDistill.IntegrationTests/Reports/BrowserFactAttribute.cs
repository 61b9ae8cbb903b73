namespace MLNetDistill.Tests.Reports;

/// <summary>
/// A test that needs headless Chromium: skipped, with the reason shown in the test output, on a machine without the browser
/// (a fresh machine running <c>dotnet test</c> alone); run, and failing with the install hint, when
/// <see cref="RequireVariable"/> is <c>1</c>, as <c>.ci/run</c> sets it, so CI can never skip the browser tests silently.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>The environment variable that turns the skip into a failure: <c>MLNETDISTILL_REQUIRE_BROWSER=1</c>.</summary>
    public const string RequireVariable = "MLNETDISTILL_REQUIRE_BROWSER";

    /// <summary>Skips the test when no browser is found and the browser is not required.</summary>
    public BrowserFactAttribute() => Skip = SkipReason(HeadlessChromium.Executable, Environment.GetEnvironmentVariable(RequireVariable));

    /// <summary>Why a browser test is skipped, or <see langword="null"/> when it runs.</summary>
    /// <param name="browser">The browser found, or <see langword="null"/>.</param>
    /// <param name="required">The value of <see cref="RequireVariable"/>.</param>
    internal static string? SkipReason(string? browser, string? required) =>
        browser is not null || required == "1"
            ? null
            : $"Chromium is not installed (looked for {string.Join(", ", HeadlessChromium.Candidates)}): apt-get install chromium, or run .ci/run (which installs it and sets {RequireVariable}=1 so these tests cannot be skipped there).";
}
