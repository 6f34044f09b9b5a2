using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PimBridge.Host.Security;

namespace PimBridge.Host.Events;

/// <summary>
/// The Event Grid webhook (§6 of the reference): the CloudEvents abuse-protection handshake on OPTIONS, and deliveries
/// on POST, authenticated, size-limited and answered 200 only once every hint is durable. Errors carry
/// <c>{"error", "reason"}</c>: 401 (not authenticated), 400 (not a delivery: nothing was changed; Event Grid does not
/// retry it), 503 (not configured yet) and 500 (a failure while acting: Event Grid redelivers, and what was already
/// recorded is idempotent).
/// </summary>
public static class EventsEndpoint
{
    public static IResult Handshake(HttpContext context, IOptions<PimBridgeHostOptions> options)
    {
        var settings = options.Value;
        var origin = context.Request.Headers["WebHook-Request-Origin"].ToString();
        if (string.IsNullOrWhiteSpace(origin))
            return Error(StatusCodes.Status400BadRequest, "bad request", "an OPTIONS request must carry WebHook-Request-Origin (the CloudEvents webhook handshake)");
        if (!settings.WebHookOrigins.Any(o => o == "*" || o.Equals(origin, StringComparison.OrdinalIgnoreCase)))
            return Error(StatusCodes.Status403Forbidden, "forbidden", $"origin {origin} is not in {PimBridgeHostOptions.Section}:AllowedWebHookOrigins");
        var headers = context.Response.Headers;
        headers["WebHook-Allowed-Origin"] = origin;
        headers["WebHook-Allowed-Rate"] = settings.WebHookAllowedRate;
        headers.Allow = "POST, OPTIONS";
        return Results.Ok();
    }

    public static async Task<IResult> DeliverAsync(
        HttpContext context, DeliveryAuthenticator authenticator, EventIngestor ingestor, IOptions<PimBridgeHostOptions> options, ILogger<EventIngestor> log)
    {
        var cancellationToken = context.RequestAborted;
        var auth = await authenticator.AuthenticateAsync(context.Request, cancellationToken).ConfigureAwait(false);
        if (!auth.Authenticated)
        {
            if (options.Value.Bearer.Enabled) context.Response.Headers.WWWAuthenticate = "Bearer";
            log.LogWarning("Refused an unauthenticated delivery: {Reason}", auth.Reason);
            return Error(StatusCodes.Status401Unauthorized, "unauthenticated", auth.Reason);
        }

        try
        {
            var binaryMode = context.Request.Headers.ContainsKey("ce-specversion");
            if (!binaryMode && ContentTypeProblem(context.Request.ContentType) is { } problem)
                throw new EventFormatException(problem);
            var body = await ReadBodyAsync(context.Request, options.Value.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
            if (binaryMode)
                body = IncomingEvents.FromBinaryMode(context.Request.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value.ToString())), context.Request.ContentType, body)!;
            var result = await ingestor.IngestAsync(body, cancellationToken).ConfigureAwait(false);
            if (result.ValidationCode is { } code)
                return Results.Json(new JsonObject { ["validationResponse"] = code });
            return Results.Json(result.ToJson());
        }
        catch (EventFormatException ex)
        {
            log.LogWarning("Refused a delivery: {Reason}", ex.Message);
            return Error(StatusCodes.Status400BadRequest, "bad request", ex.Message);
        }
        catch (ComponentsUnavailableException ex)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "not ready", ex.Message);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            log.LogError(ex, "A delivery failed; Event Grid will redeliver it");
            return Error(StatusCodes.Status500InternalServerError, "failed", ex.Message);
        }
    }

    /// <summary>
    /// Null for a JSON body (no content type, <c>application/json</c>, or any <c>+json</c> type such as
    /// <c>application/cloudevents+json</c> and <c>application/cloudevents-batch+json</c>); otherwise why not.
    /// </summary>
    internal static string? ContentTypeProblem(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType)) return null;
        if (MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType is { } type
            && (type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
            return null;
        return $"unsupported content type '{contentType}': send application/cloudevents+json, application/cloudevents-batch+json or application/json, or a binary-mode CloudEvent (ce-* headers) with JSON data";
    }

    /// <summary>Reads the whole body, refusing (unread past the limit) one larger than <paramref name="limit"/> bytes.</summary>
    internal static async Task<BinaryData> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limit)
            throw new EventFormatException($"The body is {declared} bytes, over the limit of {limit} bytes.");
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                    throw new EventFormatException($"The body is over the limit of {limit} bytes.");
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return new BinaryData(buffer.ToArray());
    }

    internal static IResult Error(int status, string error, string reason) =>
        Results.Json(new JsonObject { ["error"] = error, ["reason"] = reason }, statusCode: status);
}
