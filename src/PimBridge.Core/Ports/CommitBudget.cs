using PimBridge.Core.Domain;
using PimBridge.Core.Engine;

namespace PimBridge.Core.Ports;

/// <summary>
/// How many items one <see cref="StateChange"/> may hold, and what a grant's commit costs, so that configuration
/// validation refuses a mapping whose grant no store could commit instead of the engine failing on it at the first
/// activation.
/// </summary>
/// <remarks>
/// <para>Counted in store items as the DynamoDB store writes them: every grant, ledger entry, intent, fence, alert and
/// audit entry is one item, and a commit with audit entries also rewrites the audit head (one more).</para>
/// <para>A grant of an account-assignment mapping of <c>A</c> accounts starts in one commit
/// (<c>Enforcer.StartGrantAsync</c>): the grant, and per account its ledger entry and (when the entitlement is not
/// already applied) an <see cref="IntentKind.ApplyEntitlement"/> intent; the <c>grant.started</c> audit entry and the
/// audit head; one <see cref="IntentKind.Notify"/> intent (the expires-soon warning) per notification sink that carries
/// expires-soon; and, per open fence of the user on the permission set whose cutoff lies after the grant's start, the
/// fence (its cutoff pulled back, or split into the accounts the grant reaches and the rest) and its <c>fence.cutoff-moved</c> audit entry, plus one
/// <see cref="IntentKind.SyncFences"/> intent. That is
/// <c><see cref="ItemsPerGrant"/> + <see cref="ItemsPerAccount"/>·A + sinks + <see cref="ItemsPerFencePullBack"/>·F + 1</c>.
/// The grant ends in one commit (<c>Enforcer.EndGrantAsync</c>) of the grant, per account its ledger entry and a
/// <see cref="IntentKind.RemoveEntitlement"/> intent, the <c>grant.ended</c> audit entry and the audit head:
/// <c>3 + 2·A</c>, never more than its start. Every other commit the engine makes is per entitlement or per intent,
/// whatever the mapping's size.</para>
/// <para>The fences F a re-grant pulls back are not configuration: they are the user's removals on that permission set
/// confirmed within about <c>Fences.CutoffMargin</c> before the grant (one fence per minute with a removal). Room for
/// <see cref="ReservedFencePullBacks"/> of them is kept in every grant's budget; a user with more (removals in more
/// distinct minutes of the last hour) makes a commit the DynamoDB store refuses with a clear error, before sending it.</para>
/// </remarks>
public static class CommitBudget
{
    /// <summary>The most items one commit may hold: DynamoDB's TransactWriteItems limit, the smallest of the stores (SQLite has none).</summary>
    public const int MaxItems = 100;

    /// <summary>Per account of a mapping: its ledger entry and its apply (at the start) or remove (at the end) intent.</summary>
    public const int ItemsPerAccount = 2;

    /// <summary>Per grant, whatever its size: the grant, its <c>grant.started</c> or <c>grant.ended</c> audit entry, and the audit head.</summary>
    public const int ItemsPerGrant = 3;

    /// <summary>Open fences a grant's start may pull back within its budget (see the remarks).</summary>
    public const int ReservedFencePullBacks = 8;

    /// <summary>
    /// Per fence pulled back: the fence, the piece split off for the accounts the grant reaches (when the fence also
    /// covers others), and its <c>fence.cutoff-moved</c> audit entry.
    /// </summary>
    public const int ItemsPerFencePullBack = 3;

    /// <summary>What the reserved pull-backs cost: the fences, their audit entries, and the one SyncFences intent that writes them.</summary>
    public const int ReservedFenceItems = ReservedFencePullBacks * ItemsPerFencePullBack + 1;

    /// <summary>The items of a grant's start commit (the larger of its two commits).</summary>
    /// <param name="accounts">The entitlements the grant holds: a mapping's accounts (1 for an Identity Center group mapping).</param>
    /// <param name="expiresSoonSinks">The notification sinks that carry expires-soon.</param>
    /// <param name="fencePullBacks">The user's open fences on the permission set that the grant pulls back.</param>
    public static int GrantStartItems(int accounts, int expiresSoonSinks, int fencePullBacks) =>
        ItemsPerGrant + ItemsPerAccount * accounts + expiresSoonSinks
        + (fencePullBacks > 0 ? ItemsPerFencePullBack * fencePullBacks + 1 : 0);

    /// <summary>
    /// The most accounts one mapping may list so that its grant commits within <see cref="MaxItems"/>, with room for
    /// <see cref="ReservedFencePullBacks"/> fence pull-backs: 36 without sinks carrying expires-soon, one fewer per two such sinks.
    /// </summary>
    public static int MaxAccountsPerMapping(int expiresSoonSinks) =>
        Math.Max(0, (MaxItems - ItemsPerGrant - ReservedFenceItems - Math.Max(0, expiresSoonSinks)) / ItemsPerAccount);
}
