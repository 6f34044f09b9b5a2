using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using static PimBridge.Core.Engine.EngineRecords;

namespace PimBridge.Core.Engine;

/// <summary>Turns a drift the sweep found into the intents (or, for standing access, the alert) that repair it.</summary>
internal sealed class DriftRepairs(EngineContext engine)
{
    /// <summary>
    /// Records the repair of a drift the sweep found, as the intents a grant or an expiry would write, so the tick
    /// carries it out like any other work (and a removal still fences). Only if the record the drift was judged
    /// against is unchanged: false when it moved on meanwhile (the engine is at work on it; the next sweep looks again).
    /// Standing access is recorded as an alert, once, and never touched.
    /// </summary>
    public async Task<bool> RepairAsync(Drift drift, CancellationToken cancellationToken = default)
    {
        var now = engine.Time.GetUtcNow();
        var change = new StateChange();
        var user = drift.Entry?.UserName ?? drift.Entitlement?.UserId ?? drift.Fence?.UserName ?? "";
        switch (drift.Kind)
        {
            case DriftKind.StandingAccess:
                var standingId = StandingAccessAlertId(drift.Subject);
                if (await engine.Store.GetAlertAsync(standingId, cancellationToken).ConfigureAwait(false) is not null) return false;
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
                await engine.Intents.EnsureAsync(change, IntentKind.RemoveEntitlement, entry.Key, now, cancellationToken).ConfigureAwait(false);
                change.Alerts.Add(DriftAlert(drift, now, AlertSeverity.Warning, "orphaned-access", user,
                    $"{user} still held {Describe(entry.Entitlement)}, which PimBridge created and no live grant needs ({drift.Finding}). PimBridge is removing it and fencing the sessions it issued."));
                break;

            case DriftKind.MissingAccess when drift.Entry is { } entry:
                change.Ledger.Add(entry with { Status = EntitlementStatus.Applying });
                await engine.Intents.EnsureAsync(change, IntentKind.ApplyEntitlement, entry.Key, now, cancellationToken).ConfigureAwait(false);
                change.Alerts.Add(DriftAlert(drift, now, AlertSeverity.Warning, "access-missing", user,
                    $"{user}'s live grant should give {Describe(entry.Entitlement)}, but it is gone from IAM Identity Center ({drift.Finding}): another hand removed it. PimBridge is restoring it."));
                break;

            case DriftKind.MissingFence when drift.Fence is { } fence:
                // Not in force, so not Active: the sync writes and provisions it again and confirms before marking it so.
                change.Fences.Add(fence with { State = FenceState.Pending, ActiveSince = null });
                await engine.Intents.EnsureAsync(change, IntentKind.SyncFences, fence.PermissionSetArn, now, cancellationToken).ConfigureAwait(false);
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
            await engine.Store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            return false;
        }

        EngineMetrics.CountRepairAlerts(change.Alerts);
        return true;
    }

    /// <summary>Queues a sync for the permission set, with an audit record saying why; nothing in AWS changes here.</summary>
    public async Task ResumeFenceSyncAsync(string permissionSetArn, CancellationToken cancellationToken)
    {
        var now = engine.Time.GetUtcNow();
        var change = new StateChange();
        await engine.Intents.EnsureAsync(change, IntentKind.SyncFences, permissionSetArn, now, cancellationToken).ConfigureAwait(false);
        change.Audit.Add(Audit(now, "fences.resumed", permissionSetArn, new JsonObject { ["reason"] = "fences waited with no sync queued to write them" }));
        await engine.Store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
    }

    private static Alert DriftAlert(Drift drift, DateTimeOffset now, AlertSeverity severity, string kind, string subject, string message) => new()
    {
        Id = $"{kind}|{drift.Subject}|{now.ToUnixTimeMilliseconds()}", At = now, Severity = severity, Kind = kind, Subject = subject, Message = message,
        Facts = new Dictionary<string, string> { ["drift"] = drift.Kind.ToString(), ["subject"] = drift.Subject, ["finding"] = drift.Finding },
    };
}
