using System.Globalization;
using System.Net;
using Microsoft.Kiota.Abstractions;

namespace PimBridge.Host.Worker;

/// <summary>PIM (Graph) said to slow down; <see cref="RetryAfter"/> is its hint, when it gave one.</summary>
public sealed record ThrottleSignal(TimeSpan? RetryAfter);

/// <summary>
/// Recognises throttling in whatever the PIM source throws, anywhere in the exception chain: Graph's
/// <see cref="ApiException"/> with status 429 or 503 (and its <c>Retry-After</c> header, seconds or an HTTP date), an
/// <see cref="HttpRequestException"/> with 429 or 503, or any exception that exposes a true <c>IsThrottling</c> (or a
/// 429 <c>StatusCode</c>/<c>ResponseStatusCode</c>) and, optionally, a <c>RetryAfter</c> TimeSpan, as PimBridge's
/// own AWS errors do.
/// </summary>
public static class Throttling
{
    /// <summary>
    /// Null when <paramref name="error"/> is not throttling. A wrapper often says "429" while only the inner Graph
    /// exception carries the Retry-After, so the whole chain is searched and a signal with a Retry-After wins.
    /// </summary>
    public static ThrottleSignal? Classify(Exception error, DateTimeOffset now)
    {
        ThrottleSignal? found = null;
        foreach (var ex in Chain(error))
        {
            var signal = Signal(ex, now);
            if (signal?.RetryAfter is not null) return signal;
            found ??= signal;
        }

        return found;
    }

    private static ThrottleSignal? Signal(Exception ex, DateTimeOffset now)
    {
        switch (ex)
        {
            case ApiException api when api.ResponseStatusCode is 429 or 503:
                return new ThrottleSignal(RetryAfter(api.ResponseHeaders, now));
            case HttpRequestException { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable }:
                return new ThrottleSignal(null);
        }

        var type = ex.GetType();
        var throttling = type.GetProperty("IsThrottling")?.GetValue(ex) is true
            || IsTooMany(type.GetProperty("StatusCode")?.GetValue(ex))
            || IsTooMany(type.GetProperty("ResponseStatusCode")?.GetValue(ex));
        return throttling
            ? new ThrottleSignal(type.GetProperty("RetryAfter")?.GetValue(ex) is TimeSpan after && after > TimeSpan.Zero ? after : null)
            : null;
    }

    private static bool IsTooMany(object? status) => status switch
    {
        int code => code == 429,
        HttpStatusCode code => code == HttpStatusCode.TooManyRequests,
        _ => false,
    };

    private static IEnumerable<Exception> Chain(Exception error)
    {
        var pending = new Stack<Exception>([error]);
        var seen = 0;
        while (pending.TryPop(out var ex) && seen++ < 16)
        {
            yield return ex;
            if (ex is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions) pending.Push(inner);
            else if (ex.InnerException is { } inner)
                pending.Push(inner);
        }
    }

    /// <summary>The <c>Retry-After</c> header: delta-seconds, or an HTTP date (relative to <paramref name="now"/>).</summary>
    internal static TimeSpan? RetryAfter(IDictionary<string, IEnumerable<string>>? headers, DateTimeOffset now)
    {
        if (headers is null) return null;
        var value = headers.FirstOrDefault(h => h.Key.Equals("Retry-After", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault()?.Trim();
        if (string.IsNullOrEmpty(value)) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            return seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return at > now ? at - now : null;
        return null;
    }
}
