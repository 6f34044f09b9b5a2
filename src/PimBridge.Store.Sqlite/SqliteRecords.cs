using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Store.Sqlite;

/// <summary>Records read back from rows, and the column values they are stored as.</summary>
internal static class SqliteRecords
{
    // Every query of a JSON record selects `json, version` first.
    internal static ActiveGrant ReadActiveGrant(SqliteDataReader r) => new(
        r.GetString(0),
        new GrantSlot(r.GetString(1), r.GetString(2), r.GetString(3), Enum.Parse<PimAccess>(r.GetString(4))),
        FromTicks(r.GetInt64(5)),
        r.IsDBNull(6) ? null : FromTicks(r.GetInt64(6)));

    internal static Grant ReadGrant(SqliteDataReader r) => StateJson.DeserializeGrant(r.GetString(0)) with { Version = r.GetInt64(1) };
    internal static LedgerEntry ReadLedgerEntry(SqliteDataReader r) => StateJson.DeserializeLedgerEntry(r.GetString(0)) with { Version = r.GetInt64(1) };
    internal static Intent ReadIntent(SqliteDataReader r) => StateJson.DeserializeIntent(r.GetString(0)) with { Version = r.GetInt64(1) };
    internal static SessionFence ReadFence(SqliteDataReader r) => StateJson.DeserializeFence(r.GetString(0)) with { Version = r.GetInt64(1) };
    internal static Alert ReadAlert(SqliteDataReader r) => StateJson.DeserializeAlert(r.GetString(0));

    internal static Checkpoint ReadCheckpoint(SqliteDataReader r) => new()
    {
        Name = r.GetString(0),
        Value = r.GetString(1),
        UpdatedAt = ParseRoundTrip(r.GetString(2)),
        Version = r.GetInt64(3),
    };

    internal static AuditEntry ReadAuditEntry(SqliteDataReader r) => new(
        r.GetInt64(0),
        new DateTimeOffset(r.GetInt64(1), TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(r.GetInt32(2))),
        r.GetString(3),
        r.GetString(4),
        r.GetString(5),
        r.GetString(6),
        r.GetString(7));

    internal static long Ticks(DateTimeOffset value) => value.UtcTicks;

    internal static DateTimeOffset FromTicks(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    internal static string RoundTrip(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseRoundTrip(string text) => DateTimeOffset.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None);

    // due_at and is_open hold the records' Core rules (Grant/Intent/SessionFence.DueAt, SessionFence.IsOpen) as of the
    // write, so `due_at <= @now` and `is_open = 1` select exactly what IsDueAt(now) and IsOpen accept.
    internal static long? DueAt(DateTimeOffset? dueAt) => dueAt?.UtcTicks;

    internal static string Fold(string value) => value.ToLowerInvariant();

    internal static string JsonArray(IEnumerable<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values) writer.WriteStringValue(value);
            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
