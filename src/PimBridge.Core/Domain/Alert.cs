namespace PimBridge.Core.Domain;

/// <summary>
/// Something a person should know about. <see cref="Id"/> is deterministic for the condition it reports, so raising
/// the same alert twice records it once.
/// </summary>
public sealed record Alert
{
    public required string Id { get; init; }
    public required DateTimeOffset At { get; init; }
    public required AlertSeverity Severity { get; init; }

    /// <summary>A stable machine-readable kind, for example <c>fence-capacity-exhausted</c>.</summary>
    public required string Kind { get; init; }

    public required string Subject { get; init; }
    public required string Message { get; init; }
    public IReadOnlyDictionary<string, string>? Facts { get; init; }
}
