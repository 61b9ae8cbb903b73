using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MLNetDistill.Tests.Llm;

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel) speaking OpenAI's chat-completions protocol: POST /v1/chat/completions with
/// logprobs/top_logprobs. It answers each prompt from a probability function over the classes (the text teacher's
/// probabilities), so the soft labels the labeler writes can be checked against it. It counts the requests per text (and
/// when they came), can answer the first requests with 429, can refuse chosen requests with a status and a Retry-After
/// header, and can answer a text with a token that names no class.
/// </summary>
internal sealed class ChatCompletionsServer : IAsyncDisposable
{
    /// <summary>The prompt template the tests use: the server finds the text after its marker.</summary>
    public const string Template = "Classify as one of: {classes}.\nTEXT:\n{text}";

    private const string Marker = "TEXT:\n";

    private readonly WebApplication _app;
    private readonly string[] _classes;
    private readonly Func<string, float[]?> _probabilities;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private int _throttleLeft;
    private int _throttleEvery;
    private long _requests;
    private long _answered;

    public ChatCompletionsServer(string[] classes, Func<string, float[]?> probabilities)
    {
        _classes = classes;
        _probabilities = probabilities;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", Handle);
        _app.StartAsync().GetAwaiter().GetResult();
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Endpoint = new Uri(address.TrimEnd('/') + "/v1");
    }

    /// <summary>Gets the API's base address, e.g. http://127.0.0.1:41234/v1.</summary>
    public Uri Endpoint { get; }

    /// <summary>Gets the requests received (429s included).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Gets the requests answered with a completion.</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Gets the completions answered per text.</summary>
    public ConcurrentDictionary<string, int> AnswersPerText { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets, per text, when each of its requests arrived (refused ones included), on the server's clock.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<TimeSpan>> RequestTimesPerText { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets a refusal rule: given a request's text and which request for that text it is (1 for the first), the
    /// status to answer instead of a completion (429, 503, ...) and the Retry-After header to send (null: none), or null to answer.
    /// </summary>
    public Func<string, int, (int Status, string? RetryAfter)?>? Refuse { get; set; }

    /// <summary>Gets what the requests asked for: logprobs, top_logprobs, model, max tokens (the last request's).</summary>
    public JsonObject? LastRequest { get; private set; }

    /// <summary>Gets the Authorization header of the last request.</summary>
    public string? LastAuthorization { get; private set; }

    /// <summary>Gets or sets a delay before each answer (to stop a run while requests are in flight).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Gets or sets a callback made as each completion is sent (with the count answered so far).</summary>
    public Action<long>? OnAnswer { get; set; }

    /// <summary>Answers the next <paramref name="count"/> requests with 429, then (when <paramref name="every"/> &gt; 0) every n-th request.</summary>
    public void Throttle(int count, int every = 0)
    {
        Volatile.Write(ref _throttleLeft, count);
        Volatile.Write(ref _throttleEvery, every);
    }

    private async Task Handle(HttpContext context)
    {
        long n = Interlocked.Increment(ref _requests);
        var request = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())!.AsObject();
        LastRequest = request;
        LastAuthorization = context.Request.Headers.Authorization.ToString();
        string prompt = request["messages"]![0]!["content"]!.GetValue<string>();
        int at = prompt.IndexOf(Marker, StringComparison.Ordinal);
        string text = at < 0 ? prompt : prompt[(at + Marker.Length)..];
        var times = RequestTimesPerText.GetOrAdd(text, _ => new ConcurrentQueue<TimeSpan>());
        times.Enqueue(_clock.Elapsed);
        if (Refuse?.Invoke(text, times.Count) is { } refusal)
        {
            context.Response.StatusCode = refusal.Status;
            if (refusal.RetryAfter is not null)
            {
                context.Response.Headers["Retry-After"] = refusal.RetryAfter;
            }

            await context.Response.WriteAsJsonAsync(new { error = new { message = $"Refused with {refusal.Status} (test)", type = "rate_limit_error", code = "rate_limit_exceeded" } });
            return;
        }

        int every = Volatile.Read(ref _throttleEvery);
        if (Interlocked.Decrement(ref _throttleLeft) >= 0 || (every > 0 && n % every == 0))
        {
            context.Response.StatusCode = 429;
            context.Response.Headers["Retry-After"] = "0";
            await context.Response.WriteAsJsonAsync(new { error = new { message = "Rate limit reached (test)", type = "rate_limit_error", code = "rate_limit_exceeded" } });
            return;
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay);
        }

        bool logprobs = request["logprobs"]?.GetValue<bool>() == true;
        int top = request["top_logprobs"]?.GetValue<int>() ?? 0;
        float[]? p = _probabilities(text);
        var tops = new JsonArray();
        string answer;
        if (p is null)
        {
            // An answer that names no class: "I" (as in "I cannot tell"), with alternatives that name none either.
            answer = "I";
            tops.Add(Top("I", -0.2));
            tops.Add(Top("Sorry", -1.9));
            tops.Add(Top("The", -3.0));
        }
        else
        {
            // The classes' tokens carry 95% of the mass, spread over a lower-case and a capitalised spelling; "The" the rest.
            var entries = new List<(string Token, double LogProbability)>();
            for (int c = 0; c < _classes.Length; c++)
            {
                entries.Add((" " + _classes[c], Math.Log(0.95 * 0.75 * p[c])));
                entries.Add((char.ToUpperInvariant(_classes[c][0]) + _classes[c][1..], Math.Log(0.95 * 0.25 * p[c])));
            }

            entries.Add(("The", Math.Log(0.05)));
            entries.Sort((a, b) => b.LogProbability.CompareTo(a.LogProbability));
            answer = entries[0].Token;
            foreach (var (token, lp) in entries.Take(Math.Max(top, 1)))
            {
                tops.Add(Top(token, lp));
            }
        }

        var first = new JsonObject { ["token"] = answer, ["logprob"] = tops[0]!["logprob"]!.DeepClone(), ["bytes"] = null, ["top_logprobs"] = tops };
        var body = new JsonObject
        {
            ["id"] = "chatcmpl-" + n.ToString(CultureInfo.InvariantCulture),
            ["object"] = "chat.completion",
            ["created"] = 1764547200,
            ["model"] = request["model"]?.GetValue<string>() ?? "test-model",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = answer },
                ["logprobs"] = logprobs ? new JsonObject { ["content"] = new JsonArray(first) } : null,
                ["finish_reason"] = "length",
            }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 10 + (text.Length / 4), ["completion_tokens"] = 1, ["total_tokens"] = 11 + (text.Length / 4) },
        };
        AnswersPerText.AddOrUpdate(text, 1, (_, c) => c + 1);
        long answered = Interlocked.Increment(ref _answered);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
        OnAnswer?.Invoke(answered);
    }

    private static JsonObject Top(string token, double logProbability) => new() { ["token"] = token, ["logprob"] = logProbability, ["bytes"] = null };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
