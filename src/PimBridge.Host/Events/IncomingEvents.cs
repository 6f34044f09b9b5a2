using System.Text.Json;
using Azure.Messaging;
using Azure.Messaging.EventGrid;

namespace PimBridge.Host.Events;

/// <summary>A request body that is not a valid delivery: refused with 400 and nothing changed.</summary>
public sealed class EventFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One delivered event, whichever schema carried it.</summary>
public sealed record IncomingEvent(string Id, string Type, string? Subject, BinaryData? Data);

/// <summary>
/// Parses a delivery: CloudEvents 1.0 (one structured event, or a batch) or the Event Grid schema (an array, or one
/// event), with Azure.Core's and Azure.Messaging.EventGrid's parsers, which check each schema's required members.
/// The content type is not relied on: Event Grid documents a single CloudEvent as <c>application/cloudevents+json</c>
/// but the batch type is unverified, so a JSON object or array is accepted under any JSON content type.
/// </summary>
public static class IncomingEvents
{
    public static IReadOnlyList<IncomingEvent> Parse(BinaryData body)
    {
        JsonElement first;
        try
        {
            using var document = JsonDocument.Parse(body.ToMemory());
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                if (root.GetArrayLength() == 0) return [];
                if (root.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Object))
                    throw new EventFormatException("Every element of the event array must be a JSON object.");
                first = root[0].Clone();
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                first = root.Clone();
            }
            else
            {
                throw new EventFormatException($"Expected a JSON object (one event) or an array of events, got a JSON {root.ValueKind.ToString().ToLowerInvariant()}.");
            }
        }
        catch (JsonException ex)
        {
            throw new EventFormatException($"Malformed JSON: {ex.Message}", ex);
        }

        try
        {
            if (first.TryGetProperty("specversion", out _))
                return CloudEvent.ParseMany(body).Select(e => new IncomingEvent(e.Id, e.Type, e.Subject, e.Data)).ToList();
            if (first.TryGetProperty("eventType", out _))
                return EventGridEvent.ParseMany(body).Select(e => new IncomingEvent(e.Id, e.EventType, e.Subject, e.Data)).ToList();
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException or FormatException or InvalidOperationException or NotSupportedException)
        {
            throw new EventFormatException($"Not a valid event: {ex.Message}", ex);
        }

        throw new EventFormatException("Neither a CloudEvent (no 'specversion') nor an Event Grid event (no 'eventType').");
    }
}

/// <summary>The members of a Graph change or lifecycle notification PimBridge reads (CloudEvent <c>data</c>, §5.5–5.6).</summary>
public sealed record GraphNotification(string? ClientState, string? Resource, string? ResourceId, string? SubscriptionId, string? LifecycleEvent)
{
    /// <summary>Null when the data is not a JSON object.</summary>
    public static GraphNotification? From(BinaryData? data)
    {
        if (data is null) return null;
        try
        {
            using var document = JsonDocument.Parse(data.ToMemory());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            string? resourceId = null;
            if (Find(root, "resourceData") is { ValueKind: JsonValueKind.Object } resourceData)
                resourceId = String(resourceData, "id");
            return new GraphNotification(String(root, "clientState"), String(root, "resource"), resourceId, String(root, "subscriptionId"), String(root, "lifecycleEvent"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The group the notification is about, lower-case: <c>resourceData.id</c>, else the segment after <c>Groups/</c>
    /// in <c>resource</c> or the event's subject (compared case-insensitively; <c>Groups/{id}/members/{user}</c> too).
    /// </summary>
    public string? GroupId(string? subject)
    {
        var id = ResourceId ?? AfterGroups(Resource) ?? AfterGroups(subject);
        return string.IsNullOrWhiteSpace(id) ? null : id.Trim().ToLowerInvariant();
    }

    private static string? AfterGroups(string? path)
    {
        if (path is null) return null;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.FindIndex(segments, s => s.Equals("groups", StringComparison.OrdinalIgnoreCase));
        return at >= 0 && at + 1 < segments.Length ? segments[at + 1] : null;
    }

    private static JsonElement? Find(JsonElement obj, string name)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) return property.Value;
        }

        return null;
    }

    private static string? String(JsonElement obj, string name) =>
        Find(obj, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;
}
