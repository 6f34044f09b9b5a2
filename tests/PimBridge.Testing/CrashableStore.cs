using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Testing;

/// <summary>Whether a simulated process is still alive; shared by everything that process uses (its store view, its AWS wire).</summary>
public sealed class ProcessLife
{
    public bool Dead { get; set; }

    /// <summary>Marks the process dead and returns the crash to throw.</summary>
    public SimulatedCrash Die(string where)
    {
        Dead = true;
        return new SimulatedCrash(where);
    }
}


/// <summary>
/// A store as seen by one process: once that process has "crashed" every call fails, so nothing it would still do
/// reaches durable state. A restart is a new enforcer over the inner store.
/// </summary>
public sealed class CrashableStore(IStateStore inner, ProcessLife life) : IStateStore
{
    private T Alive<T>(Func<T> call) => life.Dead ? throw new SimulatedCrash("(process already dead)") : call();

    public Task<Grant?> GetGrantAsync(string id, CancellationToken cancellationToken = default) => Alive(() => inner.GetGrantAsync(id, cancellationToken));
    public Task<IReadOnlyList<ActiveGrant>> GetActiveGrantsForGroupsAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default) => Alive(() => inner.GetActiveGrantsForGroupsAsync(groupIds, cancellationToken));
    public Task<IReadOnlyList<Grant>> GetDueGrantsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => Alive(() => inner.GetDueGrantsAsync(now, limit, cancellationToken));
    public Task<IReadOnlyList<Grant>> ListGrantsAsync(bool activeOnly, string? user, CancellationToken cancellationToken = default) => Alive(() => inner.ListGrantsAsync(activeOnly, user, cancellationToken));
    public Task<LedgerEntry?> GetLedgerEntryAsync(string key, CancellationToken cancellationToken = default) => Alive(() => inner.GetLedgerEntryAsync(key, cancellationToken));
    public Task<IReadOnlyList<LedgerEntry>> GetLedgerEntriesForUserAsync(string userId, CancellationToken cancellationToken = default) => Alive(() => inner.GetLedgerEntriesForUserAsync(userId, cancellationToken));
    public Task<Intent?> GetIntentAsync(string id, CancellationToken cancellationToken = default) => Alive(() => inner.GetIntentAsync(id, cancellationToken));
    public Task<IReadOnlyList<Intent>> GetDueIntentsAsync(DateTimeOffset now, int limit, IntentKind? kind = null, CancellationToken cancellationToken = default) => Alive(() => inner.GetDueIntentsAsync(now, limit, kind, cancellationToken));
    public Task<IReadOnlyList<Intent>> GetPendingIntentsAsync(IntentKind kind, string subject, CancellationToken cancellationToken = default) => Alive(() => inner.GetPendingIntentsAsync(kind, subject, cancellationToken));
    public Task<SessionFence?> GetFenceAsync(string id, CancellationToken cancellationToken = default) => Alive(() => inner.GetFenceAsync(id, cancellationToken));
    public Task<IReadOnlyList<SessionFence>> GetOpenFencesForPermissionSetAsync(string permissionSetArn, CancellationToken cancellationToken = default) => Alive(() => inner.GetOpenFencesForPermissionSetAsync(permissionSetArn, cancellationToken));
    public Task<IReadOnlyList<SessionFence>> GetDueFencesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => Alive(() => inner.GetDueFencesAsync(now, limit, cancellationToken));
    public Task<IReadOnlyList<SessionFence>> ListFencesAsync(bool openOnly, CancellationToken cancellationToken = default) => Alive(() => inner.ListFencesAsync(openOnly, cancellationToken));
    public Task<Checkpoint?> GetCheckpointAsync(string name, CancellationToken cancellationToken = default) => Alive(() => inner.GetCheckpointAsync(name, cancellationToken));

    public Task<Alert?> GetAlertAsync(string id, CancellationToken cancellationToken = default) => Alive(() => inner.GetAlertAsync(id, cancellationToken));
    public Task<IReadOnlyList<Alert>> ListAlertsAsync(DateTimeOffset? since, CancellationToken cancellationToken = default) => Alive(() => inner.ListAlertsAsync(since, cancellationToken));
    public Task<AuditEntry?> GetAuditHeadAsync(CancellationToken cancellationToken = default) => Alive(() => inner.GetAuditHeadAsync(cancellationToken));
    public IAsyncEnumerable<AuditEntry> ReadAuditAsync(long fromSeq = 1, CancellationToken cancellationToken = default) => Alive(() => inner.ReadAuditAsync(fromSeq, cancellationToken));
    /// <summary>Counts down commits; the one that reaches zero dies just before or just after it is written.</summary>
    public int CommitsUntilCrash { get; set; } = -1;

    public bool CrashAfterCommit { get; set; }

    public async Task CommitAsync(StateChange change, CancellationToken cancellationToken = default)
    {
        if (life.Dead) throw new SimulatedCrash("(process already dead)");
        var crash = CommitsUntilCrash > 0 && --CommitsUntilCrash == 0;
        if (crash && !CrashAfterCommit) throw life.Die("before a commit");
        await inner.CommitAsync(change, cancellationToken);
        if (crash) throw life.Die("after a commit");
    }
    public Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default) => Alive(() => inner.TryAcquireLeaseAsync(name, owner, now, duration, cancellationToken));
    public Task ReleaseLeaseAsync(string name, string owner, CancellationToken cancellationToken = default) => Alive(() => inner.ReleaseLeaseAsync(name, owner, cancellationToken));
}
