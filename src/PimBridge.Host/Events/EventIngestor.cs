using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PimBridge.Host.Worker;

namespace PimBridge.Host.Events;

/// <summary>
/// Acts on parsed deliveries. A Graph group change on a mapped group becomes a durable hint
/// (<see cref="PimBridge.Core.Engine.Enforcer.HintAsync"/>) and wakes the worker; other groups are dropped without a store
/// write. A lifecycle notification reauthorizes the subscription (<c>reauthorizationRequired</c>), or, when
/// notifications may have been lost (<c>subscriptionRemoved</c>, <c>missed</c>), recreates subscriptions and hints every
/// mapped group. Every Graph notification must carry the <c>clientState</c> the subscriptions are created with. The call returns only after
/// everything it acted on is durable; if it throws, what was done is idempotent and a redelivery finishes the rest.
/// </summary>
public sealed class EventIngestor(
    LazyComposedEngine components,
    EventDeduplicator dedupe,
    WorkerSignal signal,
    IngestionCounters counters,
    ILogger<EventIngestor> log)
{
    private const string ValidationEvent = "Microsoft.EventGrid.SubscriptionValidationEvent";

    /// <exception cref="EventFormatException">The body is not a delivery; nothing was done.</exception>
    /// <exception cref="ComponentsUnavailableException">PimBridge is not configured; nothing was done.</exception>
    public async Task<IngestResult> IngestAsync(BinaryData body, CancellationToken cancellationToken)
    {
        var events = IncomingEvents.Parse(body);
        using var span = IngestionCounters.Tracing.StartActivity("events.ingest", ActivityKind.Internal);
        span?.SetTag("pimbridge.events.received", events.Count);
        var result = new IngestResult();
        if (events.FirstOrDefault(e => e.Type.Equals(ValidationEvent, StringComparison.OrdinalIgnoreCase)) is { } validation)
        {
            result.ValidationCode = ValidationCode(validation) ?? throw new EventFormatException("The subscription validation event has no data.validationCode.");
            log.LogInformation("Answering Event Grid subscription validation {EventId}", validation.Id);
            return result;
        }

        var parts = await components.GetAsync(cancellationToken).ConfigureAwait(false);
        var hinted = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var incoming in events)
            {
                var (outcome, detail) = incoming.Error is { } error ? (EventOutcome.Rejected, error)
                    : !seen.Add(incoming.Key) || dedupe.Contains(incoming.Key) ? (EventOutcome.Duplicate, "already handled")
                    : await ActAsync(incoming, parts, cancellationToken).ConfigureAwait(false);
                hinted |= outcome is EventOutcome.Hinted or EventOutcome.Lifecycle;
                if (outcome != EventOutcome.Rejected && outcome != EventOutcome.Duplicate) dedupe.Remember(incoming.Key);
                counters.Count(outcome);
                result.Events.Add((incoming.Id, outcome, detail));
                if (outcome == EventOutcome.Rejected)
                    log.LogWarning("Rejected event {EventId} ({EventType}): {Reason}", incoming.Id, incoming.Type, detail);
                else
                    log.LogDebug("Event {EventId} ({EventType}): {Outcome}: {Detail}", incoming.Id, incoming.Type, outcome, detail);
            }
        }
        finally
        {
            if (hinted) signal.Set();
        }

        span?.SetTag("pimbridge.events.hinted", result.Count(EventOutcome.Hinted));
        return result;
    }

    private async Task<(EventOutcome, string)> ActAsync(IncomingEvent incoming, ComposedEngine parts, CancellationToken cancellationToken)
    {
        var type = incoming.Type;
        if (!type.StartsWith("Microsoft.Graph.", StringComparison.OrdinalIgnoreCase))
            return (EventOutcome.Ignored, $"type {type} is not acted on");
        var group = type.StartsWith("Microsoft.Graph.Group", StringComparison.OrdinalIgnoreCase);
        var notification = GraphNotification.From(incoming.Data);
        var lifecycle = Lifecycle(type, notification);
        if (!group && lifecycle is null)
            return (EventOutcome.Ignored, $"type {type} is not acted on");
        if (notification is null)
            return (EventOutcome.Rejected, "the Graph notification has no JSON object as data");
        if (!ClientStateMatches(parts.Subscriptions?.ClientState, notification.ClientState))
            return (EventOutcome.Rejected, notification.ClientState is null ? "clientState is missing" : "clientState does not match");

        if (lifecycle is null)
        {
            var groupId = notification.GroupId(incoming.Subject);
            if (groupId is null)
                return (EventOutcome.Rejected, "no group id in resourceData.id, resource or subject");
            if (!parts.Enforcer.MappedGroups.Contains(groupId))
                return (EventOutcome.Unmapped, $"group {groupId} is not mapped");
            await parts.Enforcer.HintAsync(groupId, cancellationToken).ConfigureAwait(false);
            return (EventOutcome.Hinted, $"group {groupId} queued for reconcile");
        }

        switch (lifecycle)
        {
            case "reauthorizationrequired":
                if (notification.SubscriptionId is not { Length: > 0 } subscriptionId)
                    return (EventOutcome.Rejected, "reauthorizationRequired without a subscriptionId");
                var action = await parts.RequireSubscriptions().ReauthorizeAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
                if (action.Action == "failed")
                    throw new InvalidOperationException($"Reauthorizing Graph subscription {subscriptionId} failed: {action.Error}");
                return (EventOutcome.Lifecycle, $"subscription {subscriptionId} {action.Action}");
            case "subscriptionremoved":
                // Notifications stopped: recreate the subscriptions, and reconcile every group for what was missed.
                var report = await parts.RequireSubscriptions().EnsureAsync(cancellationToken).ConfigureAwait(false);
                await HintAllAsync(parts, cancellationToken).ConfigureAwait(false);
                return (EventOutcome.Lifecycle, $"subscriptions ensured ({string.Join(", ", report.Actions.Select(a => $"{a.GroupId}: {a.Action}"))}); every mapped group queued for reconcile");
            default: // missed
                await HintAllAsync(parts, cancellationToken).ConfigureAwait(false);
                return (EventOutcome.Lifecycle, "notifications were missed: every mapped group queued for reconcile");
        }
    }

    private static async Task HintAllAsync(ComposedEngine parts, CancellationToken cancellationToken)
    {
        foreach (var groupId in parts.Enforcer.MappedGroups)
            await parts.Enforcer.HintAsync(groupId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The lifecycle event, lower-case, from the type (compared case-insensitively) or <c>data.lifecycleEvent</c>; null for none.</summary>
    private static string? Lifecycle(string type, GraphNotification? notification)
    {
        foreach (var known in (string[])["reauthorizationRequired", "subscriptionRemoved", "missed"])
        {
            if (type.EndsWith(known, StringComparison.OrdinalIgnoreCase) || string.Equals(notification?.LifecycleEvent, known, StringComparison.OrdinalIgnoreCase))
                return known.ToLowerInvariant();
        }

        return null;
    }

    /// <summary>One setting: the clientState the subscriptions are created with (<c>Entra.Subscriptions.ClientState</c>).</summary>
    private static bool ClientStateMatches(string? expected, string? clientState)
    {
        if (string.IsNullOrEmpty(expected) || clientState is null) return false;
        return FixedTimeEquals(expected, clientState);
    }

    /// <summary>Compares secrets in time independent of where they differ (hashes first, so lengths do not leak either).</summary>
    internal static bool FixedTimeEquals(string expected, string actual) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(actual)));

    private static string? ValidationCode(IncomingEvent validation)
    {
        if (validation.Data is null) return null;
        try
        {
            using var document = JsonDocument.Parse(validation.Data.ToMemory());
            if (document.RootElement.ValueKind != JsonValueKind.Object) return null;
            return document.RootElement.EnumerateObject()
                .FirstOrDefault(p => p.Name.Equals("validationCode", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.String)
                .Value is { ValueKind: JsonValueKind.String } code ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
