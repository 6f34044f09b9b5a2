namespace PimBridge.Core.Domain;

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

    /// <summary>
    /// Access another hand made (a person, Terraform, SCIM): PimBridge found it already there before it had ever tried
    /// to create it, so it never revokes or fences it; it only records and reports it.
    /// </summary>
    public bool Standing { get; init; }

    /// <summary>
    /// Written before PimBridge first tries to create the access since it was last confirmed absent. From then on,
    /// access found already there may be PimBridge's own earlier try (a lost response, a crash, a client timeout).
    /// </summary>
    public DateTimeOffset? CreateAttemptedAt { get; init; }

    /// <summary>
    /// Written before PimBridge first tries to delete the access, cleared when an outcome is confirmed: access found
    /// while a deletion of it may still be running is not trusted until that operation must have settled.
    /// </summary>
    public DateTimeOffset? DeleteAttemptedAt { get; init; }

    /// <summary>
    /// Per permission set it reaches, the longest session duration seen while it was applied, so a fence outlives
    /// sessions minted before an administrator lowered the duration.
    /// </summary>
    public IReadOnlyDictionary<string, TimeSpan>? SessionDurations { get; init; }

    public DateTimeOffset? AppliedAt { get; init; }
    public DateTimeOffset? RemovedAt { get; init; }
    public long Version { get; init; }

    public string Key => Entitlement.Key;

    public bool IsHeld => Holders.Count > 0;
}
