using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PimBridge.Core.Configuration;
using PimBridge.Core.Notifications;

namespace PimBridge.Core;

/// <summary>What a reconcile did (or, dry, would do).</summary>
public sealed record ReconcileResult(ReconcilePlan Plan, bool Applied);

/// <summary>What one tick did.</summary>
public sealed record TickResult(int GrantsEnded, int FencesDue, int IntentsDone, int IntentsFailed, int IntentsSuperseded, int IntentsWaiting)
{
    public bool DidNothing => GrantsEnded + FencesDue + IntentsDone + IntentsFailed + IntentsSuperseded + IntentsWaiting == 0;
}

/// <summary>The AWS-side collaborators the enforcer acts through.</summary>
public sealed record IdentityCenterPorts(IEntitlementTarget Entitlements, IPermissionSetPolicies Policies, IIdentityCenterDirectory Directory, IUserMapping Users);

/// <summary>
/// Keeps AWS access exactly as PIM justifies it. <see cref="ReconcileAsync"/> turns a PIM snapshot into grants and
/// ledger changes; <see cref="TickAsync"/> ends due grants, executes pending intents (write intent, act, confirm) and
/// puts and lifts session fences. Every step is idempotent, so a crash anywhere converges on the next tick, and every
/// schedule runs on the injected clock.
/// </summary>
public sealed class Enforcer(
    IStateStore store,
    IdentityCenterPorts aws,
    IReadOnlyList<ResolvedMapping> mappings,
    FenceSettings fences,
    EnforcerSettings settings,
    TimeProvider time,
    string? instanceId = null,
    IPimSource? pim = null,
    NotificationOutbox? notifications = null)
{
    private readonly NotificationOutbox _outbox = notifications ?? NotificationOutbox.None;

    internal static readonly Meter Meter = new("PimBridge.Core");
    private static readonly Histogram<double> NotificationDelay = Meter.CreateHistogram<double>("pimbridge.grant.notification_delay", "s", "PIM activation start to PimBridge first seeing it");
    private static readonly Histogram<double> ProcessingTime = Meter.CreateHistogram<double>("pimbridge.grant.processing_time", "s", "PimBridge first seeing an activation to AWS confirming access");
    private static readonly Counter<long> GrantsStarted = Meter.CreateCounter<long>("pimbridge.grants.started", "{grant}", "Grants started (PIM activations PimBridge mirrors into AWS), by mapping");
    private static readonly Counter<long> GrantsEnded = Meter.CreateCounter<long>("pimbridge.grants.ended", "{grant}", "Grants ended, by mapping and reason (expired, deactivated, revoked)");
    private static readonly Counter<long> FencesPlanned = Meter.CreateCounter<long>("pimbridge.fences.planned", "{fence}", "Session fences planned after AWS confirmed a removal");
    private static readonly Counter<long> FencesActivated = Meter.CreateCounter<long>("pimbridge.fences.activated", "{fence}", "Session fences written into their permission set's inline policy");
    private static readonly Counter<long> FencesLifted = Meter.CreateCounter<long>("pimbridge.fences.lifted", "{fence}", "Session fences lifted once the sessions they block have expired");
    private static readonly Counter<long> AlertsRaised = Meter.CreateCounter<long>("pimbridge.enforcer.alerts", "{alert}", "Alerts the enforcer raised, by kind and severity (gap alerts count in pimbridge.gap.alerts)");

    private const int CommitAttempts = 5;
    private readonly Dictionary<string, ResolvedMapping> _mappings = mappings.ToDictionary(m => m.Name, StringComparer.Ordinal);
    private readonly string _owner = instanceId ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private long _intentsCreated;

    public IReadOnlyList<ResolvedMapping> Mappings => mappings;

    /// <summary>The Entra groups some mapping watches (lower-case object ids).</summary>
    public IReadOnlySet<string> MappedGroups { get; } = mappings.Select(m => m.Rule.EntraGroupId.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Records, durably, that a group changed (a change notification is only a hint): the next tick reads the group
    /// from PIM and reconciles it. Repeated hints for a group whose reconcile is already queued add nothing. Returns
    /// false, having done nothing, for a group no mapping watches.
    /// </summary>
    public async Task<bool> HintAsync(string groupId, CancellationToken cancellationToken = default)
    {
        var group = groupId.ToLowerInvariant();
        if (!MappedGroups.Contains(group))
            return false;
        await RetryOnConflict(async ct =>
        {
            var change = new StateChange();
            await EnsureIntentAsync(change, IntentKind.ReconcileGroup, group, time.GetUtcNow(), ct).ConfigureAwait(false);
            if (!change.IsEmpty) await store.CommitAsync(change, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Reads the groups from PIM and reconciles them (the poll, and the execution of hints).</summary>
    public async Task<ReconcileResult> ReconcileGroupsAsync(IReadOnlyCollection<string> groupIds, bool dryRun = false, DateTimeOffset? seenAt = null, CancellationToken cancellationToken = default)
    {
        var source = pim ?? throw new InvalidOperationException("No PIM source is configured, so groups cannot be read from PIM.");
        var snapshot = await source.GetSnapshotAsync(groupIds, cancellationToken).ConfigureAwait(false);
        return await ReconcileAsync(snapshot, dryRun, seenAt, cancellationToken).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- reconcile

    /// <summary>Reconciles PIM's snapshot of some groups. With <paramref name="dryRun"/>, only plans.</summary>
    /// <param name="seenAt">When PimBridge first learned of these activations (a hint's arrival); now when null.</param>
    public async Task<ReconcileResult> ReconcileAsync(PimSnapshot snapshot, bool dryRun = false, DateTimeOffset? seenAt = null, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var active = await store.GetActiveGrantsForGroupsAsync(snapshot.GroupIds, cancellationToken).ConfigureAwait(false);
        var windows = Reconciler.Windows(snapshot, mappings, now);
        var unread = new List<GrantSlot>();
        var identities = new Dictionary<GrantSlot, GrantIdentity>();
        var users = new Dictionary<string, IdentityCenterUser?>(StringComparer.Ordinal);
        var failures = new ReconcileFailures();
        foreach (var window in windows.WithoutGrants(active))
        {
            // One principal whose lookup fails waits for the next reconcile; the others, and every stop, go ahead.
            // Only windows without a grant are looked up, so leaving one out never reads as a deactivation.
            if (!await failures.TryAsync(async () =>
                {
                    var identity = await IdentityForAsync(window, cancellationToken).ConfigureAwait(false);
                    if (identity is not null) identities[window.Slot] = identity;
                    if (identity is { GrantId: null } || users.ContainsKey(window.Principal.Id)) return;
                    users[window.Principal.Id] = await aws.Users.FindAsync(window.Principal, cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false))
                unread.Add(window.Slot);
        }

        var plan = Reconciler.Plan(windows.Except(unread), mappings, active, users, now, identities);
        if (dryRun || plan.IsEmpty)
        {
            failures.ThrowFirst();
            return new ReconcileResult(plan, Applied: !dryRun);
        }

        // Taking access away first; each step on its own, so one that fails holds up none of the others.
        foreach (var stop in plan.Stops)
            await failures.TryAsync(() => RetryOnConflict(ct => EndGrantAsync(stop.Grant.Id, now, stop.Reason, ct), cancellationToken)).ConfigureAwait(false);
        foreach (var change in plan.EndChanges)
            await failures.TryAsync(() => RetryOnConflict(ct => MoveGrantEndAsync(change, now, ct), cancellationToken)).ConfigureAwait(false);
        foreach (var grant in plan.NewGrants)
            await failures.TryAsync(() => RetryOnConflict(ct => StartGrantAsync(grant with { FirstSeenAt = seenAt ?? now }, now, ct), cancellationToken)).ConfigureAwait(false);
        foreach (var missing in plan.Unmapped)
            await failures.TryAsync(() => RaiseUnmappedAsync(missing, now, cancellationToken)).ConfigureAwait(false);
        failures.ThrowFirst();
        return new ReconcileResult(plan, Applied: true);
    }

    /// <summary>Runs steps that must not hold each other up, keeping the first failure to report once all have run.</summary>
    private sealed class ReconcileFailures
    {
        private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _first;

        public async Task<bool> TryAsync(Func<Task> step)
        {
            try
            {
                await step().ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _first ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
                return false;
            }
        }

        public void ThrowFirst() => _first?.Throw();
    }

    /// <summary>
    /// Walks the grants that already used a window's id. An ended grant is succeeded under a new id (PIM extended the
    /// activation after our tick expired it, or a stale snapshot briefly missed it), unless it was revoked: an emergency
    /// revoke holds for as long as PIM lists that activation. Null when the first id is free.
    /// </summary>
    private async Task<GrantIdentity?> IdentityForAsync(GrantWindow window, CancellationToken cancellationToken)
    {
        var id = Reconciler.GrantId(window.Slot, window.Start);
        var first = id;
        while (await store.GetGrantAsync(id, cancellationToken).ConfigureAwait(false) is { State: GrantState.Ended } previous)
        {
            if (previous.EndReason?.StartsWith(EndReasons.Revoked, StringComparison.Ordinal) == true)
                return new GrantIdentity(null);
            id = Reconciler.SuccessorId(previous.Id);
        }

        return id == first ? null : new GrantIdentity(id);
    }

    /// <summary>Emergency: ends every active grant of a user (Identity Center user id or name) now; the next tick removes and fences.</summary>
    public async Task<IReadOnlyList<Grant>> RevokeUserAsync(string user, string reason, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var grants = await store.ListGrantsAsync(activeOnly: true, user, cancellationToken).ConfigureAwait(false);
        foreach (var grant in grants)
            await RetryOnConflict(ct => EndGrantAsync(grant.Id, now, $"{EndReasons.Revoked}: {reason}", ct), cancellationToken).ConfigureAwait(false);
        return grants;
    }

    private async Task StartGrantAsync(Grant grant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await store.GetGrantAsync(grant.Id, cancellationToken).ConfigureAwait(false) is not null)
            return; // started by a concurrent reconcile
        var mapping = _mappings[grant.Mapping];
        var change = new StateChange();
        change.Grants.Add(grant);
        foreach (var entitlement in mapping.EntitlementsFor(grant.User.UserId))
        {
            var entry = await store.GetLedgerEntryAsync(entitlement.Key, cancellationToken).ConfigureAwait(false);
            var holders = (entry?.Holders ?? []).Append(grant.Id).Distinct().ToList();
            var fence = (entry?.IsHeld == true && entry.FenceOnRemoval) || mapping.Rule.FenceSessions;
            var needsApply = entry is null || entry.Status is EntitlementStatus.Removing or EntitlementStatus.Removed;
            change.Ledger.Add(entry is null
                ? new LedgerEntry { Entitlement = entitlement, Holders = holders, Status = EntitlementStatus.Applying, FenceOnRemoval = fence, UserName = grant.User.UserName }
                : entry with { Holders = holders, FenceOnRemoval = fence, UserName = grant.User.UserName, Status = needsApply ? EntitlementStatus.Applying : entry.Status });
            if (needsApply)
                await EnsureIntentAsync(change, IntentKind.ApplyEntitlement, entitlement.Key, now, cancellationToken).ConfigureAwait(false);
        }

        await PullBackFencesAsync(change, grant, mapping, now, cancellationToken).ConfigureAwait(false);
        _outbox.EnqueueExpiresSoon(change, grant, now);
        var request = await ActivationRequestAsync(grant, cancellationToken).ConfigureAwait(false);
        change.Audit.Add(Audit(now, "grant.started", grant.Id, new JsonObject
        {
            ["justification"] = request?.Justification, ["ticketNumber"] = request?.TicketNumber, ["ticketSystem"] = request?.TicketSystem,
            ["request"] = request?.Id, ["firstSeen"] = grant.FirstSeenAt is { } seen ? Iso(seen) : null,
            ["mapping"] = grant.Mapping, ["principal"] = grant.Principal.Id, ["upn"] = grant.Principal.UserPrincipalName,
            ["group"] = grant.GroupId, ["access"] = grant.Access.ToString().ToLowerInvariant(), ["activation"] = grant.ActivationId,
            ["user"] = grant.User.UserId, ["userName"] = grant.User.UserName,
            ["start"] = Iso(grant.Start), ["end"] = grant.End is { } e ? Iso(e) : null,
            ["entitlements"] = new JsonArray(grant.EntitlementKeys.Select(k => (JsonNode)JsonValue.Create(k)).ToArray()),
        }));
        await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        GrantsStarted.Add(1, new KeyValuePair<string, object?>("mapping", grant.Mapping));
    }

    /// <summary>The PIM request behind the grant, for the audit log. Best effort: its absence never holds up access.</summary>
    private async Task<ActivationRequest?> ActivationRequestAsync(Grant grant, CancellationToken cancellationToken)
    {
        if (pim is null) return null;
        try
        {
            var activation = new Activation(grant.ActivationId, grant.Principal, grant.GroupId, grant.Access,
                grant.ActivationStart ?? grant.Start, grant.End, ScheduleId: grant.ActivationScheduleId);
            return await pim.GetActivationRequestAsync(activation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new ActivationRequest("unavailable", $"(the PIM request could not be read: {ex.Message})", null, null, null);
        }
    }

    /// <summary>
    /// A re-grant is never blocked: the user's fences on the permission sets it reaches are cut off at the new grant's
    /// start, in the accounts it reaches only. A fence that also covers accounts the new grant does not reach is split,
    /// so sessions there stay blocked from the old cutoff.
    /// </summary>
    private async Task PullBackFencesAsync(StateChange change, Grant grant, ResolvedMapping mapping, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reach = new List<PermissionSetAccount>();
        foreach (var entitlement in mapping.EntitlementsFor(grant.User.UserId))
            reach.AddRange(await ReachAsync(entitlement, cancellationToken).ConfigureAwait(false));
        foreach (var byPermissionSet in reach.GroupBy(r => r.PermissionSetArn, StringComparer.Ordinal))
        {
            var permissionSet = byPermissionSet.Key;
            var reached = byPermissionSet.Select(r => r.AccountId).ToHashSet(StringComparer.Ordinal);
            var open = await store.GetOpenFencesForPermissionSetAsync(permissionSet, cancellationToken).ConfigureAwait(false);
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
                await EnsureIntentAsync(change, IntentKind.SyncFences, permissionSet, now, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The piece of a fence that a re-grant cuts off earlier: the accounts it reaches, the grant's start as cutoff. Its
    /// id is derived, so concurrent reconciles agree; a piece split off before (the same grant start) takes the accounts.
    /// </summary>
    private async Task<SessionFence> SplitPieceAsync(StateChange change, SessionFence fence, IReadOnlyList<string> accounts, DateTimeOffset cutoff, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = FenceId(fence.UserId, fence.PermissionSetArn, cutoff) + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fence.Id)))[..8];
        var earlier = change.Fences.FirstOrDefault(f => f.Id == id) ?? await store.GetFenceAsync(id, cancellationToken).ConfigureAwait(false);
        if (earlier is { State: FenceState.Pending or FenceState.Active })
        {
            change.Fences.RemoveAll(f => f.Id == id);
            return earlier with { Accounts = earlier.Accounts.Union(accounts).Order(StringComparer.Ordinal).ToList() };
        }

        return fence with { Id = earlier is null ? id : $"{id}-{now.ToUnixTimeMilliseconds()}", Accounts = accounts, Cutoff = cutoff, Version = 0 };
    }

    private async Task MoveGrantEndAsync(GrantEndChange change, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var grant = await store.GetGrantAsync(change.Grant.Id, cancellationToken).ConfigureAwait(false);
        if (grant is not { State: GrantState.Active } || grant.End == change.NewEnd)
            return;
        var state = new StateChange();
        state.Grants.Add(grant with { End = change.NewEnd, ActivationId = change.NewActivationId });
        _outbox.EnqueueExpiresSoon(state, grant with { End = change.NewEnd }, now);
        state.Audit.Add(Audit(now, change.IsExtension ? "grant.extended" : "grant.shortened", grant.Id, new JsonObject
        {
            ["from"] = grant.End is { } f ? Iso(f) : null, ["to"] = change.NewEnd is { } t ? Iso(t) : null, ["activation"] = change.NewActivationId,
        }));
        await store.CommitAsync(state, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends a grant: it lets go of its entitlements, and those it held last are queued for removal.</summary>
    private async Task EndGrantAsync(string grantId, DateTimeOffset at, string reason, CancellationToken cancellationToken)
    {
        var grant = await store.GetGrantAsync(grantId, cancellationToken).ConfigureAwait(false);
        if (grant is not { State: GrantState.Active })
            return;
        var change = new StateChange();
        change.Grants.Add(grant with { State = GrantState.Ended, EndedAt = at, EndReason = reason });
        foreach (var key in grant.EntitlementKeys)
        {
            var entry = await store.GetLedgerEntryAsync(key, cancellationToken).ConfigureAwait(false);
            if (entry is null) continue;
            var holders = entry.Holders.Where(h => h != grant.Id).ToList();
            var removeNow = holders.Count == 0 && entry.Status is EntitlementStatus.Applied or EntitlementStatus.Applying;
            change.Ledger.Add(entry with { Holders = holders, Status = removeNow ? EntitlementStatus.Removing : entry.Status });
            if (removeNow)
                await EnsureIntentAsync(change, IntentKind.RemoveEntitlement, key, at, cancellationToken).ConfigureAwait(false);
        }

        change.Audit.Add(Audit(at, "grant.ended", grant.Id, new JsonObject
        {
            ["reason"] = reason, ["user"] = grant.User.UserId, ["userName"] = grant.User.UserName,
            ["end"] = grant.End is { } e ? Iso(e) : null,
        }));
        await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        // "revoked: <reason>" is tagged "revoked": the operator's words would make a series per revoke.
        GrantsEnded.Add(1, new KeyValuePair<string, object?>("mapping", grant.Mapping), new KeyValuePair<string, object?>("reason", reason.Split(':', 2)[0]));
    }

    private async Task RaiseUnmappedAsync(UnmappedPrincipal missing, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Every poll sees the principal again: alert and audit once, not every 30 seconds.
        var id = $"unmapped-user|{missing.Principal.Id}|{missing.Mapping}";
        if (await store.GetAlertAsync(id, cancellationToken).ConfigureAwait(false) is not null)
            return;
        var change = new StateChange();
        var who = missing.Principal.UserPrincipalName ?? missing.Principal.Mail ?? missing.Principal.Id;
        change.Alerts.Add(new Alert
        {
            Id = id,
            At = now,
            Severity = AlertSeverity.Warning,
            Kind = "unmapped-user",
            Subject = who,
            Message = $"{who} activated Entra group {missing.GroupId} (mapping {missing.Mapping}) but has no IAM Identity Center user (matched by {aws.Users.Describe}); no AWS access was granted. Create or sync the user, or change the identity mapping attribute.",
            Facts = new Dictionary<string, string> { ["principal"] = missing.Principal.Id, ["mapping"] = missing.Mapping, ["group"] = missing.GroupId, ["attribute"] = aws.Users.Describe },
        });
        _outbox.EnqueueAlert(change, change.Alerts[^1], now);
        change.Audit.Add(Audit(now, "grant.unmapped-user", missing.Principal.Id, new JsonObject
        {
            ["mapping"] = missing.Mapping, ["group"] = missing.GroupId, ["upn"] = missing.Principal.UserPrincipalName, ["mail"] = missing.Principal.Mail,
            ["attribute"] = aws.Users.Describe,
        }));
        await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        CountAlerts(change.Alerts);
    }

    // ---------------------------------------------------------------- tick

    /// <summary>How far the clock may move inside a tick (AWS work takes time) before the tick looks again for due removals.</summary>
    private static readonly TimeSpan LookAgainAfter = TimeSpan.FromSeconds(1);

    /// <summary>
    /// One round of enforcement: due grants end, due fences lift, due intents run, removals and fences first. Costs
    /// O(due items). Whenever AWS work has taken the clock a second on, the tick looks again, so a removal that falls
    /// due meanwhile goes before the rest of the batch (I6: a burst of grants never holds up an expiry).
    /// </summary>
    public async Task<TickResult> TickAsync(CancellationToken cancellationToken = default)
    {
        int ended = 0, fencesDue = 0, done = 0, failed = 0, superseded = 0, waiting = 0;
        var ran = new HashSet<string>(StringComparer.Ordinal);
        var lookedAt = time.GetUtcNow();
        var queue = await DueWorkAsync(lookedAt).ConfigureAwait(false);
        while (queue.Count > 0)
        {
            var intent = queue.Dequeue();
            if (!ran.Add(intent.Id))
                continue;
            if (intent.Kind == IntentKind.Notify)
            {
                StartDelivery(intent);
                continue;
            }

            switch (await RunIntentAsync(intent, cancellationToken).ConfigureAwait(false))
            {
                case IntentOutcome.Done: done++; break;
                case IntentOutcome.Failed: failed++; break;
                case IntentOutcome.Superseded: superseded++; break;
                case IntentOutcome.Waiting: waiting++; break;
            }

            if (time.GetUtcNow() - lookedAt >= LookAgainAfter)
            {
                lookedAt = time.GetUtcNow();
                queue = await DueWorkAsync(lookedAt).ConfigureAwait(false);
            }
        }

        await WatchSessionDurationsAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return new TickResult(ended, fencesDue, done, failed, superseded, waiting);

        // Ends the grants and starts the lifts that are due, and returns the due intents, taking access away first.
        async Task<PriorityQueue<Intent, (int, int)>> DueWorkAsync(DateTimeOffset now)
        {
            foreach (var grant in await store.GetDueGrantsAsync(now, settings.BatchSize, cancellationToken).ConfigureAwait(false))
            {
                await RetryOnConflict(ct => EndGrantAsync(grant.Id, grant.End!.Value, EndReasons.Expired, ct), cancellationToken).ConfigureAwait(false);
                ended++;
            }

            var dueFences = await store.GetDueFencesAsync(now, settings.BatchSize, cancellationToken).ConfigureAwait(false);
            foreach (var fence in dueFences)
                await RetryOnConflict(ct => StartLiftAsync(fence.Id, now, ct), cancellationToken).ConfigureAwait(false);
            fencesDue += dueFences.Count;

            // Without a PIM source (the AWS-side watcher) group hints are left unclaimed for the host that reads PIM, and
            // read past, so a backlog of hints never starves removals and fences.
            var runnable = await store.GetDueIntentsAsync(now, settings.BatchSize, except: pim is null ? IntentKind.ReconcileGroup : null, cancellationToken).ConfigureAwait(false);
            // Taking access away comes first: removals and fences never wait behind grants, PIM reads or notifications.
            var due = new PriorityQueue<Intent, (int, int)>();
            for (var i = 0; i < runnable.Count; i++)
            {
                if (!ran.Contains(runnable[i].Id))
                    due.Enqueue(runnable[i], (Priority(runnable[i].Kind), i));
            }

            return due;
        }
    }

    private static readonly TimeSpan SessionDurationWatchInterval = TimeSpan.FromMinutes(1);
    private DateTimeOffset _sessionDurationsWatchedAt = DateTimeOffset.MinValue;

    /// <summary>
    /// Notes, at most once a minute and after the tick's own work, each mapped permission set's session duration (see
    /// <see cref="SessionDurationWatch"/>). A failure waits for the next minute: watching never holds up removals.
    /// </summary>
    private async Task WatchSessionDurationsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (now - _sessionDurationsWatchedAt < SessionDurationWatchInterval) return;
        _sessionDurationsWatchedAt = now;
        var permissionSets = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var mapping in mappings)
        {
            if (mapping.PermissionSetArn is { } arn) permissionSets.Add(arn);
            else await WatchingAsync(async () => permissionSets.UnionWith(
                (await aws.Directory.GetGroupAssignmentsAsync(mapping.IdentityCenterGroupId!, cancellationToken).ConfigureAwait(false)).Select(a => a.PermissionSetArn))).ConfigureAwait(false);
        }

        // Each on its own: one permission set that fails (throttled, deleted) never stops the others being watched.
        foreach (var permissionSet in permissionSets)
        {
            await WatchingAsync(async () =>
            {
                var current = await aws.Directory.GetSessionDurationAsync(permissionSet, cancellationToken).ConfigureAwait(false);
                var name = SessionDurationWatch.CheckpointName(permissionSet);
                var checkpoint = await store.GetCheckpointAsync(name, cancellationToken).ConfigureAwait(false);
                if (SessionDurationWatch.Next(SessionDurationWatch.Parse(checkpoint?.Value), current, now, fences.UntilMargin) is not { } next) return;
                var change = new StateChange();
                change.Checkpoints.Add(new Checkpoint { Name = name, Value = next.Format(), UpdatedAt = now, Version = checkpoint?.Version ?? 0 });
                await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }

        static async Task WatchingAsync(Func<Task> step)
        {
            try
            {
                await step().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Throttled, deleted, or another instance wrote the same checkpoint: the next minute looks again.
            }
        }
    }

    private async Task StartLiftAsync(string fenceId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var fence = await store.GetFenceAsync(fenceId, cancellationToken).ConfigureAwait(false);
        if (fence is not { State: FenceState.Active } || fence.Until > now)
            return;
        var change = new StateChange();
        change.Fences.Add(fence with { State = FenceState.Lifting });
        await EnsureIntentAsync(change, IntentKind.SyncFences, fence.PermissionSetArn, now, cancellationToken).ConfigureAwait(false);
        await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Notifications this process is delivering, by intent id.</summary>
    private readonly ConcurrentDictionary<string, Task> _deliveries = new(StringComparer.Ordinal);

    /// <summary>
    /// Delivers a notification without the tick waiting for it: a receiver that hangs or times out (30 s a try) must
    /// never hold up removals and fences (I6). The intent's claim keeps other ticks and processes off it meanwhile;
    /// if this process dies first, the claim expires and the delivery is tried again (at least once, as before).
    /// </summary>
    private void StartDelivery(Intent intent)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_deliveries.TryAdd(intent.Id, finished.Task))
            return; // already under way here
        _ = DeliverAsync();

        async Task DeliverAsync()
        {
            try
            {
                await RunIntentAsync(intent, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _deliveries.TryRemove(intent.Id, out _);
                finished.SetResult();
            }
        }
    }

    /// <summary>Completes once every notification this process has started delivering has finished (a host stopping, a test).</summary>
    public Task DeliveriesSettledAsync() => Task.WhenAll(_deliveries.Values);

    private enum IntentOutcome { Done, Failed, Superseded, Waiting, Skipped }

    /// <summary>Claim, execute idempotently, confirm; on failure record it and back off.</summary>
    private async Task<IntentOutcome> RunIntentAsync(Intent intent, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var claimed = intent with { NextAttemptAt = now + settings.ClaimTimeout };
        try
        {
            var claim = new StateChange();
            claim.Intents.Add(claimed);
            await store.CommitAsync(claim, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            return IntentOutcome.Skipped; // another instance took it
        }

        claimed = claimed with { Version = claimed.Version + 1 };
        var run = new IntentRun(claimed);
        try
        {
            var change = intent.Kind switch
            {
                IntentKind.ApplyEntitlement => await ApplyAsync(run, cancellationToken).ConfigureAwait(false),
                IntentKind.RemoveEntitlement => await RemoveAsync(run, cancellationToken).ConfigureAwait(false),
                IntentKind.SyncFences => await SyncFencesAsync(claimed, cancellationToken).ConfigureAwait(false),
                IntentKind.ReconcileGroup => await ReconcileHintedGroupAsync(claimed, cancellationToken).ConfigureAwait(false),
                IntentKind.Notify => await NotifyAsync(claimed, cancellationToken).ConfigureAwait(false),
                _ => throw new InvalidOperationException($"Unknown intent kind {intent.Kind}."),
            };
            if (change is null)
                return IntentOutcome.Skipped;
            // An alert is announced once, when first stored; a repeat (same id, for example fence capacity still
            // exhausted on the next sync) was announced already.
            var newAlerts = await NewAlertsAsync(change, cancellationToken).ConfigureAwait(false);
            foreach (var alert in newAlerts)
                _outbox.EnqueueAlert(change, alert, alert.At);
            await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
            CountFences(intent.Kind, change);
            CountAlerts(newAlerts);
            foreach (var grant in change.Grants.Where(g => g.AccessConfirmedAt is not null))
            {
                if (grant.NotificationDelay is { } delay) NotificationDelay.Record(Math.Max(0, delay.TotalSeconds));
                if (grant.ProcessingTime is { } processing) ProcessingTime.Record(Math.Max(0, processing.TotalSeconds));
            }
            return change.Intents.Any(i => i.Id == intent.Id && i.State == IntentState.Superseded) ? IntentOutcome.Superseded : IntentOutcome.Done;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // shutting down: the claim expires and the intent runs again
        }
        catch (OperationInProgressException waiting)
        {
            // AWS is still at it: look again soon, no failure counted, and meanwhile the tick moves on (I6).
            await WaitForAwsAsync(run.Intent, waiting, cancellationToken).ConfigureAwait(false);
            return IntentOutcome.Waiting;
        }
        catch (Exception ex)
        {
            // Includes a conflict on confirming: state moved after the AWS call, and the idempotent intent simply runs again.
            await RecordFailureAsync(run.Intent, ex, cancellationToken).ConfigureAwait(false);
            return IntentOutcome.Failed;
        }
    }

    private async Task WaitForAwsAsync(Intent intent, OperationInProgressException waiting, CancellationToken cancellationToken)
    {
        var change = new StateChange();
        change.Intents.Add(intent with { NextAttemptAt = time.GetUtcNow() + waiting.RetryAfter, LastError = waiting.Message });
        try
        {
            await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // another instance moved the intent on: it runs again from there
        }
    }

    private async Task RecordFailureAsync(Intent intent, Exception error, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var attempts = intent.Attempts + 1;
        var change = new StateChange();
        var delay = settings.RetryDelay(attempts);
        if (error is IRetryAfterHint { RetryAfter: { } asked } && asked > delay)
            delay = asked;
        change.Intents.Add(intent with { Attempts = attempts, NextAttemptAt = now + delay, LastError = error.Message });
        change.Audit.Add(Audit(now, "intent.failed", intent.Id, new JsonObject
        {
            ["kind"] = intent.Kind.ToString(), ["subject"] = intent.Subject, ["attempt"] = attempts, ["error"] = error.Message,
        }));
        if (attempts >= settings.AlertAfterAttempts)
        {
            change.Alerts.Add(new Alert
            {
                Id = $"intent-stuck|{intent.Id}",
                At = now,
                Severity = AlertSeverity.Critical,
                Kind = "intent-stuck",
                Subject = intent.Subject,
                Message = $"PimBridge could not {Describe(intent.Kind)} {intent.Subject} after {attempts} attempts and keeps retrying: {error.Message}",
                Facts = new Dictionary<string, string> { ["intent"] = intent.Id, ["kind"] = intent.Kind.ToString(), ["attempts"] = attempts.ToString(CultureInfo.InvariantCulture) },
            });

            // Said once, when the alert is first raised; a failing sink is not asked to carry news of its own failure.
            if (attempts == settings.AlertAfterAttempts)
                _outbox.EnqueueAlert(change, change.Alerts[^1], now, intent.Kind == IntentKind.Notify ? NotificationOutbox.SinkOf(intent) : null);
        }

        try
        {
            await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            return; // another instance moved the intent on (it claimed, finished or recorded it): it runs again from there
        }

        if (attempts == settings.AlertAfterAttempts)
            CountAlerts(change.Alerts); // raised now; later failures only update it
    }

    private async Task<StateChange?> ApplyAsync(IntentRun run, CancellationToken cancellationToken)
    {
        var intent = run.Intent;
        var change = new StateChange();
        var entry = await store.GetLedgerEntryAsync(intent.Subject, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (entry is not { IsHeld: true })
        {
            change.Intents.Add(intent with { State = IntentState.Superseded, CompletedAt = now });
            // A run of this intent may have created the access after its last holder left (a second engine, a
            // creation that outlived the client's wait): make sure a removal looks.
            if (entry is { Standing: false } && intent.ActedAt is not null)
                await EnsureIntentAsync(change, IntentKind.RemoveEntitlement, entry.Key, now, cancellationToken).ConfigureAwait(false);
            return change;
        }

        var ourTryBefore = MayBeOurs(entry);
        var outcome = await aws.Entitlements.GrantAsync(entry.Entitlement, async ct =>
            (intent, entry) = await MarkActingAsync(run, entry with { CreateAttemptedAt = time.GetUtcNow() }, ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        now = time.GetUtcNow();
        if (outcome == EntitlementChange.Found && entry.DeleteAttemptedAt is { } deleting && deleting > (entry.RemovedAt ?? DateTimeOffset.MinValue)
            && now < deleting + settings.OperationSettleTime)
        {
            // A deletion PimBridge started may still be running and take this access away: look again once it must have settled.
            change.Intents.Add(intent with { NextAttemptAt = deleting + settings.OperationSettleTime });
            return change;
        }

        // Found, with no creation of PimBridge's sent since it was last confirmed absent: another hand's standing
        // access, never PimBridge's to take.
        var standing = outcome == EntitlementChange.Found && (entry.Standing || !ourTryBefore);
        var durations = await SessionDurationsAsync(entry, cancellationToken).ConfigureAwait(false);
        change.Intents.Add(intent with { State = IntentState.Done, CompletedAt = now });
        change.Ledger.Add(entry with { Status = EntitlementStatus.Applied, AppliedAt = now, Standing = standing, SessionDurations = durations });
        change.Audit.Add(Audit(now, standing ? "entitlement.standing" : "entitlement.applied", entry.Key, new JsonObject { ["holders"] = entry.Holders.Count }));
        if (standing && !entry.Standing)
        {
            change.Alerts.Add(new Alert
            {
                Id = StandingAccessAlertId(entry.Key),
                At = now,
                Severity = AlertSeverity.Info,
                Kind = "standing-access",
                Subject = entry.UserName ?? entry.Entitlement.UserId,
                Message = $"{entry.UserName ?? entry.Entitlement.UserId} already had {Describe(entry.Entitlement)} before PimBridge granted it: access another hand made (a person, Terraform or SCIM). PimBridge will never remove or fence it; remove it where it is managed if it should not stand.",
                Facts = new Dictionary<string, string> { ["entitlement"] = entry.Key, ["user"] = entry.Entitlement.UserId },
            });
        }

        await ConfirmAccessAsync(change, entry, now, cancellationToken).ConfigureAwait(false);
        return change;
    }

    /// <summary>
    /// Writes, after AWS was read and before it is changed, that the intent is about to change it: the ledger entry's
    /// mark and the intent's <see cref="Intent.ActedAt"/>. A crash after this leaves the truth ("PimBridge may have
    /// done it") on record; access found with no such mark is not PimBridge's.
    /// </summary>
    private async Task<(Intent, LedgerEntry)> MarkActingAsync(IntentRun run, LedgerEntry marked, CancellationToken cancellationToken)
    {
        var acting = run.Intent with { ActedAt = run.Intent.ActedAt ?? time.GetUtcNow() };
        var mark = new StateChange();
        mark.Intents.Add(acting);
        mark.Ledger.Add(marked);
        await store.CommitAsync(mark, cancellationToken).ConfigureAwait(false);
        run.Intent = acting with { Version = acting.Version + 1 };
        return (run.Intent, marked with { Version = marked.Version + 1 });
    }

    /// <summary>
    /// Whether PimBridge may have created the access since it was last confirmed absent: a creation was about to be sent
    /// (a try at the very instant of a confirmed removal came after it), or, for entries from before PimBridge kept that
    /// mark, it was applied after its last removal.
    /// </summary>
    private static bool MayBeOurs(LedgerEntry entry) => entry.CreateAttemptedAt is { } tried
        ? tried >= (entry.RemovedAt ?? DateTimeOffset.MinValue)
        : entry.AppliedAt is { } applied && applied >= (entry.RemovedAt ?? DateTimeOffset.MinValue);

    /// <summary>The intent a run holds, at the version it last wrote: a failure is recorded on top of it.</summary>
    private sealed class IntentRun(Intent intent)
    {
        public Intent Intent { get; set; } = intent;
    }

    /// <summary>Per permission set the entitlement reaches, the longer of its session duration now and as recorded before.</summary>
    private async Task<Dictionary<string, TimeSpan>> SessionDurationsAsync(LedgerEntry entry, CancellationToken cancellationToken)
    {
        var durations = new Dictionary<string, TimeSpan>(entry.SessionDurations ?? new Dictionary<string, TimeSpan>(), StringComparer.Ordinal);
        foreach (var permissionSet in (await ReachAsync(entry.Entitlement, cancellationToken).ConfigureAwait(false)).Select(r => r.PermissionSetArn).Distinct(StringComparer.Ordinal))
        {
            var duration = await aws.Directory.GetSessionDurationAsync(permissionSet, cancellationToken).ConfigureAwait(false);
            if (!durations.TryGetValue(permissionSet, out var seen) || duration > seen) durations[permissionSet] = duration;
        }

        return durations;
    }

    private static string Describe(Entitlement entitlement) => entitlement.Kind == EntitlementKind.GroupMembership
        ? $"membership of Identity Center group {entitlement.GroupId}"
        : $"permission set {entitlement.PermissionSetArn} in account {entitlement.AccountId}";

    /// <summary>Stamps holder grants whose every entitlement is now applied: their access is live.</summary>
    private async Task ConfirmAccessAsync(StateChange change, LedgerEntry applied, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var holder in applied.Holders)
        {
            var grant = await store.GetGrantAsync(holder, cancellationToken).ConfigureAwait(false);
            if (grant is not { State: GrantState.Active, AccessConfirmedAt: null })
                continue;
            var complete = true;
            foreach (var key in grant.EntitlementKeys.Where(k => k != applied.Key))
                complete &= (await store.GetLedgerEntryAsync(key, cancellationToken).ConfigureAwait(false))?.Status == EntitlementStatus.Applied;
            if (complete)
            {
                change.Grants.Add(grant with { AccessConfirmedAt = now });
                _outbox.EnqueueAccessLive(change, grant, now);
            }
        }
    }

    private async Task<StateChange?> NotifyAsync(Intent intent, CancellationToken cancellationToken)
    {
        var sent = await _outbox.DeliverAsync(store, intent, time, cancellationToken).ConfigureAwait(false);
        var change = new StateChange();
        change.Intents.Add(intent with { State = sent ? IntentState.Done : IntentState.Superseded, CompletedAt = time.GetUtcNow() });
        return change;
    }

    private async Task<StateChange?> ReconcileHintedGroupAsync(Intent intent, CancellationToken cancellationToken)
    {
        // The hint's creation is when PimBridge first heard of the change.
        await ReconcileGroupsAsync([intent.Subject], dryRun: false, seenAt: intent.CreatedAt, cancellationToken).ConfigureAwait(false);
        var change = new StateChange();
        change.Intents.Add(intent with { State = IntentState.Done, CompletedAt = time.GetUtcNow() });
        return change;
    }

    private async Task<StateChange?> RemoveAsync(IntentRun run, CancellationToken cancellationToken)
    {
        var intent = run.Intent;
        var change = new StateChange();
        var entry = await store.GetLedgerEntryAsync(intent.Subject, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (entry is null || entry.IsHeld)
        {
            change.Intents.Add(intent with { State = IntentState.Superseded, CompletedAt = now });
            return change;
        }

        if (entry.Standing || !MayBeOurs(entry))
        {
            // Nothing of PimBridge's is there: another hand's access stays, and access PimBridge never created needs
            // no removal (whatever is there is someone else's) and no fence of its own (no session came from it).
            change.Intents.Add(intent with { State = IntentState.Done, CompletedAt = now });
            change.Ledger.Add(entry with { Status = EntitlementStatus.Removed, RemovedAt = now });
            change.Audit.Add(Audit(now, "entitlement.released", entry.Key, new JsonObject
            {
                ["reason"] = entry.Standing ? "standing access another hand made is left in place" : "PimBridge never created it",
            }));
            if (!entry.Standing)
                await RefenceWhatWasCutBackAsync(change, entry, now, cancellationToken).ConfigureAwait(false);
            return change;
        }

        var wasRemoved = entry.Status == EntitlementStatus.Removed;
        var outcome = await aws.Entitlements.RevokeAsync(entry.Entitlement, async ct =>
            (intent, entry) = await MarkActingAsync(run, entry with { DeleteAttemptedAt = time.GetUtcNow() }, ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        var confirmed = time.GetUtcNow();
        if (outcome == EntitlementChange.Found && entry.CreateAttemptedAt is { } creating && creating >= (entry.RemovedAt ?? DateTimeOffset.MinValue)
            && confirmed < creating + settings.OperationSettleTime)
        {
            // Not listed so soon after PimBridge's own create may be a listing that lags: look again once it must have settled.
            change.Intents.Add(intent with { NextAttemptAt = creating + settings.OperationSettleTime });
            return change;
        }

        change.Intents.Add(intent with { State = IntentState.Done, CompletedAt = confirmed });
        change.Ledger.Add(entry with { Status = EntitlementStatus.Removed, RemovedAt = confirmed });
        change.Audit.Add(Audit(confirmed, "entitlement.removed", entry.Key, new JsonObject()));
        if (wasRemoved && outcome == EntitlementChange.Found)
            return change; // a second look at access already removed and fenced: nothing was there
        _outbox.EnqueueAccessRemoved(change, entry, confirmed);
        if (entry.FenceOnRemoval)
            await PlanFencesAsync(change, entry, confirmed, cancellationToken).ConfigureAwait(false);
        return change;
    }

    /// <summary>
    /// A fence of ended access is cut off at the start of a grant still waiting for its apply, so that grant's sessions
    /// are never blocked (see <see cref="PlanFencesAsync"/>), and a re-grant pulls a cutoff back the same way. When
    /// such a grant's entitlement is released without ever having been applied, no session came from it: the sessions
    /// the ended access issued after that start must be fenced again, with the standard cutoff, in the accounts it
    /// reached where a fence had been cut back (never elsewhere: a fence there would fall on access no one ended).
    /// </summary>
    private async Task RefenceWhatWasCutBackAsync(StateChange change, LedgerEntry released, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reach = (await ReachAsync(released.Entitlement, cancellationToken).ConfigureAwait(false)).ToHashSet();
        var cutBack = new HashSet<PermissionSetAccount>();
        var longest = new Dictionary<string, TimeSpan>(released.SessionDurations ?? new Dictionary<string, TimeSpan>(), StringComparer.Ordinal);
        foreach (var permissionSet in reach.Select(r => r.PermissionSetArn).Distinct(StringComparer.Ordinal))
        {
            var open = await store.GetOpenFencesForPermissionSetAsync(permissionSet, cancellationToken).ConfigureAwait(false);
            foreach (var fence in open.Where(f => f.UserId == released.Entitlement.UserId && f.State is FenceState.Pending or FenceState.Active
                         && f.Cutoff < CeilingToMinute(f.CreatedAt + fences.CutoffMargin)))
            {
                var accounts = fence.Accounts.Select(a => new PermissionSetAccount(permissionSet, a)).Where(reach.Contains).ToList();
                if (accounts.Count == 0) continue;
                cutBack.UnionWith(accounts);
                // The sessions to fence are the ended access's: as long-lived as that fence allowed for.
                var lived = fence.Until - fence.Cutoff - fences.UntilMargin;
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
    private async Task PlanFencesAsync(StateChange change, LedgerEntry removed, DateTimeOffset confirmed, CancellationToken cancellationToken, IReadOnlySet<PermissionSetAccount>? only = null)
    {
        var user = removed.Entitlement.UserId;
        var ended = (await ReachAsync(removed.Entitlement, cancellationToken).ConfigureAwait(false)).Where(r => only is null || only.Contains(r)).ToList();
        var stillHeld = new HashSet<PermissionSetAccount>();
        var pendingSince = new Dictionary<PermissionSetAccount, DateTimeOffset>();
        foreach (var other in await store.GetLedgerEntriesForUserAsync(user, cancellationToken).ConfigureAwait(false))
        {
            if (other.Key == removed.Key || !(other.IsHeld || other.Standing)) continue;
            var reach = await ReachAsync(other.Entitlement, cancellationToken).ConfigureAwait(false);
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
                if (await store.GetGrantAsync(holder, cancellationToken).ConfigureAwait(false) is { } grant && CutoffAt(grant.Start) < since)
                    since = CutoffAt(grant.Start);
            }

            foreach (var r in reach)
                pendingSince[r] = pendingSince.TryGetValue(r, out var earlier) && earlier < since ? earlier : since;
        }

        var standardCutoff = CeilingToMinute(confirmed + fences.CutoffMargin);
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
                duration = await aws.Directory.GetSessionDurationAsync(permissionSet, cancellationToken).ConfigureAwait(false);
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
            var watch = SessionDurationWatch.Parse((await store.GetCheckpointAsync(SessionDurationWatch.CheckpointName(permissionSet), cancellationToken).ConfigureAwait(false))?.Value);
            if (watch?.InForce(confirmed, fences.UntilMargin) is { } watched && watched > duration) duration = watched;
            var until = cutoff + duration + fences.UntilMargin;
            var id = FenceId(user, permissionSet, cutoff);
            var existing = change.Fences.FirstOrDefault(f => f.Id == id) ?? await store.GetFenceAsync(id, cancellationToken).ConfigureAwait(false);
            SessionFence fence;
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
            await EnsureIntentAsync(change, IntentKind.SyncFences, permissionSet, confirmed, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The name for the fence record, or null when the lookup fails: the fence matters more than its name, and the gap
    /// detector looks the name up again when it needs it.
    /// </summary>
    private async Task<string?> PermissionSetNameAsync(string permissionSetArn, CancellationToken cancellationToken)
    {
        try
        {
            return await aws.Directory.GetPermissionSetNameAsync(permissionSetArn, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The permission sets and accounts an entitlement reaches.</summary>
    private async Task<IReadOnlyList<PermissionSetAccount>> ReachAsync(Entitlement entitlement, CancellationToken cancellationToken) =>
        entitlement.Kind == EntitlementKind.AccountAssignment
            ? [new PermissionSetAccount(entitlement.PermissionSetArn!, entitlement.AccountId!)]
            : await aws.Directory.GetGroupAssignmentsAsync(entitlement.GroupId!, cancellationToken).ConfigureAwait(false);

    /// <summary>Brings one permission set's inline policy in line with its fences, under a lease so writers never interleave.</summary>
    private async Task<StateChange?> SyncFencesAsync(Intent intent, CancellationToken cancellationToken)
    {
        var permissionSet = intent.Subject;
        var lease = "fences|" + permissionSet;
        var now = time.GetUtcNow();
        if (!await store.TryAcquireLeaseAsync(lease, _owner, now, settings.ClaimTimeout, cancellationToken).ConfigureAwait(false))
            return null; // another instance is writing this policy; our claim expires and we look again

        try
        {
            var open = await store.GetOpenFencesForPermissionSetAsync(permissionSet, cancellationToken).ConfigureAwait(false);
            var wanted = open.Where(f => f.State is FenceState.Pending or FenceState.Active && f.Until > now)
                .OrderBy(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal).ToList();
            var lifting = open.Where(f => f.State == FenceState.Lifting || (f.State is FenceState.Pending or FenceState.Active && f.Until <= now)).ToList();

            string? current;
            try
            {
                current = await aws.Policies.GetInlinePolicyAsync(permissionSet, cancellationToken).ConfigureAwait(false);
            }
            catch (PermissionSetDeletedException gone)
            {
                return FencesOfDeletedPermissionSet(intent, open, gone, now);
            }

            var result = FencePolicy.Merge(permissionSet, current, wanted);
            var changed = !FencePolicy.AreEquivalent(current, result.Policy);
            if (changed)
                await aws.Policies.WriteInlinePolicyAsync(permissionSet, result.Policy, cancellationToken).ConfigureAwait(false);
            else
                await aws.Policies.ProvisionWhereStaleAsync(permissionSet, cancellationToken).ConfigureAwait(false); // an earlier write's provisioning may have failed

            // Confirm after acting: what the roles now carry is this document only if nobody wrote in between.
            if (!FencePolicy.AreEquivalent(await aws.Policies.GetInlinePolicyAsync(permissionSet, cancellationToken).ConfigureAwait(false), result.Policy))
                throw new InvalidOperationException($"The inline policy of {permissionSet} changed while PimBridge was writing its fences (another writer); they are written again.");
            var confirmed = time.GetUtcNow();

            var change = new StateChange();
            var written = result.Written.ToHashSet(StringComparer.Ordinal);
            foreach (var fence in wanted.Where(f => f.State == FenceState.Pending && written.Contains(f.Id)))
                change.Fences.Add(fence with { State = FenceState.Active, ActiveSince = confirmed });
            foreach (var fence in lifting)
                change.Fences.Add(fence with { State = FenceState.Lifted, LiftedAt = confirmed });
            foreach (var id in result.Overflow)
            {
                var fence = wanted.First(f => f.Id == id);
                change.Alerts.Add(new Alert
                {
                    Id = $"fence-capacity|{fence.Id}",
                    At = confirmed,
                    Severity = AlertSeverity.Critical,
                    Kind = "fence-capacity-exhausted",
                    Subject = fence.UserName,
                    Message = $"Access of {fence.UserName} to {permissionSet} was removed, but its live sessions could not be fenced: the permission set's inline policy is full ({FencePolicy.MaxNonWhitespace} non-whitespace characters). Sessions issued before {Iso(fence.Cutoff)} stay usable until they expire ({Iso(fence.Until)}) unless revoked by hand. PimBridge retries as fences lift.",
                    Facts = new Dictionary<string, string> { ["fence"] = fence.Id, ["permissionSet"] = permissionSet, ["user"] = fence.UserId },
                });
            }

            // With fences still waiting for capacity, stay pending and look again later.
            change.Intents.Add(result.Overflow.Count == 0
                ? intent with { State = IntentState.Done, CompletedAt = confirmed }
                : intent with { NextAttemptAt = confirmed + settings.RetryMaxDelay });
            change.Audit.Add(Audit(confirmed, "fences.synced", permissionSet, new JsonObject
            {
                ["written"] = Ids(result.Written), ["lifted"] = Ids(lifting.Select(f => f.Id)), ["overflow"] = Ids(result.Overflow),
                ["changed"] = changed,
            }));
            return change;
        }
        finally
        {
            await store.ReleaseLeaseAsync(lease, _owner, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A deleted permission set's roles are gone, and every session they issued with them: nothing is left to fence, so
    /// its fences are lifted at once rather than retried forever. Nothing in AWS changes (there is nothing to change),
    /// and a role that somehow outlived it would still carry the last policy provisioned, fences included.
    /// </summary>
    private static StateChange FencesOfDeletedPermissionSet(Intent intent, IReadOnlyList<SessionFence> open, PermissionSetDeletedException gone, DateTimeOffset now)
    {
        var change = new StateChange();
        foreach (var fence in open)
            change.Fences.Add(fence with { State = FenceState.Lifted, LiftedAt = now });
        change.Intents.Add(intent with { State = IntentState.Done, CompletedAt = now });
        change.Audit.Add(Audit(now, "fences.dropped", gone.PermissionSetArn, new JsonObject
        {
            ["reason"] = "the permission set was deleted: its roles and their sessions are gone", ["fences"] = Ids(open.Select(f => f.Id)),
        }));
        change.Alerts.Add(new Alert
        {
            Id = $"permission-set-deleted|{gone.PermissionSetArn}",
            At = now,
            Severity = AlertSeverity.Warning,
            Kind = "permission-set-deleted",
            Subject = gone.PermissionSetArn,
            Message = $"The permission set {gone.PermissionSetArn} was deleted in Identity Center. Its roles, and every session they issued, went with it, so PimBridge dropped its {open.Count} open fence(s). Mappings to it can no longer grant access: remove them from the configuration.",
            Facts = new Dictionary<string, string> { ["permissionSet"] = gone.PermissionSetArn, ["fences"] = open.Count.ToString(CultureInfo.InvariantCulture) },
        });
        return change;
    }

    // ---------------------------------------------------------------- metrics

    /// <summary>The alerts of a change the store does not hold yet: a repeated alert (same id) is raised only once.</summary>
    private async Task<List<Alert>> NewAlertsAsync(StateChange change, CancellationToken cancellationToken)
    {
        var alerts = new List<Alert>();
        foreach (var alert in change.Alerts)
        {
            if (await store.GetAlertAsync(alert.Id, cancellationToken).ConfigureAwait(false) is null)
                alerts.Add(alert);
        }

        return alerts;
    }

    private static void CountAlerts(IEnumerable<Alert> alerts)
    {
        foreach (var alert in alerts)
            AlertsRaised.Add(1, new KeyValuePair<string, object?>("kind", alert.Kind), new KeyValuePair<string, object?>("severity", alert.Severity.ToString().ToLowerInvariant()));
    }

    /// <summary>Counts, once committed, the fences a removal planned and those a policy write put in place or lifted.</summary>
    private static void CountFences(IntentKind kind, StateChange change)
    {
        if (kind == IntentKind.RemoveEntitlement)
        {
            var planned = change.Audit.Count(a => a.Kind == "fence.planned");
            if (planned > 0) FencesPlanned.Add(planned);
        }
        else if (kind == IntentKind.SyncFences)
        {
            // A fences sync changes exactly the fences it wrote (pending → active) and lifted.
            var activated = change.Fences.Count(f => f.State == FenceState.Active);
            var lifted = change.Fences.Count(f => f.State == FenceState.Lifted);
            if (activated > 0) FencesActivated.Add(activated);
            if (lifted > 0) FencesLifted.Add(lifted);
        }
    }

    // ---------------------------------------------------------------- helpers

    // ---------------------------------------------------------------- drift repairs

    /// <summary>
    /// Records the repair of a drift the sweep found, as the intents a grant or an expiry would write, so the tick
    /// carries it out like any other work (and a removal still fences). Only if the record the drift was judged
    /// against is unchanged: false when it moved on meanwhile (the engine is at work on it; the next sweep looks again).
    /// Standing access is recorded as an alert, once, and never touched.
    /// </summary>
    public async Task<bool> RepairAsync(Drift drift, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var change = new StateChange();
        var user = drift.Entry?.UserName ?? drift.Entitlement?.UserId ?? drift.Fence?.UserName ?? "";
        switch (drift.Kind)
        {
            case DriftKind.StandingAccess:
                var standingId = StandingAccessAlertId(drift.Subject);
                if (await store.GetAlertAsync(standingId, cancellationToken).ConfigureAwait(false) is not null) return false;
                change.Alerts.Add(new Alert
                {
                    Id = standingId, At = now, Severity = AlertSeverity.Info, Kind = "standing-access", Subject = user,
                    Message = $"{user} holds {Describe(drift.Entitlement!)}, access PimBridge did not create (a person, Terraform or SCIM). PimBridge will never remove or fence it; remove it where it is managed if it should not stand.",
                    Facts = new Dictionary<string, string> { ["entitlement"] = drift.Subject, ["user"] = drift.Entitlement!.UserId },
                });
                change.Audit.Add(Audit(now, "drift.standing-access", drift.Subject, new JsonObject { ["finding"] = drift.Finding }));
                break;

            case DriftKind.Orphan when drift.Entry is { } entry:
                // Not confirmed absent any more: without RemovedAt the removal treats the access as PimBridge's and fences.
                change.Ledger.Add(entry with { Status = EntitlementStatus.Removing, RemovedAt = null });
                await EnsureIntentAsync(change, IntentKind.RemoveEntitlement, entry.Key, now, cancellationToken).ConfigureAwait(false);
                change.Alerts.Add(DriftAlert(drift, now, AlertSeverity.Warning, "orphaned-access", user,
                    $"{user} still held {Describe(entry.Entitlement)}, which PimBridge created and no live grant needs ({drift.Finding}). PimBridge is removing it and fencing the sessions it issued."));
                break;

            case DriftKind.MissingAccess when drift.Entry is { } entry:
                change.Ledger.Add(entry with { Status = EntitlementStatus.Applying });
                await EnsureIntentAsync(change, IntentKind.ApplyEntitlement, entry.Key, now, cancellationToken).ConfigureAwait(false);
                change.Alerts.Add(DriftAlert(drift, now, AlertSeverity.Warning, "access-missing", user,
                    $"{user}'s live grant should give {Describe(entry.Entitlement)}, but it is gone from IAM Identity Center ({drift.Finding}): another hand removed it. PimBridge is restoring it."));
                break;

            case DriftKind.MissingFence when drift.Fence is { } fence:
                // Not in force, so not Active: the sync writes and provisions it again and confirms before marking it so.
                change.Fences.Add(fence with { State = FenceState.Pending, ActiveSince = null });
                await EnsureIntentAsync(change, IntentKind.SyncFences, fence.PermissionSetArn, now, cancellationToken).ConfigureAwait(false);
                change.Alerts.Add(DriftAlert(drift, now, AlertSeverity.Critical, "fence-missing", fence.UserName,
                    $"The fence on {fence.UserName}'s sessions in {fence.PermissionSetName ?? fence.PermissionSetArn} is not in force everywhere ({drift.Finding}): sessions issued before {Iso(fence.Cutoff)} may act. PimBridge is writing and provisioning it again."));
                break;

            default:
                throw new ArgumentException($"A {drift.Kind} drift needs the record it was judged against.", nameof(drift));
        }

        if (drift.Kind != DriftKind.StandingAccess)
            change.Audit.Add(Audit(now, "drift.repair", drift.Subject, new JsonObject { ["kind"] = drift.Kind.ToString(), ["finding"] = drift.Finding }));

        try
        {
            await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            return false;
        }

        foreach (var alert in change.Alerts)
            AlertsRaised.Add(1, new KeyValuePair<string, object?>("kind", alert.Kind), new KeyValuePair<string, object?>("severity", alert.Severity.ToString()));
        return true;
    }

    /// <summary>The one alert that records another hand's access to an entitlement: raised once, whoever finds it first.</summary>
    internal static string StandingAccessAlertId(string entitlementKey) => $"standing-access|{entitlementKey}";

    private static Alert DriftAlert(Drift drift, DateTimeOffset now, AlertSeverity severity, string kind, string subject, string message) => new()
    {
        Id = $"{kind}|{drift.Subject}|{now.ToUnixTimeMilliseconds()}", At = now, Severity = severity, Kind = kind, Subject = subject, Message = message,
        Facts = new Dictionary<string, string> { ["drift"] = drift.Kind.ToString(), ["subject"] = drift.Subject, ["finding"] = drift.Finding },
    };

    /// <summary>
    /// Queues work unless an intent for the same subject is already due. One that is claimed or backing off is left
    /// alone (touching it would break its executor's confirm); a new one runs now and finds the work done or not.
    /// A due one that this change gives new state to (a fence, a ledger entry) is touched: its claim may have expired
    /// while an executor that read the state before this change is still at work, and the touch makes that
    /// executor's confirm fail, so the intent runs again and sees the new state instead of finishing without it.
    /// </summary>
    private async Task EnsureIntentAsync(StateChange change, IntentKind kind, string subject, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (change.Intents.Any(i => i.Kind == kind && i.Subject == subject && i.State == IntentState.Pending && i.NextAttemptAt <= now))
            return;
        var pending = await store.GetPendingIntentsAsync(kind, subject, cancellationToken).ConfigureAwait(false);
        if (pending.FirstOrDefault(i => i.NextAttemptAt <= now) is { } due)
        {
            if (!change.IsEmpty && change.Intents.All(i => i.Id != due.Id))
                change.Intents.Add(due); // written as it is: the version moves on
            return;
        }

        change.Intents.Add(new Intent
        {
            Id = NewIntentId(now),
            Kind = kind,
            Subject = subject,
            CreatedAt = now,
            NextAttemptAt = now,
        });
    }

    /// <summary>
    /// Unique because the owner is (one process's own id, as its leases require); derived rather than random so that a
    /// seeded run orders the intents of a tick the same way every time and a failing schedule replays exactly.
    /// </summary>
    private string NewIntentId(DateTimeOffset now)
    {
        var sequence = Interlocked.Increment(ref _intentsCreated);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{_owner}\n{now.UtcTicks}\n{sequence}")));
        return "i-" + Convert.ToHexStringLower(digest.AsSpan(0, 16));
    }

    /// <summary>Runs a read-decide-commit step again when a concurrent writer changed what it read.</summary>
    private static async Task RetryOnConflict(Func<CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await step(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException) when (attempt < CommitAttempts)
            {
            }
        }
    }

    private static string FenceId(string userId, string permissionSetArn, DateTimeOffset cutoff) =>
        "f-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{userId}|{permissionSetArn}|{cutoff.ToUnixTimeSeconds()}")))[..24];

    private static DateTimeOffset CeilingToMinute(DateTimeOffset value) => Ceiling(value, TimeSpan.TicksPerMinute);

    /// <summary>
    /// A cutoff the policy can state: aws:TokenIssueTime is written to the second, so a cutoff is rounded up, never
    /// down (down would let sessions minted in that second, before the cutoff, through).
    /// </summary>
    private static DateTimeOffset CutoffAt(DateTimeOffset value) => Ceiling(value, TimeSpan.TicksPerSecond);

    private static DateTimeOffset Ceiling(DateTimeOffset value, long ticks) => new((value.UtcTicks + ticks - 1) / ticks * ticks, TimeSpan.Zero);

    private static AuditRecord Audit(DateTimeOffset at, string kind, string subject, JsonObject data) =>
        new(at, kind, subject, data.ToJsonString());

    private static JsonArray Ids(IEnumerable<string> ids) => new(ids.Select(i => (JsonNode)JsonValue.Create(i)).ToArray());

    private static string Iso(DateTimeOffset value) => FencePolicy.Iso(value);

    private static int Priority(IntentKind kind) => kind switch
    {
        IntentKind.RemoveEntitlement => 0,
        IntentKind.SyncFences => 1,
        IntentKind.ApplyEntitlement => 2,
        IntentKind.ReconcileGroup => 3,
        _ => 4,
    };

    private static string Describe(IntentKind kind) => kind switch
    {
        IntentKind.ApplyEntitlement => "apply",
        IntentKind.RemoveEntitlement => "remove",
        IntentKind.ReconcileGroup => "reconcile the PIM group",
        IntentKind.Notify => "send the notification",
        _ => "update the fences of",
    };
}
