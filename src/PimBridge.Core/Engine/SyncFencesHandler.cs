using System.Globalization;
using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;
using static PimBridge.Core.Engine.EngineRecords;

namespace PimBridge.Core.Engine;

/// <summary>Writes a permission set's fences into its inline policy and lifts those whose sessions have expired.</summary>
internal sealed class SyncFencesHandler(EngineContext engine) : IIntentHandler
{
    public IntentKind Kind => IntentKind.SyncFences;

    /// <summary>Brings one permission set's inline policy in line with its fences, under a lease so writers never interleave.</summary>
    public async Task<StateChange?> HandleAsync(IntentRun run, CancellationToken cancellationToken)
    {
        var intent = run.Intent;
        var permissionSet = intent.Subject;
        var lease = "fences|" + permissionSet;
        var now = engine.Time.GetUtcNow();
        if (!await engine.Store.TryAcquireLeaseAsync(lease, engine.Owner, now, engine.Settings.ClaimTimeout, cancellationToken).ConfigureAwait(false))
            return null; // another instance is writing this policy; our claim expires and we look again

        try
        {
            var roomBefore = await engine.Store.GetCheckpointAsync(PolicyRoom.CheckpointName(permissionSet), cancellationToken).ConfigureAwait(false);
            var open = await engine.Store.GetOpenFencesForPermissionSetAsync(permissionSet, cancellationToken).ConfigureAwait(false);
            var wanted = open.Where(f => f.State is FenceState.Pending or FenceState.Active && f.Until > now)
                .OrderBy(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal).ToList();
            var lifting = open.Where(f => f.State == FenceState.Lifting || (f.State is FenceState.Pending or FenceState.Active && f.Until <= now)).ToList();

            string? current;
            try
            {
                current = await engine.Aws.Policies.GetInlinePolicyAsync(permissionSet, cancellationToken).ConfigureAwait(false);
            }
            catch (PermissionSetDeletedException gone)
            {
                return FencesOfDeletedPermissionSet(intent, open, gone, now);
            }

            var result = FencePolicy.Merge(permissionSet, current, wanted);
            var changed = !FencePolicy.AreEquivalent(current, result.Policy);
            if (changed)
                await engine.Aws.Policies.WriteInlinePolicyAsync(permissionSet, result.Policy, cancellationToken).ConfigureAwait(false);
            else
                await engine.Aws.Policies.ProvisionWhereStaleAsync(permissionSet, cancellationToken).ConfigureAwait(false); // an earlier write's provisioning may have failed

            // Confirm after acting: what the roles now carry is this document only if nobody wrote in between.
            if (!FencePolicy.AreEquivalent(await engine.Aws.Policies.GetInlinePolicyAsync(permissionSet, cancellationToken).ConfigureAwait(false), result.Policy))
                throw new InvalidOperationException($"The inline policy of {permissionSet} changed while PimBridge was writing its fences (another writer); they are written again.");
            var confirmed = engine.Time.GetUtcNow();

            var change = new StateChange();
            var written = result.Written.ToHashSet(StringComparer.Ordinal);
            foreach (var fence in wanted.Where(f => f.State == FenceState.Pending && written.Contains(f.Id)))
                change.Fences.Add(fence with { State = FenceState.Active, ActiveSince = confirmed });
            foreach (var fence in lifting)
                change.Fences.Add(fence with { State = FenceState.Lifted, LiftedAt = confirmed });
            foreach (var id in result.Overflow)
                change.Alerts.Add(FenceCapacityAlert.For(wanted.First(f => f.Id == id), confirmed));
            // With fences still waiting for capacity, stay pending and look again later.
            change.Intents.Add(result.Overflow.Count == 0
                ? intent with { State = IntentState.Done, CompletedAt = confirmed }
                : intent with { NextAttemptAt = confirmed + engine.Settings.RetryMaxDelay });
            change.Audit.Add(Audit(confirmed, "fences.synced", permissionSet, new JsonObject
            {
                ["written"] = Ids(result.Written), ["lifted"] = Ids(lifting.Select(f => f.Id)), ["overflow"] = Ids(result.Overflow),
                ["changed"] = changed,
            }));
            // Every sync records the room it leaves, at the version it read first: two syncs' records never cross.
            change.Checkpoints.Add(PolicyRoom.Record(permissionSet, roomBefore, result.Overflow.Count == 0 ? null : result.Room, confirmed));
            return change;
        }
        finally
        {
            await engine.Store.ReleaseLeaseAsync(lease, engine.Owner, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A removal that found the policy full left its new fence to wait (<see cref="PolicyRoom"/>). One that did so after
    /// this sync read the fences and committed before it did was judged against the room this sync replaces: if this
    /// sync leaves room it might fit, a new sync looks at it now rather than at the waiting sync's next look (or never,
    /// when this sync was the one waiting). Read after the commit, so such a fence is either seen here, or its removal
    /// commits after this sync and so decides against this sync's room (its commit checks the record it judged by).
    /// </summary>
    public async Task AfterCommitAsync(StateChange committed, CancellationToken cancellationToken)
    {
        var permissionSet = committed.Intents.First(i => i.Kind == IntentKind.SyncFences).Subject;
        if (committed.Checkpoints.FirstOrDefault(c => c.Name == PolicyRoom.CheckpointName(permissionSet)) is not { } room)
            return; // the permission set was deleted: its fences were dropped, none waits
        var seen = committed.Fences.Select(f => f.Id).Concat(FenceCapacityAlert.FenceIds(committed.Alerts)).ToHashSet(StringComparer.Ordinal);
        var left = PolicyRoom.Left(room);
        var open = await engine.Store.GetOpenFencesForPermissionSetAsync(permissionSet, cancellationToken).ConfigureAwait(false);
        if (!open.Any(f => f.State == FenceState.Pending && !seen.Contains(f.Id) && (left is null || FencePolicy.MightFit(f, left.Value))))
            return;
        var change = new StateChange();
        await engine.Intents.EnsureAsync(change, IntentKind.SyncFences, permissionSet, engine.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        await engine.Store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
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
}
