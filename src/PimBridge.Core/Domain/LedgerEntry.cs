namespace PimBridge.Core;

/// <summary>Where an entitlement stands in AWS, as far as PimBridge has confirmed.</summary>
public enum EntitlementStatus
{
    Applying,
    Applied,
    Removing,
    Removed,
}

/// <summary>
/// The reference count of one entitlement: the grants holding it. It is applied when the first holder arrives and
/// removed when the last one leaves, so overlapping grants never cut each other's access short.
/// </summary>
public sealed record LedgerEntry
{
    public required Entitlement Entitlement { get; init; }
    public required IReadOnlyList<string> Holders { get; init; }
    public required EntitlementStatus Status { get; init; }

    /// <summary>The Identity Center user name of <see cref="Entitlement.UserId"/>, for fences and alerts.</summary>
    public string? UserName { get; init; }

    /// <summary>Whether live sessions are fenced when it is removed (any holder's mapping asked for it).</summary>
    public bool FenceOnRemoval { get; init; }

    public DateTimeOffset? AppliedAt { get; init; }
    public DateTimeOffset? RemovedAt { get; init; }
    public long Version { get; init; }

    public string Key => Entitlement.Key;

    public bool IsHeld => Holders.Count > 0;
}
