using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using static PimBridge.Core.Engine.EngineRecords;

namespace PimBridge.Core.Engine;

/// <summary>
/// Applies reconcile plans: reads what a PIM snapshot means for grants, then starts, moves and ends grants and records
/// principals with no Identity Center user, each as one commit that queues the intents the tick carries out.
/// </summary>
internal sealed class GrantLifecycle(EngineContext engine, FencePlanner fencePlanner)
{
    /// <summary>Reads the groups from PIM and reconciles them (the poll, and the execution of hints).</summary>
    public async Task<ReconcileResult> ReconcileGroupsAsync(IReadOnlyCollection<string> groupIds, bool dryRun = false, DateTimeOffset? seenAt = null, CancellationToken cancellationToken = default)
    {
        var source = engine.Pim ?? throw new InvalidOperationException("No PIM source is configured, so groups cannot be read from PIM.");
        var snapshot = await source.GetSnapshotAsync(groupIds, cancellationToken).ConfigureAwait(false);
        return await ReconcileAsync(snapshot, dryRun, seenAt, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reconciles PIM's snapshot of some groups. With <paramref name="dryRun"/>, only plans.</summary>
    /// <param name="seenAt">When PimBridge first learned of these activations (a hint's arrival); now when null.</param>
    public async Task<ReconcileResult> ReconcileAsync(PimSnapshot snapshot, bool dryRun = false, DateTimeOffset? seenAt = null, CancellationToken cancellationToken = default)
    {
        var now = engine.Time.GetUtcNow();
        var active = await engine.Store.GetActiveGrantsForGroupsAsync(snapshot.GroupIds, cancellationToken).ConfigureAwait(false);
        var windows = Reconciler.Windows(snapshot, engine.Mappings, now);
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
                    users[window.Principal.Id] = await engine.Aws.Users.FindAsync(window.Principal, cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false))
                unread.Add(window.Slot);
        }

        var plan = Reconciler.Plan(windows.Except(unread), engine.Mappings, active, users, now, identities);
        if (dryRun || plan.IsEmpty)
        {
            failures.ThrowFirst();
            return new ReconcileResult(plan, Applied: !dryRun);
        }

        // Taking access away first; each step on its own, so one that fails holds up none of the others.
        foreach (var stop in plan.Stops)
            await failures.TryAsync(() => ConflictRetry.RunAsync(ct => EndGrantAsync(stop.Grant.Id, now, stop.Reason, ct), cancellationToken)).ConfigureAwait(false);
        foreach (var change in plan.EndChanges)
            await failures.TryAsync(() => ConflictRetry.RunAsync(ct => MoveGrantEndAsync(change, now, ct), cancellationToken)).ConfigureAwait(false);
        foreach (var grant in plan.NewGrants)
            await failures.TryAsync(() => ConflictRetry.RunAsync(ct => StartGrantAsync(grant with { FirstSeenAt = seenAt ?? now }, now, ct), cancellationToken)).ConfigureAwait(false);
        foreach (var missing in plan.Unmapped)
            await failures.TryAsync(() => RaiseUnmappedAsync(missing, now, cancellationToken)).ConfigureAwait(false);
        failures.ThrowFirst();
        return new ReconcileResult(plan, Applied: true);
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
        while (await engine.Store.GetGrantAsync(id, cancellationToken).ConfigureAwait(false) is { State: GrantState.Ended } previous)
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
        var now = engine.Time.GetUtcNow();
        var grants = await engine.Store.ListGrantsAsync(activeOnly: true, user, cancellationToken).ConfigureAwait(false);
        foreach (var grant in grants)
            await ConflictRetry.RunAsync(ct => EndGrantAsync(grant.Id, now, $"{EndReasons.Revoked}: {reason}", ct), cancellationToken).ConfigureAwait(false);
        return grants;
    }

    public async Task StartGrantAsync(Grant grant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await engine.Store.GetGrantAsync(grant.Id, cancellationToken).ConfigureAwait(false) is not null)
            return; // started by a concurrent reconcile
        var mapping = engine.MappingsByName[grant.Mapping];
        var change = new StateChange();
        change.Grants.Add(grant);
        foreach (var entitlement in mapping.EntitlementsFor(grant.User.UserId))
        {
            var entry = await engine.Store.GetLedgerEntryAsync(entitlement.Key, cancellationToken).ConfigureAwait(false);
            var holders = (entry?.Holders ?? []).Append(grant.Id).Distinct().ToList();
            var fence = (entry?.IsHeld == true && entry.FenceOnRemoval) || mapping.Rule.FenceSessions;
            var needsApply = entry is null || entry.Status is EntitlementStatus.Removing or EntitlementStatus.Removed;
            change.Ledger.Add(entry is null
                ? new LedgerEntry { Entitlement = entitlement, Holders = holders, Status = EntitlementStatus.Applying, FenceOnRemoval = fence, UserName = grant.User.UserName }
                : entry with { Holders = holders, FenceOnRemoval = fence, UserName = grant.User.UserName, Status = needsApply ? EntitlementStatus.Applying : entry.Status });
            if (needsApply)
                await engine.Intents.EnsureAsync(change, IntentKind.ApplyEntitlement, entitlement.Key, now, cancellationToken).ConfigureAwait(false);
        }

        await fencePlanner.PullBackFencesAsync(change, grant, mapping, now, cancellationToken).ConfigureAwait(false);
        engine.Outbox.EnqueueExpiresSoon(change, grant, now);
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
        await engine.Store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        EngineMetrics.GrantStarted(grant);
    }

    /// <summary>The PIM request behind the grant, for the audit log. Best effort: its absence never holds up access.</summary>
    private async Task<ActivationRequest?> ActivationRequestAsync(Grant grant, CancellationToken cancellationToken)
    {
        if (engine.Pim is null) return null;
        try
        {
            var activation = new Activation(grant.ActivationId, grant.Principal, grant.GroupId, grant.Access,
                grant.ActivationStart ?? grant.Start, grant.End, ScheduleId: grant.ActivationScheduleId);
            return await engine.Pim.GetActivationRequestAsync(activation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new ActivationRequest("unavailable", $"(the PIM request could not be read: {ex.Message})", null, null, null);
        }
    }

    public async Task MoveGrantEndAsync(GrantEndChange change, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var grant = await engine.Store.GetGrantAsync(change.Grant.Id, cancellationToken).ConfigureAwait(false);
        if (grant is not { State: GrantState.Active } || grant.End == change.NewEnd)
            return;
        var state = new StateChange();
        state.Grants.Add(grant with { End = change.NewEnd, ActivationId = change.NewActivationId });
        engine.Outbox.EnqueueExpiresSoon(state, grant with { End = change.NewEnd }, now);
        state.Audit.Add(Audit(now, change.IsExtension ? "grant.extended" : "grant.shortened", grant.Id, new JsonObject
        {
            ["from"] = grant.End is { } f ? Iso(f) : null, ["to"] = change.NewEnd is { } t ? Iso(t) : null, ["activation"] = change.NewActivationId,
        }));
        await engine.Store.CommitAsync(state, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends a grant: it lets go of its entitlements, and those it held last are queued for removal.</summary>
    public async Task EndGrantAsync(string grantId, DateTimeOffset at, string reason, CancellationToken cancellationToken)
    {
        var grant = await engine.Store.GetGrantAsync(grantId, cancellationToken).ConfigureAwait(false);
        if (grant is not { State: GrantState.Active })
            return;
        var change = new StateChange();
        change.Grants.Add(grant with { State = GrantState.Ended, EndedAt = at, EndReason = reason });
        foreach (var key in grant.EntitlementKeys)
        {
            var entry = await engine.Store.GetLedgerEntryAsync(key, cancellationToken).ConfigureAwait(false);
            if (entry is null) continue;
            var holders = entry.Holders.Where(h => h != grant.Id).ToList();
            var removeNow = holders.Count == 0 && entry.Status is EntitlementStatus.Applied or EntitlementStatus.Applying;
            change.Ledger.Add(entry with { Holders = holders, Status = removeNow ? EntitlementStatus.Removing : entry.Status });
            if (removeNow)
                await engine.Intents.EnsureAsync(change, IntentKind.RemoveEntitlement, key, at, cancellationToken).ConfigureAwait(false);
        }

        change.Audit.Add(Audit(at, "grant.ended", grant.Id, new JsonObject
        {
            ["reason"] = reason, ["user"] = grant.User.UserId, ["userName"] = grant.User.UserName,
            ["end"] = grant.End is { } e ? Iso(e) : null,
        }));
        await engine.Store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        EngineMetrics.GrantEnded(grant, reason);
    }

    public async Task RaiseUnmappedAsync(UnmappedPrincipal missing, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Every poll sees the principal again: alert and audit once, not every 30 seconds.
        var id = $"unmapped-user|{missing.Principal.Id}|{missing.Mapping}";
        if (await engine.Store.GetAlertAsync(id, cancellationToken).ConfigureAwait(false) is not null)
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
            Message = $"{who} activated Entra group {missing.GroupId} (mapping {missing.Mapping}) but has no IAM Identity Center user (matched by {engine.Aws.Users.Describe}); no AWS access was granted. Create or sync the user, or change the identity mapping attribute.",
            Facts = new Dictionary<string, string> { ["principal"] = missing.Principal.Id, ["mapping"] = missing.Mapping, ["group"] = missing.GroupId, ["attribute"] = engine.Aws.Users.Describe },
        });
        engine.Outbox.EnqueueAlert(change, change.Alerts[^1], now);
        change.Audit.Add(Audit(now, "grant.unmapped-user", missing.Principal.Id, new JsonObject
        {
            ["mapping"] = missing.Mapping, ["group"] = missing.GroupId, ["upn"] = missing.Principal.UserPrincipalName, ["mail"] = missing.Principal.Mail,
            ["attribute"] = engine.Aws.Users.Describe,
        }));
        await engine.Store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        EngineMetrics.CountAlerts(change.Alerts);
    }
}
