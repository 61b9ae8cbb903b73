using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Tests.Samples;

namespace MLNetDistill.Benchmarks.Serving;

/// <summary>
/// <c>serve [seconds=10] [concurrency=8] [rows=5000]</c>: starts samples/ServeStudent as its own process on 127.0.0.1 (it
/// distills its 784-64-10 MLP student on <c>rows</c> images first), then, per engine (the student's .zip through pooled
/// PredictionEngines, its .onnx through ONNX Runtime, and the teacher both ways), keeps <c>concurrency</c> clients
/// posting one image each for <c>seconds</c> after a 2 s warm-up, and prints requests/s and the p50/p99 latency the
/// clients saw. Client and server share the machine's cores.
/// </summary>
internal static class ServeBenchmark
{
    public static int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        int concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8;
        int rows = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5000;
        string dll = Path.Combine(BenchPaths.Repo, "samples", "ServeStudent", "bin", new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name, "net10.0", "ServeStudent.dll");
        if (!File.Exists(dll))
        {
            Console.Error.WriteLine($"error: {dll} is not built; build tests/MLNetDistill.Benchmarks (it references the sample) in this configuration.");
            return 1;
        }

        var ml = new MLContext(seed: 0);
        float[][] images = ml.Data.TakeRows(ml.Data.SkipRows(IdxReader.Load(BenchPaths.FashionImages), 5000), 1000).GetColumn<float[]>("Features").ToArray();
        byte[][] bodies = images.Select(x => JsonSerializer.SerializeToUtf8Bytes(new { features = x })).ToArray();
        Console.WriteLine($"ServeStudent: {concurrency} concurrent clients, {seconds:F0} s per engine after a 2 s warm-up, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the start");
        using var served = ServedSample.Start(dll, rows, TimeSpan.FromMinutes(10));
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency };
        using var client = new HttpClient(handler) { BaseAddress = served.Address };
        Console.WriteLine("| engine | requests/s | p50 ms | p99 ms | requests |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (string engine in new[] { "zip", "onnx", "teacher-zip", "teacher-onnx" })
        {
            Load(client, engine, bodies, concurrency, TimeSpan.FromSeconds(2));
            var (count, elapsed, latencies) = Load(client, engine, bodies, concurrency, TimeSpan.FromSeconds(seconds));
            latencies.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {engine} | {count / elapsed.TotalSeconds:F0} | {Percentile(latencies, 0.50):F2} | {Percentile(latencies, 0.99):F2} | {count:N0} |"));
        }

        return 0;
    }

    private static (long Count, TimeSpan Elapsed, List<double> LatenciesMs) Load(HttpClient client, string engine, byte[][] bodies, int concurrency, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var perWorker = new List<double>[concurrency];
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = perWorker[w] = new List<double>(4096);
            int next = w;
            while (clock.Elapsed < duration)
            {
                using var content = new ByteArrayContent(bodies[next++ % bodies.Length]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                long start = Stopwatch.GetTimestamp();
                using var response = await client.PostAsync($"/predict?engine={engine}", content);
                await response.Content.ReadAsByteArrayAsync();
                response.EnsureSuccessStatusCode();
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        })).ToArray();
        Task.WaitAll(workers);
        var all = perWorker.SelectMany(l => l).ToList();
        return (all.Count, clock.Elapsed, all);
    }

    private static double Percentile(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
