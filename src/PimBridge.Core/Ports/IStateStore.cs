using PimBridge.Core.Domain;

namespace PimBridge.Core.Ports;

/// <summary>
/// Durable state: grants, the entitlement ledger, intents, session fences, alerts, the audit log and leases.
/// Reads are plain queries; every write goes through <see cref="CommitAsync"/>, which applies a whole
/// <see cref="StateChange"/> atomically or not at all. Implementations: SQLite (embedded default) and DynamoDB.
/// </summary>
public interface IStateStore
{
    Task<Grant?> GetGrantAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Active grants of the given groups (any mapping), as the slim view reconcile compares with PIM. Index-backed.</summary>
    Task<IReadOnlyList<ActiveGrant>> GetActiveGrantsForGroupsAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default);

    /// <summary>Active grants whose <see cref="Grant.End"/> is at or before <paramref name="now"/>, earliest first. Index-backed.</summary>
    Task<IReadOnlyList<Grant>> GetDueGrantsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>Grants for listings: all or active only, optionally of one Identity Center user id or user name.</summary>
    Task<IReadOnlyList<Grant>> ListGrantsAsync(bool activeOnly, string? user, CancellationToken cancellationToken = default);

    Task<LedgerEntry?> GetLedgerEntryAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Every ledger entry of one Identity Center user id.</summary>
    Task<IReadOnlyList<LedgerEntry>> GetLedgerEntriesForUserAsync(string userId, CancellationToken cancellationToken = default);

    Task<Intent?> GetIntentAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pending intents whose <see cref="Intent.NextAttemptAt"/> is at or before <paramref name="now"/>, earliest first:
    /// only those of <paramref name="kind"/> when it is given (read by kind, a backlog of one kind never hides another's
    /// behind <paramref name="limit"/>), else of every kind. Index-backed.
    /// </summary>
    Task<IReadOnlyList<Intent>> GetDueIntentsAsync(DateTimeOffset now, int limit, IntentKind? kind = null, CancellationToken cancellationToken = default);

    /// <summary>Pending intents of one kind and subject (to avoid queueing the same work twice).</summary>
    Task<IReadOnlyList<Intent>> GetPendingIntentsAsync(IntentKind kind, string subject, CancellationToken cancellationToken = default);

    Task<SessionFence?> GetFenceAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Fences of one permission set that are not yet lifted.</summary>
    Task<IReadOnlyList<SessionFence>> GetOpenFencesForPermissionSetAsync(string permissionSetArn, CancellationToken cancellationToken = default);

    /// <summary>Active fences whose <see cref="SessionFence.Until"/> is at or before <paramref name="now"/>, earliest first. Index-backed.</summary>
    Task<IReadOnlyList<SessionFence>> GetDueFencesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SessionFence>> ListFencesAsync(bool openOnly, CancellationToken cancellationToken = default);

    Task<Alert?> GetAlertAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Alerts at or after <paramref name="since"/> (all when null), oldest first.</summary>
    Task<IReadOnlyList<Alert>> ListAlertsAsync(DateTimeOffset? since, CancellationToken cancellationToken = default);

    /// <summary>A saved position (for example an S3 trail cursor), or null when none was saved.</summary>
    Task<Checkpoint?> GetCheckpointAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The last audit entry, or null for an empty log.</summary>
    Task<AuditEntry?> GetAuditHeadAsync(CancellationToken cancellationToken = default);

    /// <summary>Audit entries from <paramref name="fromSeq"/> on, in order.</summary>
    IAsyncEnumerable<AuditEntry> ReadAuditAsync(long fromSeq = 1, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies every part of <paramref name="change"/> atomically. Records are optimistic: a record with
    /// <c>Version</c> 0 must not exist yet; any other must still be stored at that version. The store saves each at
    /// <c>Version + 1</c> (checkpoints too). Alerts are inserted only if absent (a repeat is ignored, not a conflict). Audit records are
    /// chained after the current head in order. On any version mismatch nothing is written and
    /// <see cref="ConcurrencyConflictException"/> is thrown.
    /// </summary>
    Task CommitAsync(StateChange change, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes or renews the named lease for <paramref name="owner"/> until <paramref name="now"/> + <paramref name="duration"/>.
    /// False when another owner holds it and it has not expired.
    /// </summary>
    Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Gives the lease up if <paramref name="owner"/> holds it; otherwise does nothing.</summary>
    Task ReleaseLeaseAsync(string name, string owner, CancellationToken cancellationToken = default);
}
