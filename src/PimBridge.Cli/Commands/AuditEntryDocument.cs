using System.Globalization;
using System.Text.Json.Serialization;
using PimBridge.Core.Domain;

namespace PimBridge.Cli.Commands;

/// <summary>
/// One audit entry as <c>audit export</c> writes it. <c>at</c> is the exact UTC time that was hashed (round-trip form,
/// <c>2026-11-21T20:00:05.0000000Z</c>) and <c>data</c> the exact JSON text that was hashed, as a string.
/// </summary>
internal sealed record AuditEntryDocument(
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("at")] string At,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("data")] string Data,
    [property: JsonPropertyName("prevHash")] string PrevHash,
    [property: JsonPropertyName("hash")] string Hash)
{
    public static AuditEntryDocument From(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new AuditEntryDocument(entry.Seq, TimeOf(entry), entry.Kind, entry.Subject, entry.Data, entry.PrevHash, entry.Hash);
    }

    /// <summary>The time as <see cref="AuditChain.Hash"/> reads it.</summary>
    public static string TimeOf(AuditEntry entry) => entry.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
