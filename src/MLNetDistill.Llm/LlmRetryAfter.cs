using System.ClientModel;
using System.Globalization;

namespace MLNetDistill.Llm;

/// <summary>
/// The wait a throttled endpoint asks for: the <c>Retry-After</c> header of a 429 (too many requests) or 503 (unavailable)
/// response (RFC 9110 §10.2.3), either delta-seconds (<c>Retry-After: 20</c>) or an HTTP-date
/// (<c>Retry-After: Wed, 02 Dec 2026 01:20:00 GMT</c>). The OpenAI-compatible client (System.ClientModel) throws a
/// <see cref="ClientResultException"/> whose raw response carries the headers; that is where it is read.
/// </summary>
internal static class LlmRetryAfter
{
    /// <summary>The header's name.</summary>
    public const string Header = "Retry-After";

    /// <summary>The wait asked for by the response behind <paramref name="failure"/> (or an inner exception), or <see langword="null"/> when it is not a 429/503 with a readable <c>Retry-After</c>.</summary>
    /// <param name="failure">The exception the chat client threw.</param>
    /// <param name="now">The current time, for the HTTP-date form.</param>
    public static TimeSpan? From(Exception? failure, DateTimeOffset now)
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            if (e is ClientResultException { Status: 429 or 503 } c &&
                c.GetRawResponse() is { } response &&
                response.Headers.TryGetValue(Header, out string? value) &&
                Parse(value, now) is TimeSpan wait)
            {
                return wait;
            }
        }

        return null;
    }

    /// <summary>Reads a <c>Retry-After</c> value: whole seconds (0 or more), or an HTTP-date (a date in the past is no wait). Anything else is <see langword="null"/>.</summary>
    /// <param name="value">The header's value.</param>
    /// <param name="now">The current time, for the HTTP-date form.</param>
    public static TimeSpan? Parse(string? value, DateTimeOffset now)
    {
        string text = value?.Trim() ?? "";
        if (text.Length == 0)
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
        {
            // A huge number is as good as "very long": clamp before converting, the option's cap applies later.
            return TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.FromDays(1).TotalSeconds));
        }

        // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is what RFC 9110 asks senders to use; "R" reads it. The obsolete
        // RFC 850 and asctime forms are accepted too, as RFC 9110 asks recipients to.
        string[] formats = ["r", "dddd, dd-MMM-yy HH:mm:ss 'GMT'", "ddd MMM d HH:mm:ss yyyy"];
        if (DateTimeOffset.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out DateTimeOffset date))
        {
            TimeSpan wait = date - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }
}
