using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;
using static PimBridge.Core.Engine.EngineRecords;

namespace PimBridge.Core.Engine;

/// <summary>
/// Decides which sessions to fence, and with which cutoff, when access ends, when a re-grant comes back, and when
/// access is released that a fence had been cut back for. It only writes into the change it is given.
/// </summary>
internal sealed class FencePlanner(EngineContext engine)
{
    /// <summary>
    /// A re-grant is never blocked: the user's fences on the permission sets it reaches are cut off at the new grant's
    /// start, in the accounts it reaches only. A fence that also covers accounts the new grant does not reach is split,
    /// so sessions there stay blocked from the old cutoff.
    /// </summary>
    public async Task PullBackFencesAsync(StateChange change, Grant grant, ResolvedMapping mapping, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reach = new List<PermissionSetAccount>();
        foreach (var entitlement in mapping.EntitlementsFor(grant.User.UserId))
            reach.AddRange(await engine.ReachAsync(entitlement, cancellationToken).ConfigureAwait(false));
        foreach (var byPermissionSet in reach.GroupBy(r => r.PermissionSetArn, StringComparer.Ordinal))
        {
            var permissionSet = byPermissionSet.Key;
            var reached = byPermissionSet.Select(r => r.AccountId).ToHashSet(StringComparer.Ordinal);
            var open = await engine.Store.GetOpenFencesForPermissionSetAsync(permissionSet, cancellationToken).ConfigureAwait(false);
            var moved = false;
            var cutoff = CutoffAt(grant.Start);
            foreach (var fence in open.Where(f => f.UserId == grant.User.UserId && f.State is FenceState.Pending or FenceState.Active && f.Cutoff > cutoff))
            {
                var covered = fence.Accounts.Where(reached.Contains).ToList();
                if (covered.Count == 0) continue;
                moved = true;
                if (covered.Count == fence.Accounts.Count)
                {
                    change.Fences.Add(fence with { Cutoff = cutoff });
                }
                else
                {
                    change.Fences.Add(fence with { Accounts = fence.Accounts.Except(covered).ToList() });
                    change.Fences.Add(await SplitPieceAsync(change, fence, covered, cutoff, now, cancellationToken).ConfigureAwait(false));
                }

                change.Audit.Add(Audit(now, "fence.cutoff-moved", fence.Id, new JsonObject
                {
                    ["grant"] = grant.Id, ["from"] = Iso(fence.Cutoff), ["to"] = Iso(cutoff), ["reason"] = "re-granted",
                    ["accounts"] = new JsonArray(covered.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
                }));
            }

            if (moved)
                await engine.Intents.EnsureAsync(change, IntentKind.SyncFences, permissionSet, now, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The piece of a fence that a re-grant cuts off earlier: the accounts it reaches, the grant's start as cutoff. Its
    /// id is derived, so concurrent reconciles agree; a piece split off before (the same grant start) takes the accounts.
    /// </summary>
    private async Task<SessionFence> SplitPieceAsync(StateChange change, SessionFence fence, IReadOnlyList<string> accounts, DateTimeOffset cutoff, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = FenceId(fence.UserId, fence.PermissionSetArn, cutoff) + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fence.Id)))[..8];
        var earlier = change.Fences.FirstOrDefault(f => f.Id == id) ?? await engine.Store.GetFenceAsync(id, cancellationToken).ConfigureAwait(false);
        if (earlier is { State: FenceState.Pending or FenceState.Active })
        {
            change.Fences.RemoveAll(f => f.Id == id);
            return earlier with { Accounts = earlier.Accounts.Union(accounts).Order(StringComparer.Ordinal).ToList() };
        }

        return fence with { Id = earlier is null ? id : $"{id}-{now.ToUnixTimeMilliseconds()}", Accounts = accounts, Cutoff = cutoff, Version = 0 };
    }

    /// <summary>
    /// A fence of ended access is cut off at the start of a grant still waiting for its apply, so that grant's sessions
    /// are never blocked (see <see cref="PlanFencesAsync"/>), and a re-grant pulls a cutoff back the same way. When
    /// such a grant's entitlement is released without ever having been applied, no session came from it: the sessions
    /// the ended access issued after that start must be fenced again, with the standard cutoff, in the accounts it
    /// reached where a fence had been cut back (never elsewhere: a fence there would fall on access no one ended).
    /// </summary>
    public async Task RefenceWhatWasCutBackAsync(StateChange change, LedgerEntry released, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reach = (await engine.ReachAsync(released.Entitlement, cancellationToken).ConfigureAwait(false)).ToHashSet();
        var cutBack = new HashSet<PermissionSetAccount>();
        var longest = new Dictionary<string, TimeSpan>(released.SessionDurations ?? new Dictionary<string, TimeSpan>(), StringComparer.Ordinal);
        foreach (var permissionSet in reach.Select(r => r.PermissionSetArn).Distinct(StringComparer.Ordinal))
        {
            var open = await engine.Store.GetOpenFencesForPermissionSetAsync(permissionSet, cancellationToken).ConfigureAwait(false);
            foreach (var fence in open.Where(f => f.UserId == released.Entitlement.UserId && f.State is FenceState.Pending or FenceState.Active
                         && f.Cutoff < CeilingToMinute(f.CreatedAt + engine.Fences.CutoffMargin)))
            {
                var accounts = fence.Accounts.Select(a => new PermissionSetAccount(permissionSet, a)).Where(reach.Contains).ToList();
                if (accounts.Count == 0) continue;
                cutBack.UnionWith(accounts);
                // The sessions to fence are the ended access's: as long-lived as that fence allowed for.
                var lived = fence.Until - fence.Cutoff - engine.Fences.UntilMargin;
                if (!longest.TryGetValue(permissionSet, out var seen) || lived > seen) longest[permissionSet] = lived;
            }
        }

        if (cutBack.Count > 0)
            await PlanFencesAsync(change, released with { SessionDurations = longest }, now, cancellationToken, cutBack).ConfigureAwait(false);
    }

    /// <summary>
    /// Fences the sessions the removed entitlement could have issued: per permission set, the accounts where access
    /// ended (or only those of <paramref name="only"/>), minus those the user still holds through another live entitlement.
    /// </summary>
    public async Task PlanFencesAsync(StateChange change, LedgerEntry removed, DateTimeOffset confirmed, CancellationToken cancellationToken, IReadOnlySet<PermissionSetAccount>? only = null)
    {
        var user = removed.Entitlement.UserId;
        var ended = (await engine.ReachAsync(removed.Entitlement, cancellationToken).ConfigureAwait(false)).Where(r => only is null || only.Contains(r)).ToList();
        var stillHeld = new HashSet<PermissionSetAccount>();
        var pendingSince = new Dictionary<PermissionSetAccount, DateTimeOffset>();
        foreach (var other in await engine.Store.GetLedgerEntriesForUserAsync(user, cancellationToken).ConfigureAwait(false))
        {
            if (other.Key == removed.Key || !(other.IsHeld || other.Standing)) continue;
            var reach = await engine.ReachAsync(other.Entitlement, cancellationToken).ConfigureAwait(false);
            if (other.Standing || other.Status == EntitlementStatus.Applied)
            {
                // Access still in place (another live grant's, or another hand's standing access): never fenced.
                stillHeld.UnionWith(reach);
                continue;
            }

            // Held but not in place yet (its apply has not run, and may never, if that grant ends first): fence, cut off
            // at that grant's start, so the sessions of the ended access stop and the new grant's are never blocked.
            var since = DateTimeOffset.MaxValue;
            foreach (var holder in other.Holders)
            {
                if (await engine.Store.GetGrantAsync(holder, cancellationToken).ConfigureAwait(false) is { } grant && CutoffAt(grant.Start) < since)
                    since = CutoffAt(grant.Start);
            }

            foreach (var r in reach)
                pendingSince[r] = pendingSince.TryGetValue(r, out var earlier) && earlier < since ? earlier : since;
        }

        var standardCutoff = CeilingToMinute(confirmed + engine.Fences.CutoffMargin);
        DateTimeOffset CutoffOf(PermissionSetAccount r) =>
            pendingSince.TryGetValue(r, out var since) && since < standardCutoff ? since : standardCutoff;
        foreach (var byPermissionSet in ended.Where(r => !stillHeld.Contains(r)).GroupBy(r => (r.PermissionSetArn, Cutoff: CutoffOf(r))))
        {
            var (permissionSet, cutoff) = byPermissionSet.Key;
            var accounts = byPermissionSet.Select(r => r.AccountId).Distinct().Order(StringComparer.Ordinal).ToList();
            // Sessions minted before an administrator lowered the duration live as long as they were issued for.
            TimeSpan duration;
            try
            {
                duration = await engine.Aws.Directory.GetSessionDurationAsync(permissionSet, cancellationToken).ConfigureAwait(false);
            }
            catch (PermissionSetDeletedException gone)
            {
                // Its roles went with it, and every session they issued: nothing is left to fence.
                change.Audit.Add(Audit(confirmed, "fence.not-needed", permissionSet, new JsonObject
                {
                    ["user"] = user, ["accounts"] = new JsonArray(accounts.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
                    ["entitlement"] = removed.Key, ["reason"] = gone.Message,
                }));
                continue;
            }

            if (removed.SessionDurations?.GetValueOrDefault(permissionSet) is { } longest && longest > duration) duration = longest;
            var watch = SessionDurationWatch.Parse((await engine.Store.GetCheckpointAsync(SessionDurationWatch.CheckpointName(permissionSet), cancellationToken).ConfigureAwait(false))?.Value);
            if (watch?.InForce(confirmed, engine.Fences.UntilMargin) is { } watched && watched > duration) duration = watched;
            var until = cutoff + duration + engine.Fences.UntilMargin;
            var id = FenceId(user, permissionSet, cutoff);
            var existing = change.Fences.FirstOrDefault(f => f.Id == id) ?? await engine.Store.GetFenceAsync(id, cancellationToken).ConfigureAwait(false);
            SessionFence fence;
            var isNew = false;
            // Merge only into a fence with this very cutoff: one a re-grant pulled back (it keeps its id) would cut this
            // removal's sessions off too early.
            if (existing is { State: FenceState.Pending or FenceState.Active } && existing.Cutoff == cutoff)
            {
                var merged = existing.Accounts.Union(accounts).Order(StringComparer.Ordinal).ToList();
                fence = existing with
                {
                    Accounts = merged,
                    Until = existing.Until > until ? existing.Until : until,
                    // New accounts are not in the policy yet: the fence is Active again only once they are.
                    State = merged.Count > existing.Accounts.Count ? FenceState.Pending : existing.State,
                };
                change.Fences.RemoveAll(f => f.Id == id);
            }
            else
            {
                isNew = true;
                fence = new SessionFence
                {
                    // A lifted or pulled-back fence with this id is another fence: this one gets its own.
                    Id = existing is null ? id : $"{id}-{confirmed.ToUnixTimeMilliseconds()}",
                    UserId = user, UserName = removed.UserName ?? user, PermissionSetArn = permissionSet, Accounts = accounts,
                    PermissionSetName = await PermissionSetNameAsync(permissionSet, cancellationToken).ConfigureAwait(false),
                    Cutoff = cutoff, Until = until, CreatedAt = confirmed,
                };
            }

            change.Fences.Add(fence);
            change.Audit.Add(Audit(confirmed, "fence.planned", fence.Id, new JsonObject
            {
                ["user"] = user, ["permissionSet"] = permissionSet, ["accounts"] = new JsonArray(fence.Accounts.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
                ["cutoff"] = Iso(fence.Cutoff), ["until"] = Iso(fence.Until), ["entitlement"] = removed.Key,
            }));
            if (isNew && await FullForAsync(change, fence, cancellationToken).ConfigureAwait(false) is { } full)
            {
                if (change.Unchanged.All(c => c.Name != full.Name))
                    change.Unchanged.Add(full); // a sync that records other room before this commits makes it decide again
                change.Alerts.Add(FenceCapacityAlert.For(fence, confirmed));
            }
            else
            {
                await engine.Intents.EnsureAsync(change, IntentKind.SyncFences, permissionSet, confirmed, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The permission set's room record when its last sync found the policy too full for this new fence and left a sync
    /// waiting, which takes it along (see <see cref="PolicyRoom"/>): a sync of its own would read the policy only to find
    /// it full, and in a mass expiry that was a tenth of the request budget the removals needed. Null when the fence might
    /// fit, when no sync waits, or when its user has another open fence there (its id may be in a statement already, so
    /// the fence may cost nothing).
    /// </summary>
    private async Task<Checkpoint?> FullForAsync(StateChange change, SessionFence fence, CancellationToken cancellationToken)
    {
        var name = PolicyRoom.CheckpointName(fence.PermissionSetArn);
        var room = change.Unchanged.FirstOrDefault(c => c.Name == name) ?? await engine.Store.GetCheckpointAsync(name, cancellationToken).ConfigureAwait(false);
        if (PolicyRoom.Left(room) is not { } left || FencePolicy.MightFit(fence, left))
            return null;
        if ((await engine.Store.GetPendingIntentsAsync(IntentKind.SyncFences, fence.PermissionSetArn, cancellationToken).ConfigureAwait(false)).Count == 0)
            return null;
        var open = await engine.Store.GetOpenFencesForPermissionSetAsync(fence.PermissionSetArn, cancellationToken).ConfigureAwait(false);
        return open.Concat(change.Fences).Any(f => f.UserId == fence.UserId && f.Id != fence.Id && f.PermissionSetArn == fence.PermissionSetArn && f.State is FenceState.Pending or FenceState.Active)
            ? null
            : room;
    }

    /// <summary>
    /// The name for the fence record, or null when the lookup fails: the fence matters more than its name, and the gap
    /// detector looks the name up again when it needs it.
    /// </summary>
    private async Task<string?> PermissionSetNameAsync(string permissionSetArn, CancellationToken cancellationToken)
    {
        try
        {
            return await engine.Aws.Directory.GetPermissionSetNameAsync(permissionSetArn, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }
}
