using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;

namespace PimBridge.Entra;

/// <summary>
/// Counts every HTTP attempt to Microsoft Graph, its errors and its throttles, on the meter <c>PimBridge.Entra</c>.
/// It sits innermost in the Graph client's pipeline, under the SDK's retry handler, so the attempts the SDK retries
/// quietly (429 and 503 with their Retry-After) are counted too: they are what an operator must see before Graph's
/// throttling turns into a paused poll.
/// </summary>
internal sealed class GraphMetricsHandler : DelegatingHandler
{
    internal static readonly Meter Meter = new("PimBridge.Entra");
    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("pimbridge.graph.requests", "{request}", "HTTP attempts sent to Microsoft Graph, by method, resource and status");
    private static readonly Counter<long> Errors = Meter.CreateCounter<long>("pimbridge.graph.errors", "{request}", "Graph attempts answered with an error status (4xx, 5xx) or not answered, by method, resource and status");
    private static readonly Counter<long> Throttles = Meter.CreateCounter<long>("pimbridge.graph.throttles", "{request}", "Graph attempts throttled (429, or 503 Service Unavailable), by method and resource");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var tags = new TagList { { "method", request.Method.Method }, { "resource", Resource(request.RequestUri) } };
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
            throw;
        }

        var status = (int)response.StatusCode;
        var throttled = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;
        if (throttled) Throttles.Add(1, tags);
        tags.Add("status", status.ToString(CultureInfo.InvariantCulture));
        Requests.Add(1, tags);
        if (status >= 400) Errors.Add(1, tags);
        return response;
    }

    /// <summary>
    /// The request path without its version and with ids replaced by <c>{id}</c>, so the tag has a handful of values:
    /// <c>/v1.0/users/8f…/</c> → <c>users/{id}</c>. A segment that is not a plain word (letters and dots) is an id.
    /// </summary>
    internal static string Resource(Uri? uri)
    {
        if (uri is null) return "";
        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (segments.Count > 0 && segments[0] is "v1.0" or "beta") segments.RemoveAt(0);
        return string.Join('/', segments.Select(s => s.Length <= 64 && s.All(c => char.IsAsciiLetter(c) || c == '.') ? s : "{id}"));
    }
}
