using System.Diagnostics;
using System.Text;
using SkiaSharp;

namespace MLNetDistill.Tests.Reports;

/// <summary>What headless Chromium made of a page: the screenshot, the console messages it logged and the uncaught script errors among them.</summary>
internal sealed record ChromiumRender(string Screenshot, IReadOnlyList<string> ConsoleMessages, IReadOnlyList<string> ScriptErrors, string Log);

/// <summary>How much a screenshot shows: the share of sampled pixels that are not near-white and the number of distinct colours (4 bits per channel).</summary>
internal sealed record ScreenshotInk(int Width, int Height, double InkedShare, int DistinctColors)
{
    /// <summary>Gets whether the picture is blank: under 0.5 % of the pixels inked, or fewer than 4 colours.</summary>
    public bool IsBlank => InkedShare < 0.005 || DistinctColors < 4;

    public override string ToString() => $"{Width}x{Height}, {InkedShare:P2} inked, {DistinctColors} colours";
}

/// <summary>
/// Runs Debian's <c>chromium</c> headless on a local HTML file: a screenshot of the window, and the page's console output
/// (<c>--enable-logging=stderr</c> writes each console message as an <c>INFO:CONSOLE</c> line; an uncaught exception is a
/// message starting <c>"Uncaught</c>). A fresh profile folder per run, the network-free flags the machine needs, and the
/// process tree killed on timeout.
/// </summary>
internal static class HeadlessChromium
{
    internal static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    /// <summary>Gets the browser's path, or <see langword="null"/> when none is installed.</summary>
    public static string? Executable => Candidates.FirstOrDefault(File.Exists);

    /// <summary>Renders <paramref name="htmlFile"/> and writes the screenshot to <paramref name="screenshot"/>.</summary>
    /// <exception cref="InvalidOperationException">Chromium is not installed, or wrote no screenshot.</exception>
    /// <exception cref="TimeoutException">Chromium did not finish in <paramref name="timeout"/> (its process tree is killed).</exception>
    /// <param name="browser">The browser to run (default: the first of <see cref="Candidates"/> that exists).</param>
    public static ChromiumRender Render(string htmlFile, string screenshot, int width = 1200, int height = 2000, TimeSpan? timeout = null, string? browser = null)
    {
        string[] looked = browser is null ? Candidates : [browser];
        browser = looked.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException(
            $"Chromium is not installed (looked for {string.Join(", ", looked)}): run .ci/run or apt-get install chromium.");
        string profile = Path.Combine(Path.GetTempPath(), "mlnetdistill-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        File.Delete(screenshot);
        var start = new ProcessStartInfo(browser)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
            $"--user-data-dir={profile}", $"--screenshot={screenshot}", $"--window-size={width},{height}", new Uri(Path.GetFullPath(htmlFile)).AbsoluteUri,
        })
        {
            start.ArgumentList.Add(arg);
        }

        var log = new StringBuilder();
        try
        {
            using var process = new Process { StartInfo = start };
            process.ErrorDataReceived += (_, e) => Append(log, e.Data);
            process.OutputDataReceived += (_, e) => Append(log, e.Data);
            process.Start();
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var limit = timeout ?? TimeSpan.FromSeconds(120);
            if (!process.WaitForExit(limit))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"Chromium did not finish {htmlFile} in {limit.TotalSeconds:F0} s (killed). Its log:\n{Text(log)}");
            }

            process.WaitForExit(); // drain the redirected streams
            string text = Text(log);
            if (!File.Exists(screenshot))
            {
                throw new InvalidOperationException($"Chromium exited {process.ExitCode} and wrote no screenshot of {htmlFile}. Its log:\n{text}");
            }

            var console = text.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
            var errors = console.Where(l => l.Contains("\"Uncaught", StringComparison.Ordinal)).ToList();
            return new ChromiumRender(screenshot, console, errors, text);
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Measures how much a PNG shows, sampling every other pixel in both directions.</summary>
    public static ScreenshotInk Ink(string png)
    {
        using var bitmap = SKBitmap.Decode(png) ?? throw new InvalidDataException($"{png} is not an image SkiaSharp can decode.");
        var colors = new HashSet<int>();
        long inked = 0, sampled = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
        {
            for (int x = 0; x < bitmap.Width; x += 2)
            {
                var p = bitmap.GetPixel(x, y);
                sampled++;
                inked += p.Red < 240 || p.Green < 240 || p.Blue < 240 ? 1 : 0;
                colors.Add(((p.Red >> 4) << 8) | ((p.Green >> 4) << 4) | (p.Blue >> 4));
            }
        }

        return new ScreenshotInk(bitmap.Width, bitmap.Height, (double)inked / sampled, colors.Count);
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.Append(line).Append('\n');
        }
    }

    private static string Text(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}
