using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using PimBridge.Core.Domain;
using PimBridge.Core.Notifications;

namespace PimBridge.Notifications;

/// <summary>
/// The one JSON document PimBridge publishes for a notification: the webhook body and the Event Grid event's data.
/// Its shape is a contract with receivers (see docs/notifications.md): fields are only ever added, and a breaking
/// change raises <see cref="SchemaVersion"/>.
/// </summary>
/// <remarks>
/// Every field is always present (absent values are <c>null</c>, no facts is <c>{}</c>) so receivers can bind to a
/// fixed shape. <c>facts</c> is an object in display order; a key that repeats gets " (2)", " (3)", … appended
/// because a JSON object cannot carry the same name twice.
/// </remarks>
public static class NotificationDocument
{
    /// <summary>The value of <c>schemaVersion</c>; raised only when a field changes meaning or is removed.</summary>
    public const int SchemaVersion = 1;

    // The body goes out as application/json, never into HTML, so non-ASCII text (names, user agents) stays readable.
    internal static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static readonly JsonSerializerOptions Serializer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The document as UTF-8 JSON bytes, ready to send.</summary>
    public static byte[] ToUtf8Json(Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Writer))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", SchemaVersion);
            json.WriteString("id", notification.Id);
            json.WriteString("kind", KindName(notification.Kind));
            json.WriteString("at", notification.At.UtcDateTime);
            json.WriteString("severity", SeverityName(notification.Severity));
            json.WriteString("title", notification.Title);
            json.WriteString("text", notification.Text);
            json.WriteString("user", notification.User);
            json.WriteString("alertKind", notification.AlertKind);
            json.WriteStartObject("facts");
            foreach (var (key, value) in UniqueFacts(notification.Facts))
                json.WriteString(key, value);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The document as a JSON string.</summary>
    public static string ToJson(Notification notification) => Encoding.UTF8.GetString(ToUtf8Json(notification));

    /// <summary>The kind as it is written in configuration and documents: <c>alert</c>, <c>access-live</c>, <c>expires-soon</c>, <c>access-removed</c> (the outbox's names).</summary>
    public static string KindName(NotificationKind kind) => NotificationOutbox.KindName(kind);

    /// <summary>The severity as it is written in configuration and documents: <c>info</c>, <c>warning</c>, <c>critical</c>.</summary>
    public static string SeverityName(AlertSeverity severity) => severity switch
    {
        AlertSeverity.Info => "info",
        AlertSeverity.Warning => "warning",
        AlertSeverity.Critical => "critical",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, "Unknown severity."),
    };

    /// <summary>Parses a kind name, ignoring case and surrounding space; null when it is not one.</summary>
    public static NotificationKind? ParseKind(string? name) =>
        name is null ? null : NotificationOutbox.ParseKind(name.Trim().ToLowerInvariant());

    /// <summary>Parses a severity name, ignoring case and surrounding space; null when it is not one.</summary>
    public static AlertSeverity? ParseSeverity(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "info" => AlertSeverity.Info,
        "warning" => AlertSeverity.Warning,
        "critical" => AlertSeverity.Critical,
        _ => null,
    };

    /// <summary>The facts in order, with repeated keys made unique the way the document writes them.</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> UniqueFacts(IReadOnlyList<KeyValuePair<string, string>> facts)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<KeyValuePair<string, string>>(facts.Count);
        foreach (var (key, value) in facts)
        {
            var unique = key;
            if (seen.TryGetValue(key, out var count))
            {
                do unique = $"{key} ({++count})";
                while (seen.ContainsKey(unique));
                seen[key] = count;
            }

            seen.TryAdd(unique, 1);
            result.Add(new(unique, value ?? ""));
        }

        return result;
    }
}
