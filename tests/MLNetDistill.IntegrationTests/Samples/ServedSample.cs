using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MLNetDistill.Tests.Samples;

/// <summary>The ServeStudent sample started as its own process on 127.0.0.1 and a free port; killed on dispose.</summary>
internal sealed class ServedSample : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServedSample(Process process, Uri address, string studentDirectory)
    {
        _process = process;
        Address = address;
        StudentDirectory = studentDirectory;
    }

    public Uri Address { get; }

    public string StudentDirectory { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the sample (it distills its student on <paramref name="rows"/> images first) and waits for /health.</summary>
    public static ServedSample Start(string serveDll, int rows, TimeSpan timeout)
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetdistill-tests", "serve-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        int port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo(ChildProcess.Dotnet)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { serveDll, "--urls", address.ToString().TrimEnd('/'), "--student-dir", Path.Combine(folder, "student"), "--rows", rows.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start };
        var served = new ServedSample(process, address, Path.Combine(folder, "student"));
        process.OutputDataReceived += (_, e) => served.Append(e.Data);
        process.ErrorDataReceived += (_, e) => served.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            served.WaitForHealth(timeout);
        }
        catch
        {
            served.Dispose();
            throw;
        }

        return served;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void WaitForHealth(TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"ServeStudent exited {_process.ExitCode} before answering /health:\n{Log}");
            }

            try
            {
                using var response = client.GetAsync(new Uri(Address, "/health")).GetAwaiter().GetResult();
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // not answering yet
            }

            Thread.Sleep(500);
        }

        throw new TimeoutException($"ServeStudent did not answer /health within {timeout}:\n{Log}");
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
