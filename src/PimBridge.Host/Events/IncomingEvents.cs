using System.Text.Json;
using Azure.Messaging;
using Azure.Messaging.EventGrid;

namespace PimBridge.Host.Events;

/// <summary>
/// Parses a delivery: CloudEvents 1.0 (one structured event, a batch, or one binary-mode event read into a structured
/// one by <see cref="FromBinaryMode"/>) or the Event Grid schema (an array, or one event), with Azure.Core's and Azure.Messaging.EventGrid's parsers, which check each schema's required members.
/// The content type is not relied on: Event Grid documents a single CloudEvent as <c>application/cloudevents+json</c>
/// but the batch type is unverified, so a JSON object or array is accepted under any JSON content type.
/// A batch is read element by element: Event Grid does not retry a 400, so one bad element must not lose the others;
/// it comes back with its <see cref="IncomingEvent.Error"/>. Only a body with nothing valid in it is refused.
/// </summary>
internal static class IncomingEvents
{
    public static IReadOnlyList<IncomingEvent> Parse(BinaryData body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToMemory());
        }
        catch (JsonException ex)
        {
            throw new EventFormatException($"Malformed JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
                return [ParseOne(root)];
            if (root.ValueKind != JsonValueKind.Array)
                throw new EventFormatException($"Expected a JSON object (one event) or an array of events, got a JSON {root.ValueKind.ToString().ToLowerInvariant()}.");

            var events = new List<IncomingEvent>();
            var index = 0;
            foreach (var element in root.EnumerateArray())
            {
                index++;
                try
                {
                    events.Add(element.ValueKind == JsonValueKind.Object ? ParseOne(element) : throw new EventFormatException("Not a valid event: not a JSON object."));
                }
                catch (EventFormatException ex)
                {
                    var id = element.ValueKind == JsonValueKind.Object && element.TryGetProperty("id", out var given) && given.ValueKind == JsonValueKind.String
                        && given.GetString() is { Length: > 0 } text ? text : $"element {index}";
                    events.Add(new IncomingEvent(id, "", null, null, Error: char.ToLowerInvariant(ex.Message[0]) + ex.Message[1..]));
                }
            }

            if (events.Count > 0 && events.All(e => e.Error is not null))
                throw new EventFormatException($"No element of the batch is a valid event (element 1: {events[0].Error}).");
            return events;
        }
    }

    /// <summary>
    /// A binary-mode CloudEvent (the HTTP binding: attributes in <c>ce-*</c> headers, percent-encoded; the data as the
    /// body, typed by Content-Type) as the structured event it stands for, so one parser checks both; null when the
    /// request carries no <c>ce-specversion</c>. Graph's data is JSON: other data is refused, naming the type.
    /// </summary>
    public static BinaryData? FromBinaryMode(IEnumerable<KeyValuePair<string, string>> headers, string? contentType, BinaryData body)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            if (name.StartsWith("ce-", StringComparison.OrdinalIgnoreCase) && name.Length > 3)
                attributes[name[3..].ToLowerInvariant()] = Uri.UnescapeDataString(value);
        }

        if (!attributes.ContainsKey("specversion"))
            return null;
        foreach (var required in (string[])["id", "source", "type"])
        {
            if (!attributes.TryGetValue(required, out var value) || value.Length == 0)
                throw new EventFormatException($"A binary-mode CloudEvent needs the ce-{required} header; it is missing or empty.");
        }

        var structured = new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, value) in attributes) structured[name] = value;
        if (!string.IsNullOrWhiteSpace(contentType)) structured["datacontenttype"] = contentType;
        if (body.ToMemory().Length > 0)
        {
            try
            {
                structured["data"] = System.Text.Json.Nodes.JsonNode.Parse(body.ToMemory().Span);
            }
            catch (JsonException ex)
            {
                throw new EventFormatException($"The data of a binary-mode CloudEvent must be JSON ({contentType ?? "no content type"}): {ex.Message}", ex);
            }
        }

        return BinaryData.FromString(structured.ToJsonString());
    }

    private static IncomingEvent ParseOne(JsonElement element)
    {
        var json = BinaryData.FromString(element.GetRawText());
        try
        {
            if (element.TryGetProperty("specversion", out _))
            {
                var cloudEvent = CloudEvent.Parse(json) ?? throw new EventFormatException("Not a valid event: an empty CloudEvent.");
                return new IncomingEvent(cloudEvent.Id, cloudEvent.Type, cloudEvent.Subject, cloudEvent.Data, cloudEvent.Source);
            }

            if (element.TryGetProperty("eventType", out _))
            {
                var gridEvent = EventGridEvent.Parse(json);
                return new IncomingEvent(gridEvent.Id, gridEvent.EventType, gridEvent.Subject, gridEvent.Data, gridEvent.Topic);
            }
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException or FormatException or InvalidOperationException or NotSupportedException)
        {
            throw new EventFormatException($"Not a valid event: {ex.Message}", ex);
        }

        throw new EventFormatException("Neither a CloudEvent (no 'specversion') nor an Event Grid event (no 'eventType').");
    }
}
