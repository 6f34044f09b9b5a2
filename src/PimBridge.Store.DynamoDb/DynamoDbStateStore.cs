using System.Globalization;
using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using static PimBridge.Store.DynamoDb.DynamoDbItems;
using static PimBridge.Store.DynamoDb.DynamoDbSchema;

namespace PimBridge.Store.DynamoDb;

/// <summary>
/// The distributed <see cref="IStateStore"/>: every record in one DynamoDB table (single-table design).
/// </summary>
/// <remarks>
/// <para><b>Table</b> (on-demand billing; mirrored by the Pulumi deployment, created by <see cref="CreateTableAsync"/>):
/// key <c>pk</c> (S, HASH) + <c>sk</c> (S, RANGE); TTL enabled on <c>expires_at</c> (N, epoch seconds).</para>
/// <para><b>Global secondary indexes</b>, all key attributes S. <c>due</c> and <c>gsi2</c> project KEYS_ONLY: their
/// reads return keys, and the records are then read from the table with strongly consistent BatchGetItem and checked
/// again against the query's predicate, so a lagging index never yields stale content or a record that no longer
/// matches. <c>gsi1</c> projects INCLUDE <c>mapping</c>, <c>principal_id</c>, <c>group_id</c>, <c>access</c>,
/// <c>start_at</c>, <c>end_at</c>: the slim <see cref="ActiveGrant"/> view, which reconcile reads from the index alone
/// (other gsi1 reads use its keys and re-read the records like the KEYS_ONLY indexes).</para>
/// <list type="table">
/// <item><term><c>due</c>: <c>due_kind</c> / <c>due_at</c></term><description>Sparse index of due-able work.
/// <c>due_kind</c> is <c>grant</c> (Active grant with an End; <c>due_at</c> = End), <c>intent#&lt;kind&gt;</c> (Pending
/// intent; NextAttemptAt; <c>intent</c> alone as an older engine wrote it, still read) or <c>fence</c> (Active fence; Until). Both attributes are absent on every other item, so the index
/// holds open work only and <c>due_kind = :k AND due_at &lt;= :now</c> costs O(due items).</description></item>
/// <item><term><c>gsi1</c>: <c>gsi1pk</c> / <c>gsi1sk</c></term><description>Sparse lookups:
/// Active grant <c>GROUP#&lt;groupId&gt;</c> / <c>GRANT#&lt;id&gt;</c>;
/// ledger entry <c>USER#&lt;userId&gt;</c> / <c>LEDGER#&lt;key&gt;</c>;
/// Pending intent <c>PENDING#&lt;kind&gt;#&lt;subject&gt;</c> / <c>INTENT#&lt;id&gt;</c>;
/// fence not yet Lifted <c>PERMSET#&lt;permissionSetArn&gt;</c> / <c>FENCE#&lt;id&gt;</c>.</description></item>
/// <item><term><c>gsi2</c>: <c>gsi2pk</c> / <c>gsi2sk</c></term><description>Listings:
/// grant <c>GRANTS#active</c> or <c>GRANTS#ended</c> / <c>&lt;Start&gt;#&lt;id&gt;</c>;
/// fence <c>FENCES#open</c> or <c>FENCES#lifted</c> / <c>&lt;CreatedAt&gt;#&lt;id&gt;</c>;
/// alert <c>ALERTS</c> / <c>&lt;At&gt;#&lt;id&gt;</c>. These partitions take a write per change of their records,
/// far below a partition's 1,000 writes/s at PIM scale; closed records leave them through TTL.</description></item>
/// </list>
/// <para>Times in index keys are fixed-width UTC, <c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>, so string order is time order
/// to the tick.</para>
/// <para><b>Items</b> (every item also has <c>rtype</c>, its record type, for operators):</para>
/// <list type="table">
/// <item><term><c>GRANT#&lt;id&gt;</c> / <c>GRANT</c></term><description><c>version</c> N, <c>json</c> S (StateJson),
/// index attributes as above; while Active also <c>mapping</c>, <c>principal_id</c>, <c>group_id</c>, <c>access</c>,
/// <c>start_at</c> and (with an End) <c>end_at</c> (times round-trip "O"); <c>expires_at</c> when Ended
/// (EndedAt + retention).</description></item>
/// <item><term><c>LEDGER#&lt;key&gt;</c> / <c>LEDGER</c></term><description><c>version</c>, <c>json</c>, gsi1. Never expires.</description></item>
/// <item><term><c>INTENT#&lt;id&gt;</c> / <c>INTENT</c></term><description><c>version</c>, <c>json</c>, due + gsi1 while
/// Pending, <c>expires_at</c> when Done or Superseded (CompletedAt + retention).</description></item>
/// <item><term><c>FENCE#&lt;id&gt;</c> / <c>FENCE</c></term><description><c>version</c>, <c>json</c>, due while Active,
/// gsi1 until Lifted, gsi2, <c>expires_at</c> when Lifted (LiftedAt + retention).</description></item>
/// <item><term><c>ALERT#&lt;id&gt;</c> / <c>ALERT</c></term><description><c>json</c>, gsi2, <c>expires_at</c>
/// (At + retention). Written once with <c>attribute_not_exists(pk)</c>; never updated.</description></item>
/// <item><term><c>CHECKPOINT#&lt;name&gt;</c> / <c>CHECKPOINT</c></term><description><c>version</c> N, <c>value</c> S,
/// <c>updated_at</c> S (round-trip "O"). No index attributes; never expires (a lost position would mean re-reading
/// or skipping activity).</description></item>
/// <item><term><c>AUDIT</c> / <c>&lt;seq, 20 digits&gt;</c></term><description>One audit entry: <c>seq</c> N,
/// <c>at</c> S (round-trip "O"), <c>kind</c>, <c>subject</c>, <c>data</c>, <c>prev_hash</c>, <c>hash</c>. Written once;
/// never expires.</description></item>
/// <item><term><c>AUDITHEAD</c> / <c>AUDITHEAD</c></term><description>A copy of the last entry's attributes plus
/// <c>version</c> N; every commit with audit records replaces it on the condition of its version.</description></item>
/// <item><term><c>LEASE#&lt;name&gt;</c> / <c>LEASE</c></term><description><c>owner</c> S, <c>expires_at_lease</c> N
/// (UTC ticks).</description></item>
/// </list>
/// <para><b>Writes</b>: a <see cref="StateChange"/> is one TransactWriteItems (hence at most 100 items, the audit head
/// counting as one). Versioned records are Put with <c>attribute_not_exists(pk)</c> (Version 0) or
/// <c>version = :expected</c>; a Put replaces the whole item, which is how index attributes leave sparse indexes.</para>
/// </remarks>
public sealed class DynamoDbStateStore : IStateStore
{
    /// <summary>How long closed records (ended grants, finished intents, lifted fences, alerts) are kept before TTL removes them.</summary>
    public static readonly TimeSpan DefaultClosedRecordRetention = TimeSpan.FromDays(90);

    /// <summary>Most index queries one read keeps in flight (one per group).</summary>
    private const int GroupQueryParallelism = 16;

    private readonly string _table;
    private readonly TimeSpan _retention;
    private readonly DynamoDbQueries _queries;
    private readonly DynamoDbCommit _commit;
    private readonly DynamoDbLeases _leases;

    /// <param name="client">The DynamoDB client; not owned (not disposed) by the store.</param>
    /// <param name="tableName">The table, created by <see cref="CreateTableAsync"/> or the deployment.</param>
    /// <param name="closedRecordRetention">How long closed records live before TTL; <see cref="DefaultClosedRecordRetention"/> when null.</param>
    /// <param name="timeProvider">Clock for the closing time of records that do not carry one, and for retry backoff.</param>
    public DynamoDbStateStore(IAmazonDynamoDB client, string tableName, TimeSpan? closedRecordRetention = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        if (closedRecordRetention is { } r && r < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(closedRecordRetention), r, "The retention of closed records cannot be negative.");
        _table = tableName;
        _retention = closedRecordRetention ?? DefaultClosedRecordRetention;
        var time = timeProvider ?? TimeProvider.System;
        _queries = new DynamoDbQueries(client, tableName, time);
        _commit = new DynamoDbCommit(client, tableName, new DynamoDbRecordItems(_retention), _queries, time);
        _leases = new DynamoDbLeases(client, tableName);
    }

    public string TableName => _table;

    public TimeSpan ClosedRecordRetention => _retention;

    // ---------------------------------------------------------------- table

    /// <summary>
    /// Creates the table with its key schema, indexes and on-demand billing if it does not exist, waits until it and its
    /// indexes are ACTIVE, and enables TTL on <c>expires_at</c>. An existing table is checked against the schema.
    /// </summary>
    public static Task CreateTableAsync(IAmazonDynamoDB client, string tableName, CancellationToken cancellationToken = default) =>
        DynamoDbTableSetup.CreateTableAsync(client, tableName, cancellationToken);

    /// <summary>The CreateTable request of the store's schema (what the deployment must mirror).</summary>
    public static CreateTableRequest CreateTableRequestFor(string tableName) => DynamoDbTableSetup.CreateTableRequestFor(tableName);

    // ---------------------------------------------------------------- grants

    public async Task<Grant?> GetGrantAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var item = await _queries.GetItemAsync(GrantPk(id), "GRANT", cancellationToken).ConfigureAwait(false);
        return item is null ? null : DynamoDbRecordItems.ReadGrant(item);
    }

    /// <summary>
    /// Served from the lookup index alone (its projection carries the slim view), one Query per group, so reading
    /// thousands of active grants costs index pages, not item reads. Like every index read on DynamoDB it is eventually
    /// consistent: a grant started or ended a moment ago may not be reflected yet. The engine re-reads a grant
    /// (consistently) before it acts on it, and grant ids are deterministic per slot and start, so a stale view costs at
    /// most a no-op or a conflict-and-retry.
    /// </summary>
    public async Task<IReadOnlyList<ActiveGrant>> GetActiveGrantsForGroupsAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupIds);
        var groups = groupIds.Distinct(StringComparer.Ordinal).ToList();
        if (groups.Count == 0) return [];

        var found = new System.Collections.Concurrent.ConcurrentBag<ActiveGrant>();
        await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = GroupQueryParallelism, CancellationToken = cancellationToken }, async (group, ct) =>
        {
            foreach (var item in await _queries.QueryIndexAsync(LookupIndex, Gsi1Pk, "GROUP#" + group, ct).ConfigureAwait(false))
                found.Add(DynamoDbRecordItems.ReadActiveGrant(item));
        }).ConfigureAwait(false);
        return found.OrderBy(g => g.Start).ThenBy(g => g.Id, StringComparer.Ordinal).ToList();
    }

    public Task<IReadOnlyList<Grant>> GetDueGrantsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        _queries.QueryDueAsync(DueGrant, now, limit, DynamoDbRecordItems.ReadGrant,
            g => g.IsDueAt(now), g => g.DueAt!.Value, g => g.Id, cancellationToken);

    public async Task<IReadOnlyList<Grant>> ListGrantsAsync(bool activeOnly, string? user, CancellationToken cancellationToken = default)
    {
        var keys = await _queries.QueryIndexKeysAsync(ListingIndex, Gsi2Pk, "GRANTS#active", cancellationToken).ConfigureAwait(false);
        if (!activeOnly)
            keys.AddRange(await _queries.QueryIndexKeysAsync(ListingIndex, Gsi2Pk, "GRANTS#ended", cancellationToken).ConfigureAwait(false));
        var items = await _queries.BatchGetAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(DynamoDbRecordItems.ReadGrant)
            .Where(g => !activeOnly || g.IsActive)
            .Where(g => user is null
                || string.Equals(g.User.UserId, user, StringComparison.OrdinalIgnoreCase)
                || string.Equals(g.User.UserName, user, StringComparison.OrdinalIgnoreCase))
            .OrderBy(g => g.Start).ThenBy(g => g.Id, StringComparer.Ordinal)
            .ToList();
    }

    // ---------------------------------------------------------------- ledger

    public async Task<LedgerEntry?> GetLedgerEntryAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var item = await _queries.GetItemAsync(LedgerPk(key), "LEDGER", cancellationToken).ConfigureAwait(false);
        return item is null ? null : DynamoDbRecordItems.ReadLedger(item);
    }

    public async Task<IReadOnlyList<LedgerEntry>> GetLedgerEntriesForUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var keys = await _queries.QueryIndexKeysAsync(LookupIndex, Gsi1Pk, "USER#" + userId, cancellationToken).ConfigureAwait(false);
        var items = await _queries.BatchGetAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(DynamoDbRecordItems.ReadLedger)
            .Where(e => e.Entitlement.UserId == userId)
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .ToList();
    }

    // ---------------------------------------------------------------- intents

    public async Task<Intent?> GetIntentAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var item = await _queries.GetItemAsync(IntentPk(id), "INTENT", cancellationToken).ConfigureAwait(false);
        return item is null ? null : DynamoDbRecordItems.ReadIntent(item);
    }

    public async Task<IReadOnlyList<Intent>> GetDueIntentsAsync(DateTimeOffset now, int limit, IntentKind? kind = null, CancellationToken cancellationToken = default)
    {
        // Each kind has its own partition of the due index, so one kind's backlog is never paged through to reach another's.
        IEnumerable<string> partitions = [.. (kind is { } only ? [only] : Enum.GetValues<IntentKind>()).Select(DueIntent), DueIntentOfAnyKind];
        var found = new List<Intent>();
        foreach (var partition in partitions)
            found.AddRange(await _queries.QueryDueAsync(partition, now, limit, DynamoDbRecordItems.ReadIntent,
                i => i.IsDueAt(now) && (kind is null || i.Kind == kind), i => i.DueAt!.Value, i => i.Id, cancellationToken).ConfigureAwait(false));
        return [.. found.OrderBy(i => i.DueAt!.Value).ThenBy(i => i.Id, StringComparer.Ordinal).Take(limit)];
    }

    public async Task<IReadOnlyList<Intent>> GetPendingIntentsAsync(IntentKind kind, string subject, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var keys = await _queries.QueryIndexKeysAsync(LookupIndex, Gsi1Pk, PendingKey(kind, subject), cancellationToken).ConfigureAwait(false);
        var items = await _queries.BatchGetAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(DynamoDbRecordItems.ReadIntent)
            .Where(i => i.IsPending && i.Kind == kind && i.Subject == subject)
            .OrderBy(i => i.CreatedAt).ThenBy(i => i.Id, StringComparer.Ordinal)
            .ToList();
    }

    // ---------------------------------------------------------------- fences

    public async Task<SessionFence?> GetFenceAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var item = await _queries.GetItemAsync(FencePk(id), "FENCE", cancellationToken).ConfigureAwait(false);
        return item is null ? null : DynamoDbRecordItems.ReadFence(item);
    }

    public async Task<IReadOnlyList<SessionFence>> GetOpenFencesForPermissionSetAsync(string permissionSetArn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(permissionSetArn);
        var keys = await _queries.QueryIndexKeysAsync(LookupIndex, Gsi1Pk, "PERMSET#" + permissionSetArn, cancellationToken).ConfigureAwait(false);
        var items = await _queries.BatchGetAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(DynamoDbRecordItems.ReadFence)
            .Where(f => f.IsOpen && f.PermissionSetArn == permissionSetArn)
            .OrderBy(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal)
            .ToList();
    }

    public Task<IReadOnlyList<SessionFence>> GetDueFencesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        _queries.QueryDueAsync(DueFence, now, limit, DynamoDbRecordItems.ReadFence,
            f => f.IsDueAt(now), f => f.DueAt!.Value, f => f.Id, cancellationToken);

    public async Task<IReadOnlyList<SessionFence>> ListFencesAsync(bool openOnly, CancellationToken cancellationToken = default)
    {
        var keys = await _queries.QueryIndexKeysAsync(ListingIndex, Gsi2Pk, "FENCES#open", cancellationToken).ConfigureAwait(false);
        if (!openOnly)
            keys.AddRange(await _queries.QueryIndexKeysAsync(ListingIndex, Gsi2Pk, "FENCES#lifted", cancellationToken).ConfigureAwait(false));
        var items = await _queries.BatchGetAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(DynamoDbRecordItems.ReadFence)
            .Where(f => !openOnly || f.IsOpen)
            .OrderBy(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal)
            .ToList();
    }

    // ---------------------------------------------------------------- alerts

    public async Task<Alert?> GetAlertAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var item = await _queries.GetItemAsync(AlertPk(id), "ALERT", cancellationToken).ConfigureAwait(false);
        return item is null ? null : DynamoDbRecordItems.ReadAlert(item);
    }

    public async Task<IReadOnlyList<Alert>> ListAlertsAsync(DateTimeOffset? since, CancellationToken cancellationToken = default)
    {
        var keys = since is { } from
            ? await _queries.QueryIndexKeysAsync(ListingIndex, Gsi2Pk, "ALERTS", cancellationToken, Gsi2Sk, ">=", Sortable(from)).ConfigureAwait(false)
            : await _queries.QueryIndexKeysAsync(ListingIndex, Gsi2Pk, "ALERTS", cancellationToken).ConfigureAwait(false);
        var items = await _queries.BatchGetAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(DynamoDbRecordItems.ReadAlert)
            .Where(a => since is null || a.At >= since.Value)
            .OrderBy(a => a.At).ThenBy(a => a.Id, StringComparer.Ordinal)
            .ToList();
    }

    // ---------------------------------------------------------------- checkpoints

    public async Task<Checkpoint?> GetCheckpointAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var item = await _queries.GetItemAsync(CheckpointPk(name), "CHECKPOINT", cancellationToken).ConfigureAwait(false);
        return item is null ? null : DynamoDbRecordItems.ReadCheckpoint(name, item);
    }

    // ---------------------------------------------------------------- audit

    public async Task<AuditEntry?> GetAuditHeadAsync(CancellationToken cancellationToken = default) =>
        (await _queries.ReadAuditHeadAsync(cancellationToken).ConfigureAwait(false)).Entry;

    public IAsyncEnumerable<AuditEntry> ReadAuditAsync(long fromSeq = 1, CancellationToken cancellationToken = default) =>
        _queries.ReadAuditAsync(fromSeq, cancellationToken);

    // ---------------------------------------------------------------- commit

    public Task CommitAsync(StateChange change, CancellationToken cancellationToken = default) =>
        _commit.CommitAsync(change, cancellationToken);

    // ---------------------------------------------------------------- leases

    public Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default) =>
        _leases.TryAcquireLeaseAsync(name, owner, now, duration, cancellationToken);

    public Task ReleaseLeaseAsync(string name, string owner, CancellationToken cancellationToken = default) =>
        _leases.ReleaseLeaseAsync(name, owner, cancellationToken);
}
