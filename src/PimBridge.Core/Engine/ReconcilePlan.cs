using PimBridge.Core.Domain;

namespace PimBridge.Core.Engine;

/// <summary>What one reconcile decides. Empty when AWS-side state already matches PIM.</summary>
public sealed record ReconcilePlan(
    IReadOnlyList<Grant> NewGrants,
    IReadOnlyList<GrantEndChange> EndChanges,
    IReadOnlyList<GrantStop> Stops,
    IReadOnlyList<UnmappedPrincipal> Unmapped,
    IReadOnlyList<GrantWindow> Suppressed)
{
    /// <summary>Standing assignments the mappings of these groups do not count (IncludePermanent off): no access, and no change.</summary>
    public IReadOnlyList<IgnoredPermanentAssignment> IgnoredPermanent { get; init; } = [];

    /// <summary>Nothing to change. Windows suppressed by a revoke are reported, not changes.</summary>
    public bool IsEmpty => NewGrants.Count + EndChanges.Count + Stops.Count + Unmapped.Count == 0;
}
