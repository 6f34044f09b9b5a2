using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using static PimBridge.Core.Engine.EngineRecords;

namespace PimBridge.Core.Engine;

/// <summary>Gives a held entitlement in AWS, tells PimBridge's access from another hand's, and confirms grants whose access is live.</summary>
internal sealed class ApplyEntitlementHandler(EngineContext engine) : IIntentHandler
{
    public IntentKind Kind => IntentKind.ApplyEntitlement;

    public async Task<StateChange?> HandleAsync(IntentRun run, CancellationToken cancellationToken)
    {
        var intent = run.Intent;
        var change = new StateChange();
        var entry = await engine.Store.GetLedgerEntryAsync(intent.Subject, cancellationToken).ConfigureAwait(false);
        var now = engine.Time.GetUtcNow();
        if (entry is not { IsHeld: true })
        {
            change.Intents.Add(intent with { State = IntentState.Superseded, CompletedAt = now });
            // A run of this intent may have created the access after its last holder left (a second engine, a
            // creation that outlived the client's wait): make sure a removal looks.
            if (entry is { Standing: false } && intent.ActedAt is not null)
                await engine.Intents.EnsureAsync(change, IntentKind.RemoveEntitlement, entry.Key, now, cancellationToken).ConfigureAwait(false);
            return change;
        }

        var ourTryBefore = MayBeOurs(entry);
        var outcome = await engine.Aws.Entitlements.GrantAsync(entry.Entitlement, async ct =>
            (intent, entry) = await run.MarkActingAsync(entry with { CreateAttemptedAt = engine.Time.GetUtcNow() }, ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        now = engine.Time.GetUtcNow();
        if (outcome == EntitlementChange.Found && entry.DeleteAttemptedAt is { } deleting && deleting > (entry.RemovedAt ?? DateTimeOffset.MinValue)
            && now < deleting + engine.Settings.OperationSettleTime)
        {
            // A deletion PimBridge started may still be running and take this access away: look again once it must have settled.
            change.Intents.Add(intent with { NextAttemptAt = deleting + engine.Settings.OperationSettleTime });
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

    /// <summary>Per permission set the entitlement reaches, the longer of its session duration now and as recorded before.</summary>
    private async Task<Dictionary<string, TimeSpan>> SessionDurationsAsync(LedgerEntry entry, CancellationToken cancellationToken)
    {
        var durations = new Dictionary<string, TimeSpan>(entry.SessionDurations ?? new Dictionary<string, TimeSpan>(), StringComparer.Ordinal);
        foreach (var permissionSet in (await engine.ReachAsync(entry.Entitlement, cancellationToken).ConfigureAwait(false)).Select(r => r.PermissionSetArn).Distinct(StringComparer.Ordinal))
        {
            var duration = await engine.Aws.Directory.GetSessionDurationAsync(permissionSet, cancellationToken).ConfigureAwait(false);
            if (!durations.TryGetValue(permissionSet, out var seen) || duration > seen) durations[permissionSet] = duration;
        }

        return durations;
    }

    /// <summary>
    /// After the confirmation is written, looks again: two applies of one grant finishing side by side each saw the
    /// other not yet applied, and neither stamped the grant. The last of them to commit sees both applied here.
    /// </summary>
    public async Task AfterCommitAsync(StateChange committed, CancellationToken cancellationToken)
    {
        var applied = committed.Ledger.Where(e => e.Status == EntitlementStatus.Applied).ToList();
        var confirmed = committed.Grants.Where(g => g.AccessConfirmedAt is not null).Select(g => g.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var holder in applied.SelectMany(e => e.Holders).Distinct(StringComparer.Ordinal).Where(h => !confirmed.Contains(h)))
        {
            await ConflictRetry.RunAsync(async ct =>
            {
                var grant = await engine.Store.GetGrantAsync(holder, ct).ConfigureAwait(false);
                if (grant is not { State: GrantState.Active, AccessConfirmedAt: null }
                    || !await OthersAppliedAsync(grant, applied.Select(e => e.Key), ct).ConfigureAwait(false))
                    return;
                var change = new StateChange();
                Confirm(change, grant, engine.Time.GetUtcNow());
                await engine.Store.CommitAsync(change, ct).ConfigureAwait(false);
                EngineMetrics.AccessConfirmed(change);
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stamps holder grants whose every entitlement is now applied: their access is live.</summary>
    private async Task ConfirmAccessAsync(StateChange change, LedgerEntry applied, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var holder in applied.Holders)
        {
            var grant = await engine.Store.GetGrantAsync(holder, cancellationToken).ConfigureAwait(false);
            if (grant is { State: GrantState.Active, AccessConfirmedAt: null } && await OthersAppliedAsync(grant, [applied.Key], cancellationToken).ConfigureAwait(false))
                Confirm(change, grant, now);
        }
    }

    /// <summary>Whether every entitlement of the grant other than <paramref name="known"/> (applied already) is applied in the store.</summary>
    private async Task<bool> OthersAppliedAsync(Grant grant, IEnumerable<string> known, CancellationToken cancellationToken)
    {
        var skip = known.ToHashSet(StringComparer.Ordinal);
        foreach (var key in grant.EntitlementKeys.Where(k => !skip.Contains(k)))
        {
            if ((await engine.Store.GetLedgerEntryAsync(key, cancellationToken).ConfigureAwait(false))?.Status != EntitlementStatus.Applied)
                return false;
        }

        return true;
    }

    private void Confirm(StateChange change, Grant grant, DateTimeOffset now)
    {
        change.Grants.Add(grant with { AccessConfirmedAt = now });
        engine.Outbox.EnqueueAccessLive(change, grant, now);
    }
}
