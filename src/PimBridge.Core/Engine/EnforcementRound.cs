using PimBridge.Core.Domain;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Engine;

/// <summary>
/// One tick's work, in order: ends due grants, starts due lifts, runs due intents (taking access away first), and
/// watches session durations. The runner executes each intent; this decides which, and when.
/// </summary>
internal sealed class EnforcementRound(EngineContext engine, GrantLifecycle grants, IntentRunner runner)
{
    /// <summary>How far the clock may move inside a tick (AWS work takes time) before the tick looks again for due removals.</summary>
    private static readonly TimeSpan LookAgainAfter = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The same, with intents side by side, where a timer wakes the tick while every run waits on AWS: the grants a
    /// reconcile run has just queued start within a quarter of a second, not a second (a burst's first access). A
    /// look costs indexed store queries: one for due grants, one for due fences and one per kind of intent.
    /// </summary>
    private static readonly TimeSpan SideBySideLookAgainAfter = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// One round of enforcement: due grants end, due fences lift, due intents run, removals and fences first, up to
    /// <see cref="Configuration.EnforcerSettings.Parallelism"/> side by side. Costs O(due items). Whenever the clock has
    /// moved a second on (AWS work takes time), the tick looks again, so a removal that falls due meanwhile goes before
    /// the rest of the batch; giving access never takes the last worker, so that removal starts at once (I6: a burst
    /// of grants never holds up an expiry).
    /// </summary>
    public async Task<TickResult> RunAsync(CancellationToken cancellationToken)
    {
        int ended = 0, fencesDue = 0, done = 0, failed = 0, superseded = 0, waiting = 0;
        var parallelism = engine.Settings.Parallelism;
        // With one worker the tick keeps the simple order: run one, then look at the clock (seeded runs replay exactly).
        var lookAgainAfter = parallelism > 1 ? SideBySideLookAgainAfter : LookAgainAfter;
        // When each intent last started in this tick. It runs again in the same tick only once it has been rescheduled
        // past that start and is due again (AWS was busy; a mass expiry's tick lasts as long as its removals, and a fence
        // sync refused once must not wait for the last of them), never twice for one due time.
        var ran = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        bool Ran(Intent intent) => ran.TryGetValue(intent.Id, out var started) && intent.NextAttemptAt <= started;
        // Each run and its intent (a list: a run that completed at once may share its cached task with another).
        var running = new List<(Task<IntentOutcome> Run, Intent Intent)>();
        // Giving access never takes the last worker (a removal falling due mid-burst starts at once), nor do removals
        // (a permission set's fence sync takes it, writing every fence pending then, so fences keep pace with a mass
        // expiry). PIM reads, whose user lookups Identity Store's quota paces however many run, take a quarter.
        var allButOne = Math.Max(1, parallelism - 1);
        var readingLimit = Math.Max(1, parallelism / 4);
        bool AtLimit(IntentKind kind) =>
            (GivesAccess(kind) && running.Count(r => GivesAccess(r.Intent.Kind)) >= allButOne)
            || (kind == IntentKind.ReconcileGroup && running.Count(r => r.Intent.Kind == kind) >= readingLimit)
            || (kind == IntentKind.RemoveEntitlement && running.Count(r => r.Intent.Kind == kind) >= allButOne);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? lookAgain = null;
        var lookedAt = engine.Time.GetUtcNow();
        var due = await DueWorkAsync(lookedAt).ConfigureAwait(false);
        try
        {
            while (true)
            {
                // In order of priority, each class of work up to its limit: work of a class at its limit waits, and what
                // follows it may still start.
                for (var i = 0; i < due.Count && running.Count < parallelism; i++)
                {
                    if (due[i] is not { } next || AtLimit(next.Kind))
                        continue;
                    due[i] = null;
                    if (running.Any(r => r.Intent.Kind == next.Kind && r.Intent.Subject == next.Subject))
                        continue; // a second intent for work under way here (queued while the first held its claim) waits for it
                    if (Ran(next))
                        continue;
                    ran[next.Id] = engine.Time.GetUtcNow();
                    if (next.Kind == IntentKind.Notify)
                    {
                        runner.StartDelivery(next);
                        continue;
                    }

                    running.Add((runner.RunAsync(next, stop.Token), next));
                }

                if (running.Count == 0)
                    break;
                // Side by side, runs can wait on AWS for seconds: wake to look again meanwhile, too.
                if (parallelism > 1 && lookAgain is not { IsCompleted: false } && running.Any(r => !r.Run.IsCompleted))
                    lookAgain = Task.Delay(lookAgainAfter, engine.Time, stop.Token);
                var runs = running.Select(r => (Task)r.Run);
                var first = await Task.WhenAny(lookAgain is null ? runs : runs.Append(lookAgain)).ConfigureAwait(false);
                if (running.FindIndex(r => r.Run == first) is var index and >= 0)
                {
                    var intent = running[index].Intent;
                    running.RemoveAt(index);
                    switch (await ((Task<IntentOutcome>)first).ConfigureAwait(false))
                    {
                        case IntentOutcome.Done: done++; break;
                        case IntentOutcome.Failed: failed++; break;
                        case IntentOutcome.Superseded: superseded++; break;
                        case IntentOutcome.Waiting: waiting++; break;
                        // Its claim found the intent moved on: taken by another instance (then not due), or touched by a
                        // change that gave it new state (still due, and must run: a fence sync a removal has just fed).
                        case IntentOutcome.Skipped: ran.Remove(intent.Id); break;
                    }
                }

                if (engine.Time.GetUtcNow() - lookedAt >= lookAgainAfter)
                {
                    lookedAt = engine.Time.GetUtcNow();
                    due = await DueWorkAsync(lookedAt).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // When a run fails the tick (shutting down, the store gone), the others are cancelled and awaited, so none
            // outlives its tick; their claims expire and they run again.
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(running.Select(r => r.Run)).ConfigureAwait(false);
            }
            catch (Exception) when (running.Count > 0)
            {
                // the tick already fails with the first error
            }
        }

        await WatchSessionDurationsAsync(engine.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return new TickResult(ended, fencesDue, done, failed, superseded, waiting);

        // Ends the grants and starts the lifts that are due, and returns the due intents, taking access away first.
        async Task<List<Intent?>> DueWorkAsync(DateTimeOffset now)
        {
            foreach (var grant in await engine.Store.GetDueGrantsAsync(now, engine.Settings.BatchSize, cancellationToken).ConfigureAwait(false))
            {
                await ConflictRetry.RunAsync(ct => grants.EndGrantAsync(grant.Id, grant.End!.Value, EndReasons.Expired, ct), cancellationToken).ConfigureAwait(false);
                ended++;
            }

            var dueFences = await engine.Store.GetDueFencesAsync(now, engine.Settings.BatchSize, cancellationToken).ConfigureAwait(false);
            foreach (var fence in dueFences)
                await ConflictRetry.RunAsync(ct => StartLiftAsync(fence.Id, now, ct), cancellationToken).ConfigureAwait(false);
            fencesDue += dueFences.Count;

            // Taking access away comes first: removals and fences never wait behind grants, PIM reads or notifications.
            // Each kind is read on its own, so a backlog of one (a mass expiry's removals, a burst's grants) never hides
            // the work of another that falls due after it behind the batch size.
            var runnable = new List<Intent?>();
            foreach (var kind in KindsByPriority)
            {
                // Without a PIM source (the AWS-side watcher) group hints are left unclaimed for the host that reads PIM.
                if (kind == IntentKind.ReconcileGroup && engine.Pim is null)
                    continue;
                var due = await engine.Store.GetDueIntentsAsync(now, engine.Settings.BatchSize, kind, cancellationToken).ConfigureAwait(false);
                runnable.AddRange(due.Where(i => !Ran(i)));
            }

            return runnable;
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
        foreach (var mapping in engine.Mappings)
        {
            if (mapping.PermissionSetArn is { } arn) permissionSets.Add(arn);
            else await WatchingAsync(async () => permissionSets.UnionWith(
                (await engine.Aws.Directory.GetGroupAssignmentsAsync(mapping.IdentityCenterGroupId!, cancellationToken).ConfigureAwait(false)).Select(a => a.PermissionSetArn))).ConfigureAwait(false);
        }

        // Each on its own: one permission set that fails (throttled, deleted) never stops the others being watched.
        foreach (var permissionSet in permissionSets)
        {
            await WatchingAsync(async () =>
            {
                var current = await engine.Aws.Directory.GetSessionDurationAsync(permissionSet, cancellationToken).ConfigureAwait(false);
                var name = SessionDurationWatch.CheckpointName(permissionSet);
                var checkpoint = await engine.Store.GetCheckpointAsync(name, cancellationToken).ConfigureAwait(false);
                if (SessionDurationWatch.Next(SessionDurationWatch.Parse(checkpoint?.Value), current, now, engine.Fences.UntilMargin) is not { } next) return;
                var change = new StateChange();
                change.Checkpoints.Add(new Checkpoint { Name = name, Value = next.Format(), UpdatedAt = now, Version = checkpoint?.Version ?? 0 });
                await engine.Store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
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
        var fence = await engine.Store.GetFenceAsync(fenceId, cancellationToken).ConfigureAwait(false);
        if (fence is not { State: FenceState.Active } || fence.Until > now)
            return;
        var change = new StateChange();
        change.Fences.Add(fence with { State = FenceState.Lifting });
        await engine.Intents.EnsureAsync(change, IntentKind.SyncFences, fence.PermissionSetArn, now, cancellationToken).ConfigureAwait(false);
        await engine.Store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Giving access and reading PIM (which leads to giving it): never all the workers.</summary>
    private static bool GivesAccess(IntentKind kind) => kind is IntentKind.ApplyEntitlement or IntentKind.ReconcileGroup;

    private static readonly IntentKind[] KindsByPriority = [.. Enum.GetValues<IntentKind>().OrderBy(kind => kind switch
    {
        IntentKind.RemoveEntitlement => 0,
        IntentKind.SyncFences => 1,
        IntentKind.ApplyEntitlement => 2,
        IntentKind.ReconcileGroup => 3,
        _ => 4,
    })];
}
