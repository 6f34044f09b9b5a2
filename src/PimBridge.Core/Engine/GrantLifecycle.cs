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
    /// <remarks>
    /// Applied, it takes access away first (stops and moved ends need no lookup), then grants each new principal as
    /// soon as that principal is looked up: in a burst the Identity Store quota paces the lookups (two calls per new
    /// user), and the first engineer's access must not wait for the hundredth engineer's lookup.
    /// </remarks>
    public async Task<ReconcileResult> ReconcileAsync(PimSnapshot snapshot, bool dryRun = false, DateTimeOffset? seenAt = null, CancellationToken cancellationToken = default)
    {
        var now = engine.Time.GetUtcNow();
        var active = await engine.Store.GetActiveGrantsForGroupsAsync(snapshot.GroupIds, cancellationToken).ConfigureAwait(false);
        var windows = Reconciler.Windows(snapshot, engine.Mappings, now);
        var candidates = windows.WithoutGrants(active);
        var failures = new ReconcileFailures();
        if (dryRun)
        {
            var lookedUp = await LookUpAsync(candidates, failures, cancellationToken).ConfigureAwait(false);
            var plan = Reconciler.Plan(windows.Except(lookedUp.Unread), engine.Mappings, active, lookedUp.Users, now, lookedUp.Identities);
            failures.ThrowFirst();
            return new ReconcileResult(plan, Applied: false);
        }

        // Only windows without a grant are looked up, so leaving them out of this plan never reads as a deactivation.
        var known = Reconciler.Plan(windows.Except([.. candidates.Select(w => w.Slot)]), engine.Mappings, active, EmptyUsers, now);
        foreach (var stop in known.Stops)
            await failures.TryAsync(() => ConflictRetry.RunAsync(ct => EndGrantAsync(stop.Grant.Id, now, stop.Reason, ct), cancellationToken)).ConfigureAwait(false);
        foreach (var change in known.EndChanges)
            await failures.TryAsync(() => ConflictRetry.RunAsync(ct => MoveGrantEndAsync(change, now, ct), cancellationToken)).ConfigureAwait(false);

        var newGrants = new List<Grant>();
        var unmapped = new List<UnmappedPrincipal>();
        var suppressed = new List<GrantWindow>();
        foreach (var window in candidates)
        {
            var lookedUp = await LookUpAsync([window], failures, cancellationToken).ConfigureAwait(false);
            if (lookedUp.Unread.Count > 0)
                continue;
            var plan = Reconciler.Plan(windows.Only(window.Slot), engine.Mappings, [], lookedUp.Users, now, lookedUp.Identities);
            foreach (var grant in plan.NewGrants)
                await failures.TryAsync(() => ConflictRetry.RunAsync(ct => StartGrantAsync(grant with { FirstSeenAt = seenAt ?? now }, now, ct), cancellationToken)).ConfigureAwait(false);
            foreach (var missing in plan.Unmapped)
                await failures.TryAsync(() => RaiseUnmappedAsync(missing, now, cancellationToken)).ConfigureAwait(false);
            newGrants.AddRange(plan.NewGrants);
            unmapped.AddRange(plan.Unmapped);
            suppressed.AddRange(plan.Suppressed);
        }

        failures.ThrowFirst();
        return new ReconcileResult(Reconciler.Combine(known, newGrants, unmapped, suppressed), Applied: true);
    }

    private static readonly IReadOnlyDictionary<string, IdentityCenterUser?> EmptyUsers = new Dictionary<string, IdentityCenterUser?>();

    /// <summary>
    /// Looks up the grant identity and the Identity Center user of each window (users once per principal). One
    /// principal whose lookup fails waits for the next reconcile and is listed as unread; the others go ahead.
    /// </summary>
    private async Task<Lookups> LookUpAsync(IReadOnlyList<GrantWindow> windows, ReconcileFailures failures, CancellationToken cancellationToken)
    {
        var lookups = new Lookups([], new Dictionary<GrantSlot, GrantIdentity>(), new Dictionary<string, IdentityCenterUser?>(StringComparer.Ordinal));
        foreach (var window in windows)
        {
            if (!await failures.TryAsync(async () =>
                {
                    var identity = await IdentityForAsync(window, cancellationToken).ConfigureAwait(false);
                    if (identity is not null) lookups.Identities[window.Slot] = identity;
                    if (identity is { GrantId: null } || lookups.Users.ContainsKey(window.Principal.Id)) return;
                    lookups.Users[window.Principal.Id] = await engine.Aws.Users.FindAsync(window.Principal, cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false))
                lookups.Unread.Add(window.Slot);
        }

        return lookups;
    }

    private sealed record Lookups(List<GrantSlot> Unread, Dictionary<GrantSlot, GrantIdentity> Identities, Dictionary<string, IdentityCenterUser?> Users);

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
