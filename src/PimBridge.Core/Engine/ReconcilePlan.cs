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
    /// <summary>Nothing to change. Windows suppressed by a revoke are reported, not changes.</summary>
    public bool IsEmpty => NewGrants.Count + EndChanges.Count + Stops.Count + Unmapped.Count == 0;
}
