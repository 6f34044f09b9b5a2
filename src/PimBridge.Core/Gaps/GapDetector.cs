using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Notifications;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Gaps;

/// <summary>
/// Watches CloudTrail for activity after PIM access ended. Each scan builds the watch windows of recently ended grants
/// (one per session fence, from the grant's end to the fence's until plus the delivery lag), reads the activity
/// source for them, and records each matching event once as a classified alert, with its notifications and the
/// source's cursor in the same commit: a crash mid-scan resumes after the last recorded batch, and an event read twice
/// never alerts twice. One instance scans at a time (a lease).
/// </summary>
public sealed class GapDetector(
    IStateStore store,
    ITrailSource source,
    IIdentityCenterDirectory directory,
    GapSettings settings,
    TimeProvider time,
    NotificationOutbox? notifications = null,
    string? instanceId = null)
{
    private static readonly Counter<long> AlertsRaised = EngineMetrics.Meter.CreateCounter<long>("pimbridge.gap.alerts", "{alert}", "Gap alerts raised, by class and severity");
    private static readonly Counter<long> RecordsRead = EngineMetrics.Meter.CreateCounter<long>("pimbridge.gap.records", "{record}", "CloudTrail records read by the gap detector");

    public const string LeaseName = "gap-detector";

    /// <summary>The checkpoint holding when the last complete scan started: windows that closed before it need no more reading.</summary>
    public const string LastScanCheckpoint = "gaps:last-scan";

    /// <summary>Alerts per commit: each brings an audit record and an intent per sink, and DynamoDB allows 100 items.</summary>
    private const int AlertsPerCommit = 15;

    private readonly NotificationOutbox _outbox = notifications ?? NotificationOutbox.None;
    private readonly string _owner = instanceId ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    public string SourceDescription => source.Describe;

    public async Task<GapScanResult> ScanAsync(CancellationToken cancellationToken = default)
    {
        var started = time.GetUtcNow();
        var lease = settings.Interval * 2 > TimeSpan.FromMinutes(10) ? settings.Interval * 2 : TimeSpan.FromMinutes(10);
        if (!await store.TryAcquireLeaseAsync(LeaseName, _owner, started, lease, cancellationToken).ConfigureAwait(false))
            return new GapScanResult(0, new TrailScanStats(), [], Skipped: true);
        try
        {
            var lastScan = await store.GetCheckpointAsync(LastScanCheckpoint, cancellationToken).ConfigureAwait(false);
            var since = lastScan is null ? DateTimeOffset.MinValue : DateTimeOffset.Parse(lastScan.Value, CultureInfo.InvariantCulture);
            var windows = await WatchWindowsAsync(since, cancellationToken).ConfigureAwait(false);
            var stats = new TrailScanStats();
            var raised = new List<GapAlert>();
            var cursors = new StoreCursors(store);
            // One pass over a source: each batch's alerts recorded with its cursor (when the pass keeps cursors).
            async Task ReadAsync(GapWatchSet watch, DateTimeOffset from, DateTimeOffset until, ITrailCursors? keptCursors)
            {
                var query = new ActivityQuery(watch.Accounts, from, until, watch.Filter, keptCursors ?? NoTrailCursors.Instance) { UserNames = watch.UserNames };
                await foreach (var batch in source.ReadAsync(query, cancellationToken).ConfigureAwait(false))
                {
                    stats.Add(batch.Stats);
                    RecordsRead.Add(batch.Stats.Records);
                    var alerts = batch.Records.Select(watch.Match).OfType<GapAlert>().DistinctBy(a => a.EventId).ToList();
                    raised.AddRange(await RecordAsync(alerts, keptCursors is null ? null : batch.Cursor, cursors, cancellationToken).ConfigureAwait(false));
                }
            }

            if (windows.Count > 0)
            {
                var watch = new GapWatchSet(windows);
                var (from, until) = watch.Range;
                await ReadAsync(watch, from, until < started ? until : started, cursors).ConfigureAwait(false);

                // A window that opened since the last scan (its removal was confirmed late) but starts before it: its
                // first events may sit in files a source already read, with that scan's filter, and will not read again.
                // Read them once more, from the window's start (at most LateLookback back), moving no cursor.
                List<GapWatchWindow> late = lastScan is null ? [] : windows.Where(w => w.RemovedAt >= since && w.From < since).ToList();
                if (late.Count > 0)
                {
                    var lateWatch = new GapWatchSet(late);
                    var earliest = started - settings.LateLookback;
                    await ReadAsync(lateWatch, lateWatch.Range.From > earliest ? lateWatch.Range.From : earliest, since, keptCursors: null).ConfigureAwait(false);
                }
            }

            var done = new StateChange();
            done.Checkpoints.Add(new Checkpoint
            {
                Name = LastScanCheckpoint, Value = started.ToString("O", CultureInfo.InvariantCulture), UpdatedAt = time.GetUtcNow(), Version = lastScan?.Version ?? 0,
            });
            await store.CommitAsync(done, cancellationToken).ConfigureAwait(false);
            return new GapScanResult(windows.Count, stats, raised);
        }
        finally
        {
            await store.ReleaseLeaseAsync(LeaseName, _owner, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The windows this detector reads now: those that were open at some point since the last scan began.</summary>
    public Task<IReadOnlyList<GapWatchWindow>> WatchWindowsAsync(DateTimeOffset since, CancellationToken cancellationToken = default) =>
        WatchWindowsAsync(store, settings.DeliveryLag, since,
            (fence, ct) => fence.PermissionSetName is { } name ? Task.FromResult(name) : directory.GetPermissionSetNameAsync(fence.PermissionSetArn, ct),
            GroupAssignmentsAsync, cancellationToken);

    /// <summary>A group's account assignments, or null when they cannot be read now (the window then takes the group to reach every permission set).</summary>
    private async Task<IReadOnlyList<PermissionSetAccount>?> GroupAssignmentsAsync(string groupId, CancellationToken cancellationToken)
    {
        try
        {
            return await directory.GetGroupAssignmentsAsync(groupId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// Windows still worth reading: their fence's until plus the lag is after <paramref name="since"/> (so a window gets
    /// one full read after it closes, even if the detector was down meanwhile). One per fence, starting at the end of
    /// the last grant that reached the fence's permission set in its accounts (never at a later end on another
    /// permission set), and marking the first later grant that reached them again.
    /// </summary>
    /// <param name="groupAssignments">What an Identity Center group is assigned, for grants of group memberships; null when unknown.</param>
    public static async Task<IReadOnlyList<GapWatchWindow>> WatchWindowsAsync(
        IStateStore store, TimeSpan deliveryLag, DateTimeOffset since, Func<SessionFence, CancellationToken, Task<string>> permissionSetName,
        Func<string, CancellationToken, Task<IReadOnlyList<PermissionSetAccount>?>> groupAssignments, CancellationToken cancellationToken = default)
    {
        var windows = new List<GapWatchWindow>();
        var grantsByUser = new Dictionary<string, IReadOnlyList<Grant>>(StringComparer.Ordinal);
        var groups = new Dictionary<string, IReadOnlyList<PermissionSetAccount>?>(StringComparer.Ordinal);

        async Task<bool> ReachesAsync(Grant grant, SessionFence fence)
        {
            foreach (var key in grant.EntitlementKeys)
            {
                switch (Entitlement.FromKey(key))
                {
                    case { Kind: EntitlementKind.AccountAssignment } assignment when assignment.PermissionSetArn == fence.PermissionSetArn && fence.Accounts.Contains(assignment.AccountId!):
                        return true;
                    case { Kind: EntitlementKind.GroupMembership, GroupId: { } group }:
                        if (!groups.TryGetValue(group, out var assigned))
                            groups[group] = assigned = await groupAssignments(group, cancellationToken).ConfigureAwait(false);
                        if (assigned is null || assigned.Any(a => a.PermissionSetArn == fence.PermissionSetArn && fence.Accounts.Contains(a.AccountId)))
                            return true;
                        break;
                }
            }

            return false;
        }

        foreach (var fence in await store.ListFencesAsync(openOnly: false, cancellationToken).ConfigureAwait(false))
        {
            if (fence.Until + deliveryLag < since)
                continue;
            if (!grantsByUser.TryGetValue(fence.UserId, out var grants))
                grantsByUser[fence.UserId] = grants = await store.ListGrantsAsync(activeOnly: false, fence.UserId, cancellationToken).ConfigureAwait(false);

            // The fence follows the removal of the access that ended last before it on its permission set.
            var endedBefore = grants.Where(g => g is { State: GrantState.Ended, EndedAt: { } e } && e <= fence.CreatedAt).OrderByDescending(g => g.EndedAt).ToList();
            Grant? grant = null;
            foreach (var candidate in endedBefore)
            {
                if (await ReachesAsync(candidate, fence).ConfigureAwait(false))
                {
                    grant = candidate;
                    break;
                }
            }

            // None reached it (a group's assignments changed since): the last grant that ended before it still explains it best.
            grant ??= endedBefore.FirstOrDefault();
            if (grant is null)
                continue;

            DateTimeOffset? regranted = null;
            foreach (var later in grants.Where(g => g.Start > grant.EndedAt).OrderBy(g => g.Start))
            {
                if (await ReachesAsync(later, fence).ConfigureAwait(false))
                {
                    regranted = later.Start;
                    break;
                }
            }

            var name = await permissionSetName(fence, cancellationToken).ConfigureAwait(false);
            windows.AddRange(GapWatchWindow.For(grant, [fence], deliveryLag, _ => name).Select(w => w with { RegrantedAt = regranted }));
        }

        return windows;
    }

    /// <summary>Records the alerts not yet known, in small commits; the cursor goes with the last one.</summary>
    private async Task<IReadOnlyList<GapAlert>> RecordAsync(IReadOnlyList<GapAlert> alerts, Checkpoint? cursor, StoreCursors cursors, CancellationToken cancellationToken)
    {
        var fresh = new List<GapAlert>();
        foreach (var alert in alerts)
        {
            if (await store.GetAlertAsync(GapAlert.AlertId(alert.EventId), cancellationToken).ConfigureAwait(false) is null)
                fresh.Add(alert);
        }

        var chunks = fresh.Chunk(AlertsPerCommit).ToList();
        if (chunks.Count == 0 && cursor is not null)
            chunks.Add([]);
        for (var i = 0; i < chunks.Count; i++)
        {
            var now = time.GetUtcNow();
            var change = new StateChange();
            foreach (var gap in chunks[i])
            {
                var alert = gap.ToAlert(now);
                change.Alerts.Add(alert);
                change.Audit.Add(new AuditRecord(now, "gap.alert", alert.Id, new JsonObject
                {
                    ["class"] = GapAlert.ClassName(gap.Class), ["severity"] = gap.Severity.ToString().ToLowerInvariant(),
                    ["user"] = gap.UserId, ["grant"] = gap.GrantId, ["account"] = gap.AccountId, ["event"] = gap.EventId,
                }.ToJsonString()));
                _outbox.EnqueueAlert(change, alert, now);
            }

            var saved = i == chunks.Count - 1 ? cursor : null;
            if (saved is not null)
                change.Checkpoints.Add(await cursors.VersionedAsync(saved, cancellationToken).ConfigureAwait(false));
            await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
            if (saved is not null)
                cursors.Committed(saved.Name);

            // Counted once stored, so a failed commit (retried next scan) does not count its alerts twice.
            foreach (var gap in chunks[i])
                AlertsRaised.Add(1, new KeyValuePair<string, object?>("class", GapAlert.ClassName(gap.Class)), new KeyValuePair<string, object?>("severity", gap.Severity.ToString().ToLowerInvariant()));
        }

        return fresh;
    }

    /// <summary>
    /// The sources' cursors as read from the store, remembering each one's version so the detector saves it without
    /// reading it again. The lease keeps other writers away; the version still turns any lapse into a conflict.
    /// </summary>
    private sealed class StoreCursors(IStateStore store) : ITrailCursors
    {
        // A source may read the cursors of several trail folders at once.
        private readonly ConcurrentDictionary<string, long> _versions = new(StringComparer.Ordinal);

        public async Task<string?> GetAsync(string name, CancellationToken cancellationToken = default)
        {
            var checkpoint = await store.GetCheckpointAsync(name, cancellationToken).ConfigureAwait(false);
            _versions[name] = checkpoint?.Version ?? 0;
            return checkpoint?.Value;
        }

        /// <summary>The cursor at the version it is stored at; one the source did not read through here is read now.</summary>
        public async Task<Checkpoint> VersionedAsync(Checkpoint cursor, CancellationToken cancellationToken)
        {
            if (!_versions.ContainsKey(cursor.Name))
                await GetAsync(cursor.Name, cancellationToken).ConfigureAwait(false);
            return cursor with { Version = _versions[cursor.Name] };
        }

        /// <summary>The store saved the cursor one version on.</summary>
        public void Committed(string name) => _versions.AddOrUpdate(name, 1, (_, version) => version + 1);
    }
}
