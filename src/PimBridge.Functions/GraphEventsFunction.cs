using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PimBridge.Host;
using PimBridge.Host.Events;
using PimBridge.Host.Security;

namespace PimBridge.Functions;

/// <summary>
/// The Event Grid webhook as an HTTP function, <c>/api/events</c>: Graph's partner topic delivers to it through a
/// webhook event subscription (the Event Grid trigger's extension is not available to this build). It is the
/// webhook of <c>pimbridge serve</c>, handshake and all (<see cref="EventsEndpoint"/>): OPTIONS answers the
/// CloudEvents handshake, POST is authenticated by the configured bearer token or shared secret and ingested. The
/// function is anonymous to the Functions host because <see cref="DeliveryAuthenticator"/> authenticates, failing
/// closed when nothing is configured.
/// </summary>
public sealed class GraphEventsFunction(
    DeliveryAuthenticator authenticator, EventIngestor ingestor, IOptions<PimBridgeHostOptions> options, ILogger<EventIngestor> log)
{
    public const string Name = "GraphEvents";

    /// <summary>Under the Functions host's <c>api/</c> prefix: <c>/api/events</c>, the webhook's default path.</summary>
    public const string Route = "events";

    [Function(Name)]
    public Task<IResult> RunAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = Route)] HttpRequest request) =>
        HttpMethods.IsOptions(request.Method)
            ? Task.FromResult(EventsEndpoint.Handshake(request.HttpContext, options))
            : EventsEndpoint.DeliverAsync(request.HttpContext, authenticator, ingestor, options, log);
}
