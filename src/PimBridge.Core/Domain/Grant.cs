using System.Text.Json.Serialization;

namespace PimBridge.Core.Domain;

/// <summary>
/// A PIM activation of one principal in one group, mapped through one mapping: the justification for the
/// entitlements it holds. Overlapping or extended activations of the same principal, group and access under one
/// mapping are one grant whose window covers them all.
/// </summary>
public sealed record Grant
{
    public required string Id { get; init; }
    public required string Mapping { get; init; }
    public required EntraPrincipal Principal { get; init; }
    public required string GroupId { get; init; }
    public required PimAccess Access { get; init; }
    public required IdentityCenterUser User { get; init; }

    /// <summary>The PIM schedule instance that last shaped this grant, for the audit trail.</summary>
    public required string ActivationId { get; init; }

    /// <summary>PIM's assignmentScheduleId of that instance, when known: it finds the request behind it.</summary>
    public string? ActivationScheduleId { get; init; }

    /// <summary>When that instance started (the grant's <see cref="Start"/> is the earliest of the instances it spans).</summary>
    public DateTimeOffset? ActivationStart { get; init; }

    public required DateTimeOffset Start { get; init; }

    /// <summary>Effective end: the activation end capped by the mapping's maxDuration; null for a standing assignment without a cap.</summary>
    public DateTimeOffset? End { get; init; }

    public required IReadOnlyList<string> EntitlementKeys { get; init; }

    /// <summary>When PimBridge first learned of the activation (the notification's arrival, or the poll that found it).</summary>
    public DateTimeOffset? FirstSeenAt { get; init; }

    /// <summary>When AWS confirmed the last of the grant's entitlements: access is live from here.</summary>
    public DateTimeOffset? AccessConfirmedAt { get; init; }

    /// <summary>
    /// Whether a permanent PIM assignment (not an activation) is behind the grant. Its start is when it was assigned,
    /// years ago or 1970-01-01, so it has no activation latency to measure.
    /// </summary>
    public bool Permanent { get; init; }

    /// <summary>How long PIM's news took to reach PimBridge (activation start to first seen); activations only.</summary>
    public TimeSpan? NotificationDelay => Permanent ? null : FirstSeenAt - Start;

    /// <summary>How long PimBridge took from first seeing the activation to confirmed AWS access; activations only.</summary>
    public TimeSpan? ProcessingTime => Permanent ? null : AccessConfirmedAt - FirstSeenAt;
    public GrantState State { get; init; } = GrantState.Active;
    public DateTimeOffset? EndedAt { get; init; }
    public string? EndReason { get; init; }
    public long Version { get; init; }

    /// <summary>Which (mapping, principal, group, access) the grant occupies; at most one active grant per slot.</summary>
    public GrantSlot Slot => new(Mapping, Principal.Id, GroupId, Access);

    /// <summary>Whether the grant still justifies its entitlements (not yet ended).</summary>
    [JsonIgnore]
    public bool IsActive => State == GrantState.Active;

    /// <summary>
    /// When the grant falls due to end: its <see cref="End"/> while <see cref="IsActive"/>; null once ended, and for a
    /// standing assignment without an end. Stores index this value, so what counts as due is decided here once.
    /// </summary>
    [JsonIgnore]
    public DateTimeOffset? DueAt => IsActive ? End : null;

    /// <summary>Whether the grant is due to end at <paramref name="now"/> (active, with an end at or before now).</summary>
    public bool IsDueAt(DateTimeOffset now) => DueAt <= now;
}
