using System.Text.Json;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;

namespace PimBridge.Entra;

/// <summary>A Microsoft Graph call for one PIM group failed; the message names the group and what Graph said.</summary>
public sealed class GraphPimException(string groupId, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The Entra group whose read failed (lower-case object id).</summary>
    public string GroupId { get; } = groupId;

    /// <summary>Graph's HTTP status, when Graph answered.</summary>
    public int? StatusCode { get; } = GraphErrors.Status(inner);
}

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
