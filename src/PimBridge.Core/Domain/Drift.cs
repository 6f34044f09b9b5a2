namespace PimBridge.Core.Domain;

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
