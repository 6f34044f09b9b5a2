using System.Text.Json.Serialization;

namespace PimBridge.Cli.Commands;

/// <summary>The <c>audit verify --json</c> document (field names documented in docs/cli.md).</summary>
internal sealed record AuditVerifyDocument(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("entries")] long Entries,
    [property: JsonPropertyName("lastSeq")] long? LastSeq,
    [property: JsonPropertyName("headHash")] string? HeadHash,
    [property: JsonPropertyName("break")] AuditBreakDocument? Break);

internal sealed record AuditBreakDocument(
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("reason")] string Reason);
