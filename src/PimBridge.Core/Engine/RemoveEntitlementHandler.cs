using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using static PimBridge.Core.Engine.EngineRecords;

namespace PimBridge.Core.Engine;

/// <summary>Takes away access no grant holds any more, if it may be PimBridge's, and has the sessions it issued fenced.</summary>
internal sealed class RemoveEntitlementHandler(EngineContext engine, FencePlanner fencePlanner) : IIntentHandler
{
    public IntentKind Kind => IntentKind.RemoveEntitlement;

    public async Task<StateChange?> HandleAsync(IntentRun run, CancellationToken cancellationToken)
    {
        var intent = run.Intent;
        var change = new StateChange();
        var entry = await engine.Store.GetLedgerEntryAsync(intent.Subject, cancellationToken).ConfigureAwait(false);
        var now = engine.Time.GetUtcNow();
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
                await fencePlanner.RefenceWhatWasCutBackAsync(change, entry, now, cancellationToken).ConfigureAwait(false);
            return change;
        }

        var wasRemoved = entry.Status == EntitlementStatus.Removed;
        // PimBridge sent a removal after its last creation was confirmed (an earlier run of this removal, whose
        // confirmation was lost to a conflict or a crash): nothing found now is that removal's doing, not a listing
        // lagging behind a creation, so there is nothing to wait for.
        var removedSinceConfirmedCreation = entry is { CreateAttemptedAt: { } created, AppliedAt: { } applied, DeleteAttemptedAt: { } deleted }
            && applied >= created && deleted >= applied;
        var outcome = await engine.Aws.Entitlements.RevokeAsync(entry.Entitlement, async ct =>
            (intent, entry) = await run.MarkActingAsync(entry with { DeleteAttemptedAt = engine.Time.GetUtcNow() }, ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        var confirmed = engine.Time.GetUtcNow();
        if (outcome == EntitlementChange.Found && !removedSinceConfirmedCreation
            && entry.CreateAttemptedAt is { } creating && creating >= (entry.RemovedAt ?? DateTimeOffset.MinValue)
            && confirmed < creating + engine.Settings.OperationSettleTime)
        {
            // Not listed so soon after PimBridge's own create may be a listing that lags: look again once it must have settled.
            change.Intents.Add(intent with { NextAttemptAt = creating + engine.Settings.OperationSettleTime });
            return change;
        }

        change.Intents.Add(intent with { State = IntentState.Done, CompletedAt = confirmed });
        change.Ledger.Add(entry with { Status = EntitlementStatus.Removed, RemovedAt = confirmed });
        change.Audit.Add(Audit(confirmed, "entitlement.removed", entry.Key, new JsonObject()));
        if (wasRemoved && outcome == EntitlementChange.Found)
            return change; // a second look at access already removed and fenced: nothing was there
        engine.Outbox.EnqueueAccessRemoved(change, entry, confirmed);
        if (entry.FenceOnRemoval)
            await fencePlanner.PlanFencesAsync(change, entry, confirmed, cancellationToken).ConfigureAwait(false);
        return change;
    }
}
