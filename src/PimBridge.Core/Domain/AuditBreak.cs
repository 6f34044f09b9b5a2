namespace PimBridge.Core.Domain;

/// <summary>The first entry whose link does not hold, or null when the whole chain verifies.</summary>
public sealed record AuditBreak(long Seq, string Reason);
