using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Engine;

/// <summary>
/// Keeps AWS access exactly as PIM justifies it. <see cref="ReconcileAsync"/> turns a PIM snapshot into grants and
/// ledger changes; <see cref="TickAsync"/> ends due grants, executes pending intents (write intent, act, confirm) and
/// puts and lifts session fences. Every step is idempotent, so a crash anywhere converges on the next tick, and every
/// schedule runs on the injected clock.
/// </summary>
/// <remarks>
/// A facade: decisions are <see cref="GrantLifecycle"/>'s (reconcile plans), <see cref="FencePlanner"/>'s and
/// <see cref="DriftRepairs"/>'s; execution is the <see cref="IntentRunner"/>'s, with one <see cref="IIntentHandler"/>
/// per intent kind, scheduled by the <see cref="EnforcementRound"/>.
/// </remarks>
public sealed class Enforcer
{
    private readonly EngineContext _engine;
    private readonly GrantLifecycle _grants;
    private readonly IntentRunner _runner;
    private readonly EnforcementRound _round;
    private readonly DriftRepairs _repairs;

    public Enforcer(EnforcerSetup setup)
    {
        _engine = new EngineContext(setup);
        var fencePlanner = new FencePlanner(_engine);
        _grants = new GrantLifecycle(_engine, fencePlanner);
        _runner = new IntentRunner(_engine,
        [
            new ApplyEntitlementHandler(_engine),
            new RemoveEntitlementHandler(_engine, fencePlanner),
            new SyncFencesHandler(_engine),
            new ReconcileGroupHandler(_engine, _grants),
            new NotifyHandler(_engine),
        ]);
        _round = new EnforcementRound(_engine, _grants, _runner);
        _repairs = new DriftRepairs(_engine);
        MappedGroups = setup.Mappings.Select(m => m.Rule.EntraGroupId.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
    }

    public IReadOnlyList<ResolvedMapping> Mappings => _engine.Mappings;

    /// <summary>The Entra groups some mapping watches (lower-case object ids).</summary>
    public IReadOnlySet<string> MappedGroups { get; }

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
        await ConflictRetry.RunAsync(async ct =>
        {
            var change = new StateChange();
            await _engine.Intents.EnsureAsync(change, IntentKind.ReconcileGroup, group, _engine.Time.GetUtcNow(), ct).ConfigureAwait(false);
            if (!change.IsEmpty) await _engine.Store.CommitAsync(change, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Reads the groups from PIM and reconciles them (the poll, and the execution of hints).</summary>
    public async Task<ReconcileResult> ReconcileGroupsAsync(IReadOnlyCollection<string> groupIds, bool dryRun = false, DateTimeOffset? seenAt = null, CancellationToken cancellationToken = default)
    {
        using var span = EngineTracing.StartReconcile(groupIds.Count, dryRun);
        return await EngineTracing.ReconciledAsync(span, _grants.ReconcileGroupsAsync(groupIds, dryRun, seenAt, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Reconciles PIM's snapshot of some groups. With <paramref name="dryRun"/>, only plans.</summary>
    /// <param name="seenAt">When PimBridge first learned of these activations (a hint's arrival); now when null.</param>
    public async Task<ReconcileResult> ReconcileAsync(PimSnapshot snapshot, bool dryRun = false, DateTimeOffset? seenAt = null, CancellationToken cancellationToken = default)
    {
        using var span = EngineTracing.StartReconcile(snapshot.GroupIds.Count, dryRun);
        return await EngineTracing.ReconciledAsync(span, _grants.ReconcileAsync(snapshot, dryRun, seenAt, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Emergency: ends every active grant of a user (Identity Center user id or name) now; the next tick removes and fences.</summary>
    public Task<IReadOnlyList<Grant>> RevokeUserAsync(string user, string reason, CancellationToken cancellationToken = default) =>
        _grants.RevokeUserAsync(user, reason, cancellationToken);

    /// <summary>
    /// One round of enforcement: due grants end, due fences lift, due intents run, removals and fences first. Costs
    /// O(due items). Whenever AWS work has taken the clock a second on, the tick looks again, so a removal that falls
    /// due meanwhile goes before the rest of the batch (I6: a burst of grants never holds up an expiry).
    /// </summary>
    public Task<TickResult> TickAsync(CancellationToken cancellationToken = default) => _round.RunAsync(cancellationToken);

    /// <summary>
    /// Ticks back to back until a tick finds nothing to do, at most <paramref name="maxTicks"/> times.
    /// <paramref name="stopBetweenTicks"/> only ends the run between ticks (a tick in flight finishes);
    /// <paramref name="cancellationToken"/> is each tick's own. <paramref name="afterEachTick"/> sees every tick as it
    /// completes, so a caller keeps what was done even when a later tick throws.
    /// </summary>
    public async Task<DrainResult> DrainAsync(int maxTicks, CancellationToken stopBetweenTicks, CancellationToken cancellationToken, Action<TickResult>? afterEachTick = null)
    {
        var ticks = 0;
        var total = TickResult.None;
        while (ticks < maxTicks && !stopBetweenTicks.IsCancellationRequested)
        {
            var tick = await TickAsync(cancellationToken).ConfigureAwait(false);
            ticks++;
            total += tick;
            afterEachTick?.Invoke(tick);
            if (tick.DidNothing)
                return new DrainResult(ticks, total, Idle: true);
        }

        return new DrainResult(ticks, total, Idle: false);
    }

    /// <summary>Completes once every notification this process has started delivering has finished (a host stopping, a test).</summary>
    public Task DeliveriesSettledAsync() => _runner.DeliveriesSettledAsync();

    /// <summary>
    /// Records the repair of a drift the sweep found, as the intents a grant or an expiry would write, so the tick
    /// carries it out like any other work (and a removal still fences). Only if the record the drift was judged
    /// against is unchanged: false when it moved on meanwhile (the engine is at work on it; the next sweep looks again).
    /// Standing access is recorded as an alert, once, and never touched.
    /// </summary>
    public Task<bool> RepairAsync(Drift drift, CancellationToken cancellationToken = default) => _repairs.RepairAsync(drift, cancellationToken);

    /// <summary>Queues a sync for a permission set whose fences wait with none to write them (see <see cref="DriftSweep"/>).</summary>
    public Task ResumeFenceSyncAsync(string permissionSetArn, CancellationToken cancellationToken = default) => _repairs.ResumeFenceSyncAsync(permissionSetArn, cancellationToken);
}
