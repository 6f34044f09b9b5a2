using System.Text.Json.Serialization;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;

namespace PimBridge.Cli.Commands;

/// <summary>One alert of <c>alerts --json</c> (field names documented in docs/cli.md; every field always present).</summary>
internal sealed record StoredAlertDocument(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("at")] string At,
    [property: JsonPropertyName("severity")] string Severity,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("facts")] IReadOnlyDictionary<string, string> Facts)
{
    public static StoredAlertDocument From(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return new StoredAlertDocument(
            alert.Id, Formats.Time(alert.At), Formats.Severity(alert.Severity), alert.Kind, alert.Subject, alert.Message,
            alert.Facts ?? new Dictionary<string, string>());
    }
}
