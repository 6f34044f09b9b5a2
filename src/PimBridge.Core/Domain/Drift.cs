namespace PimBridge.Core.Domain;

public enum DriftKind
{
    /// <summary>Access PimBridge created that no live grant needs: removed, its sessions fenced.</summary>
    Orphan,

    /// <summary>A live grant's access that is gone from Identity Center: restored.</summary>
    MissingAccess,

    /// <summary>An active fence the roles do not carry (its statement is gone or changed, or not provisioned everywhere): written again.</summary>
    MissingFence,

    /// <summary>Access to a mapped target that PimBridge did not create: recorded and reported, never touched.</summary>
    StandingAccess,
}

/// <summary>
/// One difference between Identity Center and what PimBridge has confirmed, with the record it was judged against
/// (a repair is written only if that record has not changed since).
/// </summary>
public sealed record Drift
{
    public required DriftKind Kind { get; init; }

    /// <summary>The entitlement key, or the fence id.</summary>
    public required string Subject { get; init; }

    /// <summary>What was found, in words.</summary>
    public required string Finding { get; init; }

    public Entitlement? Entitlement { get; init; }
    public LedgerEntry? Entry { get; init; }
    public SessionFence? Fence { get; init; }

    /// <summary>Whether a repair was recorded in this sweep (the tick carries it out); null when only reported.</summary>
    public bool? Repaired { get; init; }

    /// <summary>Whether it is the first time this drift is reported (standing access is reported once).</summary>
    public bool New { get; init; } = true;
}

/// <summary>What one sweep compared and found.</summary>
/// <param name="Unchecked">Targets or permission sets this sweep could not read, with why: not judged, looked at again next time.</param>
/// <param name="Limits">What was checked only in part, with why (for example provisioning state a service would not filter).</param>
/// <param name="Complete">Whether every target was looked at (false when the call budget ended the sweep; the next one goes on from there).</param>
public sealed record DriftReport(
    DateTimeOffset At,
    IReadOnlyList<Drift> Drifts,
    int Calls,
    int TargetsChecked,
    int Targets,
    int PermissionSetsChecked,
    IReadOnlyList<string> Unchecked,
    IReadOnlyList<string> Limits,
    bool Complete)
{
    /// <summary>Drifts that need repair (standing access is reported, never repaired).</summary>
    public IEnumerable<Drift> Repairable => Drifts.Where(d => d.Kind != DriftKind.StandingAccess);
}
