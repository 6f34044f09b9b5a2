using System.Text.Json;

namespace PimBridge.Host.Events;

/// <summary>The members of a Graph change or lifecycle notification PimBridge reads (CloudEvent <c>data</c>, §5.5–5.6).</summary>
internal sealed record GraphNotification(string? ClientState, string? Resource, string? ResourceId, string? SubscriptionId, string? LifecycleEvent)
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
