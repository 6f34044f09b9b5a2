using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using PimBridge.Core.Ports;

namespace PimBridge.Entra;

internal static class GraphErrors
{
    /// <summary>
    /// Graph's HTTP status. The SDK throws an <see cref="ODataError"/> for an error it did not retry, but when its
    /// retry handler gives up (429/503/504 on every attempt) it throws an <see cref="AggregateException"/> of plain
    /// <see cref="ApiException"/>s, one per attempt: the last one's status counts.
    /// </summary>
    public static int? Status(Exception? ex) => ex switch
    {
        ApiException { ResponseStatusCode: > 0 } api => api.ResponseStatusCode,
        AggregateException aggregate => aggregate.InnerExceptions.Select(Status).LastOrDefault(s => s is not null),
        _ => null,
    };

    public static bool IsNotFound(Exception ex) => Status(ex) == 404;

    /// <summary>
    /// Whether Graph throttled: a 429 or 503 anywhere in the chain, Graph's <see cref="ApiException"/> or HttpClient's
    /// <see cref="HttpRequestException"/>. A wrapper often says "429" while only an inner attempt carries the
    /// Retry-After, so the whole chain is searched and an answer with a Retry-After wins; of the retry handler's
    /// attempts, the last one's.
    /// </summary>
    public static (bool Throttling, TimeSpan? RetryAfter) Throttle(Exception? error, DateTimeOffset now)
    {
        var throttling = false;
        foreach (var ex in FailureChain.Of(error))
        {
            switch (ex)
            {
                case ApiException { ResponseStatusCode: 429 or 503 } api:
                    if (RetryAfter(api.ResponseHeaders, now) is { } after) return (true, after);
                    throttling = true;
                    break;
                case HttpRequestException { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable }:
                    throttling = true;
                    break;
            }
        }

        return (throttling, null);
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

    /// <summary>"HTTP 500 InternalServerError: message", or the exception's message when Graph did not answer.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        ODataError { Error: { } error } odata => Format(odata.ResponseStatusCode, error.Code, error.Message),
        AggregateException aggregate when aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => e is ApiException) =>
            $"{Describe(aggregate.InnerExceptions[^1])} (still failing after {aggregate.InnerExceptions.Count} attempts, the SDK's retries included)",
        ApiException { ResponseStatusCode: > 0 } api => FromRawBody(api),
        _ => ex.Message,
    };

    private static string Format(int status, string? code, string? message) => $"HTTP {status} {code}: {message}".TrimEnd(' ', ':');

    /// <summary>The retry handler's ApiException carries the response body in its message: read Graph's error from it.</summary>
    private static string FromRawBody(ApiException api)
    {
        var brace = api.Message.IndexOf('{', StringComparison.Ordinal);
        if (brace >= 0)
        {
            try
            {
                using var document = JsonDocument.Parse(api.Message[brace..]);
                if (document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                    return Format(api.ResponseStatusCode, Text(error, "code"), Text(error, "message"));
            }
            catch (JsonException)
            {
                // Not Graph's error envelope: fall through to the message as it is.
            }
        }

        return $"HTTP {api.ResponseStatusCode}: {api.Message}";
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
