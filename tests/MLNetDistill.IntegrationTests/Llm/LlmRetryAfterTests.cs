using System.Globalization;
using MLNetDistill.Llm;
using MLNetDistill.Tests.Data;

namespace MLNetDistill.Tests.Llm;

/// <summary>Retry-After on 429/503: read from the response the OpenAI-compatible client fails with, waited (capped), counted.</summary>
public sealed class LlmRetryAfterTests
{
    private static readonly DateTimeOffset Now = new(1994, 11, 6, 8, 49, 7, TimeSpan.Zero);

    [Theory]
    [InlineData("1", 1.0)]
    [InlineData(" 120 ", 120.0)]
    [InlineData("0", 0.0)]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT", 30.0)] // IMF-fixdate, RFC 9110's preferred form
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT", 30.0)] // obsolete RFC 850 form
    [InlineData("Sun Nov  6 08:49:37 1994", 30.0)] // obsolete asctime form
    [InlineData("Sun, 06 Nov 1994 08:48:00 GMT", 0.0)] // a date already past: no wait
    public void Parse_DeltaSecondsOrHttpDate_GivesTheWait(string header, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), LlmRetryAfter.Parse(header, Now));
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("06/11/1994 08:49:37")]
    public void Parse_NotSecondsNorHttpDate_GivesNull(string header)
    {
        Assert.Null(LlmRetryAfter.Parse(header, Now));
    }

    [Fact]
    public async Task LabelAsync_429WithRetryAfterSeconds_WaitsThatLongInsteadOfTheBackOffAndCountsIt()
    {
        var texts = TextTeacher.Texts(8);
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities)
        {
            // Texts 0 and 3: 429 with Retry-After: 1 on their first request. Text 5: 429 without the header.
            Refuse = (text, request) => request > 1 ? null
                : text == texts[0] || text == texts[3] ? (429, "1")
                : text == texts[5] ? (429, null)
                : null,
        };
        using var folder = new TempFolder();
        using var client = LlmLabelerTests.Client(server);
        var options = LlmLabelerTests.Options(); // RetryDelay 5 ms: the back-off alone would retry at once

        var summary = await new LlmLabeler(client, options).LabelAsync(LlmLabelerTests.View(texts), folder.File("llm.parquet"));

        Assert.InRange(Gap(server, texts[0]).TotalSeconds, 0.95, 30);
        Assert.InRange(Gap(server, texts[3]).TotalSeconds, 0.95, 30);
        Assert.InRange(Gap(server, texts[5]).TotalSeconds, 0, 0.9); // the back-off, below the 1 s Retry-After of the others
        Assert.Equal(3, summary.Retries);
        Assert.Equal(3, summary.Throttled);
        Assert.Equal(2, summary.RetriesWithRetryAfter);
        Assert.Equal(11, server.Requests);
        Assert.All(texts, t => Assert.Equal(1, server.AnswersPerText[t]));
    }

    [Fact]
    public async Task LabelAsync_RetryAfterAboveTheCap_WaitsTheCap()
    {
        var texts = TextTeacher.Texts(3);
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities)
        {
            Refuse = (text, request) => request == 1 && text == texts[1] ? (429, "30") : null,
        };
        using var folder = new TempFolder();
        using var client = LlmLabelerTests.Client(server);
        var options = LlmLabelerTests.Options();
        options.MaxRetryAfter = TimeSpan.FromMilliseconds(400);

        var summary = await new LlmLabeler(client, options).LabelAsync(LlmLabelerTests.View(texts), folder.File("llm.parquet"));

        Assert.InRange(Gap(server, texts[1]).TotalSeconds, 0.38, 20); // not 30 s
        Assert.Equal(1, summary.RetriesWithRetryAfter);
        Assert.True(summary.Seconds < 25, $"{summary.Seconds} s");
    }

    [Fact]
    public async Task LabelAsync_503WithHttpDateRetryAfter_WaitsUntilThatDate()
    {
        var texts = TextTeacher.Texts(3);
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities)
        {
            // An HTTP-date 2 s ahead, in whole seconds (the header has no fractions): the wait is more than 1 s and at most 2 s.
            Refuse = (text, request) => request == 1 && text == texts[2]
                ? (503, DateTimeOffset.UtcNow.AddSeconds(2).ToString("R", CultureInfo.InvariantCulture))
                : null,
        };
        using var folder = new TempFolder();
        using var client = LlmLabelerTests.Client(server);

        var summary = await new LlmLabeler(client, LlmLabelerTests.Options()).LabelAsync(LlmLabelerTests.View(texts), folder.File("llm.parquet"));

        Assert.InRange(Gap(server, texts[2]).TotalSeconds, 0.95, 30);
        Assert.Equal(1, summary.Retries);
        Assert.Equal(0, summary.Throttled); // a 503, not a 429
        Assert.Equal(1, summary.RetriesWithRetryAfter);
    }

    [Fact]
    public async Task LabelAsync_StoppedDuringALongRetryAfter_StopsWithoutWaitingItOut()
    {
        var texts = TextTeacher.Texts(40);
        using var stop = new CancellationTokenSource();
        await using var server = new ChatCompletionsServer(TextTeacher.Classes, TextTeacher.Probabilities)
        {
            Refuse = (text, request) =>
            {
                if (request == 1 && text == texts[10])
                {
                    return (429, "60"); // the stop comes well inside the minute the server asks to wait (below)
                }

                return null;
            },
        };
        using var folder = new TempFolder();
        string cache = folder.File("llm.parquet");
        using var client = LlmLabelerTests.Client(server);
        var labeler = new LlmLabeler(client, LlmLabelerTests.Options());
        var watch = System.Diagnostics.Stopwatch.StartNew();

        // Stopped once every other row is answered (a signal, not a timer: on a loaded machine 700 ms saw only 15 of them).
        var progress = new StopWhenAnswered(39, stop);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => labeler.LabelAsync(LlmLabelerTests.View(texts), cache, progress, stop.Token));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(40), $"stopping took {watch.Elapsed}"); // not the 60 s Retry-After
        var saved = ChunkFiles.SavedRows(cache);
        Assert.DoesNotContain(10L, saved); // the throttled row was not answered: a rerun asks it
        Assert.Equal(39, saved.Count); // every other row was answered while it waited, and kept
        Assert.Equal(39, labeler.LastSummary!.RowsSaved);
        Assert.Equal(1, labeler.LastSummary.RetriesWithRetryAfter);
    }

    /// <summary>The time between a text's first (refused) request and its retry, on the server's clock.</summary>
    private static TimeSpan Gap(ChatCompletionsServer server, string text)
    {
        var times = server.RequestTimesPerText[text].ToArray();
        Assert.Equal(2, times.Length);
        return times[1] - times[0];
    }

    /// <summary>Cancels <paramref name="stop"/> once the labeler reports <paramref name="rows"/> rows answered and a retry under way (or 2 s after the rows, if the retry is not counted yet).</summary>
    private sealed class StopWhenAnswered(long rows, CancellationTokenSource stop) : IProgress<LlmLabelingProgress>
    {
        public void Report(LlmLabelingProgress value)
        {
            if (value.RowsDone < rows)
            {
                return;
            }

            if (value.Retries >= 1)
            {
                stop.Cancel(); // the throttled row is waiting out its Retry-After
            }
            else
            {
                // The other rows beat the 429 to the labeler (a loaded machine): give it time to start waiting, far inside the minute.
                stop.CancelAfter(TimeSpan.FromSeconds(2));
            }
        }
    }
}
