namespace PimBridge.Core.Domain;

/// <summary>
/// One entry of the append-only audit log. Each entry carries the hash of the one before it, so removing, reordering
/// or editing any entry breaks the chain from that point on.
/// </summary>
public sealed record AuditEntry(long Seq, DateTimeOffset At, string Kind, string Subject, string Data, string PrevHash, string Hash);
