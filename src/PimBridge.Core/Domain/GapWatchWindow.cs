namespace PimBridge.Core.Domain;

/// <summary>
/// When to watch CloudTrail for one ended grant on one permission set: from the grant's end until its fence can no
/// longer matter (<see cref="SessionFence.Until"/>) plus CloudTrail's delivery lag. Activity in the window is a gap.
/// <see cref="FencedSince"/> is when the fence was confirmed in place; <see cref="RemovedAt"/> when the access removal
/// was confirmed (a fence is planned at that moment), so credentials minted after it mean the removal did not hold.
/// </summary>
public sealed record GapWatchWindow(
    string GrantId,
    string UserId,
    string UserName,
    string PermissionSetArn,
    string PermissionSetName,
    IReadOnlyList<string> Accounts,
    DateTimeOffset From,
    DateTimeOffset Until,
    string? FenceId,
    DateTimeOffset? FencedSince,
    DateTimeOffset? RemovedAt)
{
    /// <summary>CloudTrail delivers most events within about 5 minutes but promises nothing; 15 minutes is the default slack.</summary>
    public static readonly TimeSpan DefaultDeliveryLag = TimeSpan.FromMinutes(15);

    /// <summary>When the ended grant started (its activation), for timelines; null when not known.</summary>
    public DateTimeOffset? ActivatedAt { get; init; }

    /// <summary>
    /// When a later grant of the user gave this permission set in these accounts again (its start), if one did: sessions
    /// minted from then on are that grant's, not a gap.
    /// </summary>
    public DateTimeOffset? RegrantedAt { get; init; }

    /// <summary>
    /// The windows of an ended grant, one per fence planned for its user after it ended (the fences say which permission
    /// sets and accounts its removal ended access to).
    /// </summary>
    public static IReadOnlyList<GapWatchWindow> For(Grant grant, IEnumerable<SessionFence> fences, TimeSpan deliveryLag, Func<string, string> permissionSetName)
    {
        if (grant.State != GrantState.Ended || grant.EndedAt is not { } ended)
            return [];
        return fences
            .Where(f => f.UserId == grant.User.UserId && f.CreatedAt >= ended)
            .Select(f => new GapWatchWindow(grant.Id, grant.User.UserId, grant.User.UserName, f.PermissionSetArn, permissionSetName(f.PermissionSetArn), f.Accounts, ended, f.Until + deliveryLag, f.Id, f.ActiveSince, f.CreatedAt) { ActivatedAt = grant.Start })
            .ToList();
    }

    public bool Covers(string account, DateTimeOffset eventTime) => eventTime > From && eventTime <= Until && Accounts.Contains(account);
}
