using System.Text.Json;
using PimBridge.Core.Domain;

namespace PimBridge.Core.Ports;

/// <summary>
/// The one JSON form of stored records, shared by every store so a record reads the same wherever it was written.
/// Enums are strings; unknown members are ignored so older readers survive newer records.
/// </summary>
public static class StateJson
{
    public static string Serialize(Grant value) => JsonSerializer.Serialize(value, StateJsonContext.Default.Grant);
    public static string Serialize(LedgerEntry value) => JsonSerializer.Serialize(value, StateJsonContext.Default.LedgerEntry);
    public static string Serialize(Intent value) => JsonSerializer.Serialize(value, StateJsonContext.Default.Intent);
    public static string Serialize(SessionFence value) => JsonSerializer.Serialize(value, StateJsonContext.Default.SessionFence);
    public static string Serialize(Alert value) => JsonSerializer.Serialize(value, StateJsonContext.Default.Alert);

    public static Grant DeserializeGrant(string json) => Read(json, StateJsonContext.Default.Grant);
    public static LedgerEntry DeserializeLedgerEntry(string json) => Read(json, StateJsonContext.Default.LedgerEntry);
    public static Intent DeserializeIntent(string json) => Read(json, StateJsonContext.Default.Intent);
    public static SessionFence DeserializeFence(string json) => Read(json, StateJsonContext.Default.SessionFence);
    public static Alert DeserializeAlert(string json) => Read(json, StateJsonContext.Default.Alert);

    private static T Read<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(json, type) ?? throw new JsonException($"A stored {typeof(T).Name} is JSON null.");
}
