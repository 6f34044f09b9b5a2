namespace PimBridge.Core.Domain;

/// <summary>An audit event before it is chained: what happened, to what, with which details (JSON).</summary>
public sealed record AuditRecord(DateTimeOffset At, string Kind, string Subject, string Data);
