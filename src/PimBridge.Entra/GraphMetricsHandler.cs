using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using PimBridge.Core.Telemetry;

namespace PimBridge.Entra;

/// <summary>
/// Counts every HTTP attempt to Microsoft Graph, its errors and its throttles, on the meter <c>PimBridge.Entra</c>.
/// It sits innermost in the Graph client's pipeline, under the SDK's retry handler, so the attempts the SDK retries
/// quietly (429 and 503 with their Retry-After) are counted too: they are what an operator must see before Graph's
/// throttling turns into a paused poll. Each attempt is also a Client span on the ActivitySource of the same name,
/// named by method and resource (never by id), in OpenTelemetry's HTTP terms.
/// </summary>
internal sealed class GraphMetricsHandler : DelegatingHandler
{
    internal static readonly Meter Meter = new(PimBridgeTelemetry.Entra);
    internal static readonly ActivitySource Tracing = new(PimBridgeTelemetry.Entra);
    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("pimbridge.graph.requests", "{request}", "HTTP attempts sent to Microsoft Graph, by method, resource and status");
    private static readonly Counter<long> Errors = Meter.CreateCounter<long>("pimbridge.graph.errors", "{request}", "Graph attempts answered with an error status (4xx, 5xx) or not answered, by method, resource and status");
    private static readonly Counter<long> Throttles = Meter.CreateCounter<long>("pimbridge.graph.throttles", "{request}", "Graph attempts throttled (429, or 503 Service Unavailable), by method and resource");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var resource = Resource(request.RequestUri);
        var tags = new TagList { { "method", request.Method.Method }, { "resource", resource } };
        using var span = StartSpan(request, resource);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            tags.Add("status", "none"); // no answer: connection failure or timeout
            Requests.Add(1, tags);
            Errors.Add(1, tags);
            if (span is not null)
            {
                span.SetTag("error.type", ex.GetType().FullName);
                span.SetStatus(ActivityStatusCode.Error, ex.GetType().FullName);
            }

            throw;
        }

        var status = (int)response.StatusCode;
        if (span is not null)
        {
            span.SetTag("http.response.status_code", status);
            if (status >= 400)
            {
                // OpenTelemetry's HTTP conventions: a client span with an error status is typed by the status code.
                var code = status.ToString(CultureInfo.InvariantCulture);
                span.SetTag("error.type", code);
                span.SetStatus(ActivityStatusCode.Error, code);
            }
        }

        var throttled = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;
        if (throttled) Throttles.Add(1, tags);
        tags.Add("status", status.ToString(CultureInfo.InvariantCulture));
        Requests.Add(1, tags);
        if (status >= 400) Errors.Add(1, tags);
        return response;
    }

    private static Activity? StartSpan(HttpRequestMessage request, string resource)
    {
        if (!Tracing.HasListeners()) return null; // the span's name is built only for a listener
        var span = Tracing.StartActivity($"{request.Method.Method} {resource}", ActivityKind.Client);
        if (span is not null)
        {
            span.SetTag("http.request.method", request.Method.Method);
            span.SetTag("url.template", resource);
            span.SetTag("server.address", request.RequestUri?.Host);
        }

        return span;
    }

    /// <summary>
    /// The request path without its version and with ids replaced by <c>{id}</c>, so the tag has a handful of values:
    /// <c>/v1.0/users/8f…/</c> → <c>users/{id}</c>. A segment that is not a plain word (letters and dots, and a
    /// function call's <c>()</c>, as in the SDK's <c>groups/delta()</c>) is an id.
    /// </summary>
    internal static string Resource(Uri? uri)
    {
        if (uri is null) return "";
        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (segments.Count > 0 && segments[0] is "v1.0" or "beta") segments.RemoveAt(0);
        return string.Join('/', segments.Select(s => s.Length <= 64 && Word(s.EndsWith("()", StringComparison.Ordinal) ? s[..^2] : s) ? s : "{id}"));
    }

    private static bool Word(string segment) => segment.Length > 0 && segment.All(c => char.IsAsciiLetter(c) || c == '.');
}
