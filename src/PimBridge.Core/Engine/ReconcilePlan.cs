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

/// <summary>An active grant whose end moves: PIM extended or shortened the activation.</summary>
public sealed record GrantEndChange(ActiveGrant Grant, DateTimeOffset? NewEnd, string NewActivationId)
{
    public bool IsExtension => NewEnd is null || (Grant.End is { } old && NewEnd > old);
}

/// <summary>An active grant PIM no longer justifies: it ends now.</summary>
public sealed record GrantStop(ActiveGrant Grant, string Reason);

/// <summary>A principal with a mapped activation but no Identity Center user.</summary>
public sealed record UnmappedPrincipal(EntraPrincipal Principal, string Mapping, string GroupId);
