using System.Security.Cryptography;
using Microsoft.Extensions.AI;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Llm;
using MLNetDistill.Tests.Data;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Tests.Llm;

/// <summary>The labeler's chunk folder (CACHE.chunks/): each chunk written once, resumed from, merged, refused when foreign.</summary>
public sealed class LlmCacheChunksTests
{
    [Fact]
    public async Task LabelAsync_ManyChunks_EachChunkWrittenOnceAndMergedCacheEqualsOneShotRun()
    {
        await using var run = new LabelRun(rows: 300, chunkRows: 25);
        var (texts, server, folder, cache, client, options) = run;
        var watcher = new ChunkWatcher(ChunkFiles.Folder(cache));

        var summary = await new LlmLabeler(client, options).LabelAsync(LlmLabelerTests.View(texts), cache, watcher);

        // Every chunk seen was complete and never changed afterwards: same bytes, same write time, from first sight to the merge.
        Assert.Empty(watcher.Changed);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"chunk-{i:D6}.parquet"), watcher.Seen.Keys.Order(StringComparer.Ordinal));
        Assert.All(watcher.Seen.Values, chunk => Assert.Equal(25, chunk.Rows.Length));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), watcher.Seen.Values.SelectMany(c => c.Rows).Order());

        // O(rows) writes: a chunk's size does not grow with the rows before it (a rewrite of the whole cache would).
        long first = watcher.Seen["chunk-000000.parquet"].Bytes;
        Assert.All(watcher.Seen.Values, chunk => Assert.InRange(chunk.Bytes, first * 9 / 10, first * 11 / 10));
        long cacheBytes = new FileInfo(cache).Length;
        long chunkBytes = watcher.Seen.Values.Sum(c => c.Bytes);
        Assert.True(chunkBytes < 6 * cacheBytes, $"the chunks took {chunkBytes} bytes for a {cacheBytes}-byte cache");

        Assert.False(Directory.Exists(ChunkFiles.Folder(cache)));
        Assert.Equal(300, summary.RowsSaved);
        Assert.Equal(300, server.Requests);

        // The merged cache, in input order, equals a one-shot run (one chunk of all rows).
        string oneShot = folder.File("one-shot.parquet");
        var single = LlmLabelerTests.Options();
        single.ChunkRows = 1_000_000;
        await new LlmLabeler(client, single).LabelAsync(LlmLabelerTests.View(texts), oneShot);
        AssertSameCache(oneShot, cache, 300);
        var soft = LlmLabelerTests.ReadSoft(cache);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(TextTeacher.Probabilities(texts[i]), soft[i], new FloatComparer(1e-5));
        }
    }

    [Fact]
    public async Task LabelAsync_TruncatedTempChunkLeftByKill_IgnoredAndItsRowsAskedAgain()
    {
        await using var run = new LabelRun(rows: 200, chunkRows: 20);
        var (texts, server, folder, cache, client, options) = run;
        await StopAfter(server, client, options, texts, cache, answered: 90);
        string[] chunks = ChunkFiles.Complete(cache);
        Assert.True(chunks.Length >= 4, $"{chunks.Length} chunks");

        // A kill while the last chunk was being written: its rows are only in a half-written hidden temporary file.
        string last = chunks[^1];
        long[] lost = ChunkFiles.RowIds(last);
        byte[] bytes = File.ReadAllBytes(last);
        string temp = Path.Combine(Path.GetDirectoryName(last)!, $".{Path.GetFileName(last)}.0badc0ffee00.tmp");
        File.WriteAllBytes(temp, bytes[..(bytes.Length / 2)]);
        File.Delete(last);
        var before = texts.ToDictionary(t => t, t => server.AnswersPerText.GetValueOrDefault(t), StringComparer.Ordinal);
        var saved = ChunkFiles.SavedRows(cache);

        var summary = await new LlmLabeler(client, options).LabelAsync(LlmLabelerTests.View(texts), cache);

        Assert.Equal(saved.Count, summary.RowsResumed);
        Assert.Equal(200 - saved.Count, summary.RowsLabeled);
        for (int i = 0; i < texts.Length; i++)
        {
            // Rows in complete chunks are not asked again; the rows of the truncated chunk, like every missing row, are asked once more.
            Assert.Equal(saved.Contains(i) ? 0 : 1, server.AnswersPerText[texts[i]] - before[texts[i]]);
        }

        Assert.All(lost, row => Assert.DoesNotContain(row, saved));
        Assert.All(lost, row => Assert.Equal(2, server.AnswersPerText[texts[row]]));
        Assert.False(Directory.Exists(ChunkFiles.Folder(cache))); // the temporary file went with the folder
        var soft = LlmLabelerTests.ReadSoft(cache);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(TextTeacher.Probabilities(texts[i]), soft[i], new FloatComparer(1e-5));
        }
    }

    [Fact]
    public async Task LabelAsync_ChunksOfAnotherPrompt_RefusedNamingTheFix()
    {
        await using var run = new LabelRun(rows: 120, chunkRows: 20);
        var (texts, server, folder, cache, client, options) = run;
        await StopAfter(server, client, options, texts, cache, answered: 50);
        long requests = server.Requests;
        var other = LlmLabelerTests.Options();
        other.PromptTemplate = "Another prompt. " + ChatCompletionsServer.Template;

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new LlmLabeler(client, other).LabelAsync(LlmLabelerTests.View(texts), cache));

        Assert.Contains("holds soft labels of another labeler", error.Message, StringComparison.Ordinal);
        Assert.Contains(ChunkFiles.Folder(cache), error.Message, StringComparison.Ordinal);
        Assert.Contains($"give another output file, or delete the chunk folder '{ChunkFiles.Folder(cache)}' to start over", error.Message, StringComparison.Ordinal);
        Assert.Equal(requests, server.Requests);
        Assert.NotEmpty(ChunkFiles.Complete(cache)); // refused, not overwritten
    }

    [Fact]
    public async Task LabelAsync_DamagedCompleteChunk_RefusedNamingTheFileAndTheFix()
    {
        await using var run = new LabelRun(rows: 120, chunkRows: 20);
        var (texts, server, folder, cache, client, options) = run;
        await StopAfter(server, client, options, texts, cache, answered: 50);
        string chunk = ChunkFiles.Complete(cache)[0];
        byte[] bytes = File.ReadAllBytes(chunk);
        File.WriteAllBytes(chunk, bytes[..(bytes.Length - 10)]);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new LlmLabeler(client, options).LabelAsync(LlmLabelerTests.View(texts), cache));

        Assert.Contains(chunk, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LabelAsync_ChunksOfDataWithOtherRowCount_RefusedAsOtherData()
    {
        await using var run = new LabelRun(rows: 120, chunkRows: 20);
        var (texts, server, folder, cache, client, options) = run;
        await StopAfter(server, client, options, texts, cache, answered: 50);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new LlmLabeler(client, options).LabelAsync(LlmLabelerTests.View(texts[..100]), cache));

        Assert.Contains("not the 100 rows given: it was made from other data", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LabelAsync_PrefixCacheOfAnEarlierVersionAndChunks_BothKeptAndMergedInOrder()
    {
        await using var run = new LabelRun(rows: 150, chunkRows: 20);
        var (texts, server, folder, cache, client, options) = run;

        // A cache file of rows 0..49 (what the labeler used to leave: a prefix), then a run stopped with chunks of later rows.
        await new LlmLabeler(client, options).LabelAsync(LlmLabelerTests.View(texts[..50]), cache);
        using (var stop = new CancellationTokenSource())
        {
            server.OnAnswer = n =>
            {
                if (n == 100)
                {
                    stop.Cancel();
                }
            };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new LlmLabeler(client, options).LabelAsync(LlmLabelerTests.View(texts), cache, cancellationToken: stop.Token));
            server.OnAnswer = null;
        }

        var chunked = ChunkFiles.SavedRows(cache);
        Assert.NotEmpty(chunked);
        Assert.All(chunked, row => Assert.InRange(row, 50, 149));
        Assert.Equal(50, TeacherCache.ReadMetadata(cache).Rows); // the prefix cache is not rewritten while the run is unfinished

        var summary = await new LlmLabeler(client, options).LabelAsync(LlmLabelerTests.View(texts), cache);

        Assert.Equal(50 + chunked.Count, summary.RowsResumed);
        Assert.Equal(150, server.Requests);
        Assert.All(texts, t => Assert.Equal(1, server.AnswersPerText[t]));
        var soft = LlmLabelerTests.ReadSoft(cache);
        Assert.Equal(150, soft.Length);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(TextTeacher.Probabilities(texts[i]), soft[i], new FloatComparer(1e-5));
        }
    }

    [Fact]
    public async Task LabelAsync_KilledBetweenMergeAndFolderRemoval_RerunAsksNothingAndRemovesTheFolder()
    {
        await using var run = new LabelRun(rows: 100, chunkRows: 20);
        var (texts, server, folder, cache, client, options) = run;
        string stopped = folder.File("stopped.parquet");
        await StopAfter(server, client, options, texts, stopped, answered: 45);
        await new LlmLabeler(client, options).LabelAsync(LlmLabelerTests.View(texts), cache);
        string expected = folder.File("expected.parquet");
        File.Copy(cache, expected);

        // The merged cache is complete and the chunks (same answers: the server is deterministic) are still there.
        Directory.Move(ChunkFiles.Folder(stopped), ChunkFiles.Folder(cache));
        long requests = server.Requests;

        var summary = await new LlmLabeler(client, options).LabelAsync(LlmLabelerTests.View(texts), cache);

        Assert.Equal(requests, server.Requests);
        Assert.Equal(100, summary.RowsResumed);
        Assert.False(Directory.Exists(ChunkFiles.Folder(cache)));
        AssertSameCache(expected, cache, 100);
    }

    /// <summary>Runs the labeler and stops it once the server has answered <paramref name="answered"/> rows (chunks stay on disk).</summary>
    private static async Task StopAfter(ChatCompletionsServer server, Microsoft.Extensions.AI.IChatClient client, LlmLabelerOptions options, string[] texts, string cache, int answered)
    {
        using var stop = new CancellationTokenSource();
        server.OnAnswer = n =>
        {
            if (n == answered)
            {
                stop.Cancel();
            }
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new LlmLabeler(client, options).LabelAsync(LlmLabelerTests.View(texts), cache, cancellationToken: stop.Token));
        server.OnAnswer = null;
        Assert.False(File.Exists(cache));
    }

    internal static void AssertSameCache(string expected, string actual, int rows)
    {
        static (float[][] Logits, float[][] Soft, uint[] Predicted) Read(string path)
        {
            var view = TeacherCache.Read(path);
            return (
                [.. view.GetColumn<VBuffer<float>>(DataColumnNames.TeacherLogits).Select(v => v.DenseValues().ToArray())],
                [.. view.GetColumn<VBuffer<float>>(DataColumnNames.SoftLabels).Select(v => v.DenseValues().ToArray())],
                [.. view.GetColumn<uint>(DataColumnNames.TeacherPredictedLabel)]);
        }

        var a = Read(expected);
        var b = Read(actual);
        Assert.Equal(rows, a.Soft.Length);
        Assert.Equal(rows, b.Soft.Length);
        var tolerance = new FloatComparer(1e-6);
        for (int i = 0; i < rows; i++)
        {
            Assert.Equal(a.Logits[i], b.Logits[i], tolerance);
            Assert.Equal(a.Soft[i], b.Soft[i], tolerance);
        }

        Assert.Equal(a.Predicted, b.Predicted);
        var ma = TeacherCache.ReadMetadata(expected);
        var mb = TeacherCache.ReadMetadata(actual);
        Assert.Equal(ma with { CreatedUtc = default }, mb with { CreatedUtc = default });
    }

    /// <summary>What every test here starts with: the texts, the chat-completions server answering from the text teacher, a temporary folder with the cache path, a client and the options with their chunk size.</summary>
    private sealed class LabelRun : IAsyncDisposable
    {
        private readonly ChatCompletionsServer _server;
        private readonly TempFolder _folder;
        private readonly IChatClient _client;
        private readonly LlmLabelerOptions _options;
        private readonly string[] _texts;

        public LabelRun(int rows, int chunkRows)
        {
            _texts = TextTeacher.Texts(rows);
            _server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities);
            _folder = new TempFolder();
            _client = LlmLabelerTests.Client(_server);
            _options = LlmLabelerTests.Options();
            _options.ChunkRows = chunkRows;
        }

        public void Deconstruct(out string[] texts, out ChatCompletionsServer server, out TempFolder folder, out string cache, out IChatClient client, out LlmLabelerOptions options)
        {
            texts = _texts;
            server = _server;
            folder = _folder;
            cache = _folder.File("llm.parquet");
            client = _client;
            options = _options;
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            _folder.Dispose();
            await _server.DisposeAsync();
        }
    }

    /// <summary>
    /// Looks into the chunk folder at every progress report (after each answer and each chunk): records each complete chunk
    /// when first seen (its bytes' hash, size, write time and row ids) and any later change to one.
    /// </summary>
    private sealed class ChunkWatcher(string folder) : IProgress<LlmLabelingProgress>
    {
        private readonly object _sync = new();

        public Dictionary<string, (string Hash, long Bytes, DateTime Written, long[] Rows)> Seen { get; } = new(StringComparer.Ordinal);

        public List<string> Changed { get; } = [];

        public void Report(LlmLabelingProgress value)
        {
            lock (_sync)
            {
                if (!Directory.Exists(folder))
                {
                    return;
                }

                foreach (string path in Directory.GetFiles(folder, "chunk-*.parquet"))
                {
                    string name = Path.GetFileName(path);
                    byte[] bytes;
                    DateTime written;
                    try
                    {
                        written = File.GetLastWriteTimeUtc(path);
                        bytes = File.ReadAllBytes(path);
                    }
                    catch (IOException)
                    {
                        continue; // removed by the merge between the listing and the read
                    }

                    string hash = Convert.ToHexString(SHA256.HashData(bytes));
                    if (Seen.TryGetValue(name, out var seen))
                    {
                        if (seen.Hash != hash || seen.Written != written)
                        {
                            Changed.Add($"{name}: {seen.Bytes} bytes at {seen.Written:O}, then {bytes.Length} bytes at {written:O}");
                        }
                    }
                    else
                    {
                        Seen[name] = (hash, bytes.Length, written, ChunkFiles.RowIds(path));
                    }
                }
            }
        }
    }
}
