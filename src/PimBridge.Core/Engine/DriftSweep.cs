using System.Globalization;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Engine;

/// <summary>
/// Compares IAM Identity Center with what PimBridge has confirmed, for every mapped target and every active fence, and
/// (with repair) records the repair of each drift through <see cref="Enforcer.RepairAsync"/>, so the tick carries it
/// out as any other work. It never acts on what it cannot read: a target whose listing fails is reported unchecked and
/// judged next time, and anything PimBridge is still working on (a pending intent) is left to that work.
/// </summary>
/// <remarks>
/// Cost: one call per active fenced permission set for its policy, one or two for its provisioning state, and one per
/// page of each mapped target's listing, paced at <see cref="VerifierSettings.RequestsPerSecond"/>. A sweep stops at
/// <see cref="VerifierSettings.CallBudget"/> calls and the next one goes on from there (fences are looked at in every
/// sweep: a missing fence lets sessions act).
/// </remarks>
public sealed class DriftSweep(IStateStore store, IdentityCenterPorts aws, Enforcer enforcer, VerifierSettings settings, TimeProvider time)
{
    /// <summary>Where the next sweep starts in the list of targets.</summary>
    public const string CursorCheckpoint = "verifier.cursor";

    /// <summary>
    /// How long after PimBridge confirmed access a listing may still not show it (Identity Store lists a new membership
    /// late): access confirmed more recently is not judged missing.
    /// </summary>
    public static readonly TimeSpan ListingLag = TimeSpan.FromMinutes(2);

    /// <summary>Every target the mappings give access to, in a stable order.</summary>
    public static IReadOnlyList<AccessTarget> Targets(IEnumerable<ResolvedMapping> mappings) => mappings
        .SelectMany(m => m.IdentityCenterGroupId is { } group
            ? [AccessTarget.Group(group)]
            : m.Rule.Accounts.Select(account => AccessTarget.Assignment(m.PermissionSetArn!, account)))
        .Distinct()
        .OrderBy(t => t.ToString(), StringComparer.Ordinal)
        .ToList();

    /// <summary>
    /// The periodic sweep, repairing: runs when the last sweep by any instance started at least one interval ago, and
    /// claims that turn first (a version-checked write of the cursor), so instances sharing a store sweep once per
    /// interval between them. Null when it is not this instance's turn.
    /// </summary>
    public async Task<DriftReport?> RunIfDueAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var cursor = await store.GetCheckpointAsync(CursorCheckpoint, cancellationToken).ConfigureAwait(false);
        if (cursor is not null && now - cursor.UpdatedAt < settings.Interval) return null;
        var claim = new StateChange();
        claim.Checkpoints.Add(new Checkpoint { Name = CursorCheckpoint, Value = cursor?.Value ?? "0", UpdatedAt = now, Version = cursor?.Version ?? 0 });
        try
        {
            await store.CommitAsync(claim, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            return null; // another instance took this turn
        }

        var claimed = claim.Checkpoints[0] with { Version = claim.Checkpoints[0].Version + 1 };
        return await SweepAsync(repair: true, claimed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One whole sweep now, every target (<c>pimbridge verify</c>): with <paramref name="repair"/>, records the repairs;
    /// without, only reports and writes nothing. It leaves the periodic sweep's cursor alone.
    /// </summary>
    public Task<DriftReport> RunAsync(bool repair, CancellationToken cancellationToken = default) => SweepAsync(repair, cursor: null, cancellationToken);

    /// <param name="cursor">The periodic sweep's claimed turn: where to start, and a budget; null for a whole sweep.</param>
    private async Task<DriftReport> SweepAsync(bool repair, Checkpoint? cursor, CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow();
        var pace = new RequestPace(settings.RequestsPerSecond, time);
        var drifts = new List<Drift>();
        var unreadable = new List<string>();
        var limits = new List<string>();

        var fencedSets = await CheckFencesAsync(pace, at, drifts, unreadable, limits, cancellationToken).ConfigureAwait(false);
        if (repair)
            await ResumeWaitingFencesAsync(at, cancellationToken).ConfigureAwait(false);

        var targets = Targets(enforcer.Mappings);
        var start = targets.Count == 0 ? 0 : (int.TryParse(cursor?.Value, CultureInfo.InvariantCulture, out var c) ? c : 0) % targets.Count;
        var budget = cursor is null ? int.MaxValue : settings.CallBudget;
        var held = await HeldEntriesAsync(cancellationToken).ConfigureAwait(false);
        var looked = 0;
        while (looked < targets.Count && pace.Calls < budget)
        {
            var target = targets[(start + looked) % targets.Count];
            looked++;
            IReadOnlyList<string> users;
            try
            {
                await pace.NextAsync(cancellationToken).ConfigureAwait(false);
                users = await aws.Entitlements.ListUsersAsync(target, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                unreadable.Add($"{target}: {e.Message}");
                continue;
            }

            await CompareAsync(target, users, held.GetValueOrDefault(target) ?? [], at, drifts, cancellationToken).ConfigureAwait(false);
        }

        if (cursor is not null && targets.Count > 0)
        {
            var change = new StateChange();
            // UpdatedAt keeps when the turn was claimed: the next sweep is due one interval after this one started.
            change.Checkpoints.Add(new Checkpoint
            {
                Name = CursorCheckpoint, Value = ((start + looked) % targets.Count).ToString(CultureInfo.InvariantCulture), UpdatedAt = cursor.UpdatedAt, Version = cursor.Version,
            });
            try
            {
                await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException)
            {
                // Another instance swept at the same time and moved the cursor: its sweep covers the same ground.
            }
        }

        if (repair)
        {
            for (var i = 0; i < drifts.Count; i++)
                drifts[i] = drifts[i] with { Repaired = (drifts[i].Kind != DriftKind.StandingAccess || drifts[i].New) && await enforcer.RepairAsync(drifts[i], cancellationToken).ConfigureAwait(false) };
        }

        return new DriftReport(at, drifts, pace.Calls, looked, targets.Count, fencedSets, unreadable, limits, looked == targets.Count);
    }

    /// <summary>
    /// A fence waiting for room in a full policy relies on a sync to write it once there is room (<see cref="PolicyRoom"/>):
    /// the sync that makes room looks for fences left waiting against the room it replaced, after its commit. A process
    /// that died in between leaves them with none; this queues one. Not within <see cref="ListingLag"/> of the
    /// permission set's last sync, which may still be looking. Store reads only, no AWS call.
    /// </summary>
    private async Task ResumeWaitingFencesAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var waiting = (await store.ListFencesAsync(openOnly: true, cancellationToken).ConfigureAwait(false))
            .Where(f => f.State == FenceState.Pending).Select(f => f.PermissionSetArn).Distinct(StringComparer.Ordinal).ToList();
        foreach (var permissionSet in waiting)
        {
            if ((await store.GetPendingIntentsAsync(IntentKind.SyncFences, permissionSet, cancellationToken).ConfigureAwait(false)).Count > 0)
                continue;
            if (await store.GetCheckpointAsync(PolicyRoom.CheckpointName(permissionSet), cancellationToken).ConfigureAwait(false) is { } room && at - room.UpdatedAt < ListingLag)
                continue;
            await enforcer.ResumeFenceSyncAsync(permissionSet, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Each active fence must be in its permission set's policy as PimBridge writes it, and that policy provisioned to
    /// every account it names. Permission sets PimBridge is writing (a pending sync) are left to that sync.
    /// </summary>
    private async Task<int> CheckFencesAsync(RequestPace pace, DateTimeOffset at, List<Drift> drifts, List<string> unreadable, List<string> limits, CancellationToken cancellationToken)
    {
        var checkedSets = 0;
        var active = (await store.ListFencesAsync(openOnly: true, cancellationToken).ConfigureAwait(false))
            .Where(f => f.State == FenceState.Active && f.Until > at)
            .GroupBy(f => f.PermissionSetArn, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var fences in active)
        {
            if ((await store.GetPendingIntentsAsync(IntentKind.SyncFences, fences.Key, cancellationToken).ConfigureAwait(false)).Count > 0)
                continue;
            string? policy;
            IReadOnlyList<string>? stale;
            try
            {
                await pace.NextAsync(cancellationToken).ConfigureAwait(false);
                policy = await aws.Policies.GetInlinePolicyAsync(fences.Key, cancellationToken).ConfigureAwait(false);
                await pace.NextAsync(cancellationToken).ConfigureAwait(false);
                stale = await aws.Policies.ListStaleAccountsAsync(fences.Key, cancellationToken).ConfigureAwait(false);
            }
            catch (PermissionSetDeletedException)
            {
                continue; // its roles and their sessions went with it; the sync drops its fences
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                unreadable.Add($"{fences.Key}: {e.Message}");
                continue;
            }

            checkedSets++;
            if (stale is null)
                limits.Add($"{fences.Key}: which accounts carry the latest policy is unknown (the service did not apply the provisioning-status filter); only the policy itself was compared");
            foreach (var fence in fences)
            {
                var notProvisioned = stale?.Intersect(fence.Accounts, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList() ?? [];
                var finding = !FencePolicy.Carries(policy, fence) ? "its statement is missing from the permission set's inline policy, or was changed"
                    : notProvisioned.Count > 0 ? $"the permission set's latest policy is not provisioned in {string.Join(", ", notProvisioned)}"
                    : null;
                if (finding is not null)
                    drifts.Add(new Drift { Kind = DriftKind.MissingFence, Subject = fence.Id, Finding = finding, Fence = fence });
            }
        }

        return checkedSets;
    }

    /// <summary>The ledger entries live grants hold, by target.</summary>
    private async Task<Dictionary<AccessTarget, List<LedgerEntry>>> HeldEntriesAsync(CancellationToken cancellationToken)
    {
        var keys = (await store.ListGrantsAsync(activeOnly: true, user: null, cancellationToken).ConfigureAwait(false))
            .SelectMany(g => g.EntitlementKeys).ToHashSet(StringComparer.Ordinal);
        var held = new Dictionary<AccessTarget, List<LedgerEntry>>();
        foreach (var key in keys.Order(StringComparer.Ordinal))
        {
            if (await store.GetLedgerEntryAsync(key, cancellationToken).ConfigureAwait(false) is not { IsHeld: true } entry) continue;
            if (!held.TryGetValue(entry.Entitlement.Target, out var list)) held[entry.Entitlement.Target] = list = [];
            list.Add(entry);
        }

        return held;
    }

    private async Task CompareAsync(AccessTarget target, IReadOnlyList<string> users, List<LedgerEntry> held, DateTimeOffset at, List<Drift> drifts, CancellationToken cancellationToken)
    {
        var listed = users.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var user in listed.Order(StringComparer.Ordinal))
        {
            var entitlement = target.For(user);
            var entry = await store.GetLedgerEntryAsync(entitlement.Key, cancellationToken).ConfigureAwait(false);
            if (entry is { IsHeld: true } || (entry is not null && await InFlightAsync(entry.Key, cancellationToken).ConfigureAwait(false)))
                continue;
            if (entry is null || entry.Standing || !IsOurs(entry))
            {
                var known = await store.GetAlertAsync(EngineRecords.StandingAccessAlertId(entitlement.Key), cancellationToken).ConfigureAwait(false) is not null;
                drifts.Add(new Drift
                {
                    Kind = DriftKind.StandingAccess, Subject = entitlement.Key, Entitlement = entitlement, Entry = entry, New = !known,
                    Finding = entry is null ? "PimBridge never granted it" : "another hand made it after PimBridge last confirmed it absent",
                });
                continue;
            }

            drifts.Add(new Drift
            {
                Kind = DriftKind.Orphan, Subject = entry.Key, Entitlement = entitlement, Entry = entry,
                Finding = entry.Status == EntitlementStatus.Removed ? "a creation PimBridge sent and never saw finish completed after the access was removed" : "no live grant holds it and no removal is pending",
            });
        }

        foreach (var entry in held)
        {
            if (entry.Status != EntitlementStatus.Applied || listed.Contains(entry.Entitlement.UserId) || entry.AppliedAt > at - ListingLag
                || await InFlightAsync(entry.Key, cancellationToken).ConfigureAwait(false))
                continue;
            drifts.Add(new Drift
            {
                Kind = DriftKind.MissingAccess, Subject = entry.Key, Entitlement = entry.Entitlement, Entry = entry,
                Finding = $"PimBridge confirmed it at {FencePolicy.Iso(entry.AppliedAt ?? at)} and it is no longer listed",
            });
        }
    }

    /// <summary>
    /// Whether access found with no live grant is PimBridge's: confirmed as its own and never confirmed removed, or
    /// created by a creation PimBridge sent and never saw finish (an apply that never confirmed, or an operation it gave
    /// up on that AWS completed after the removal). Access PimBridge confirmed absent after its own confirmed creation is
    /// another hand's, and so is access an apply found without having sent anything.
    /// </summary>
    private static bool IsOurs(LedgerEntry entry) => entry.Status switch
    {
        EntitlementStatus.Applied or EntitlementStatus.Removing => true,
        EntitlementStatus.Applying => entry.CreateAttemptedAt is { } tried && tried >= (entry.RemovedAt ?? DateTimeOffset.MinValue),
        _ => entry.CreateAttemptedAt is { } sent && (entry.AppliedAt is not { } applied || applied < sent),
    };

    private async Task<bool> InFlightAsync(string key, CancellationToken cancellationToken) =>
        (await store.GetPendingIntentsAsync(IntentKind.ApplyEntitlement, key, cancellationToken).ConfigureAwait(false)).Count > 0
        || (await store.GetPendingIntentsAsync(IntentKind.RemoveEntitlement, key, cancellationToken).ConfigureAwait(false)).Count > 0;

    /// <summary>Spaces calls at the sweep's rate on the injected clock, and counts them.</summary>
    private sealed class RequestPace(double perSecond, TimeProvider time)
    {
        private DateTimeOffset _next = DateTimeOffset.MinValue;

        public int Calls { get; private set; }

        public async Task NextAsync(CancellationToken cancellationToken)
        {
            Calls++;
            if (double.IsPositiveInfinity(perSecond)) return;
            var now = time.GetUtcNow();
            if (_next > now) await Task.Delay(_next - now, time, cancellationToken).ConfigureAwait(false);
            _next = (_next > now ? _next : now) + TimeSpan.FromSeconds(1 / perSecond);
        }
    }
}
