using System.Globalization;
using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using PimBridge.Core;
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
/// <c>due_kind</c> is <c>grant</c> (Active grant with an End; <c>due_at</c> = End), <c>intent</c> (Pending intent;
/// NextAttemptAt) or <c>fence</c> (Active fence; Until). Both attributes are absent on every other item, so the index
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

    private const string GrantType = "grant";
    private const string LedgerType = "ledger entry";
    private const string IntentType = "intent";
    private const string FenceType = "fence";
    private const string AlertType = "alert";
    private const string CheckpointType = "checkpoint";
    private const string AuditType = "audit";
    private const string AuditHeadType = "audit-head";
    private const string LeaseType = "lease";

    private const string AuditPk = "AUDIT";
    private const string AuditHeadKey = "AUDITHEAD";
    private const string SortableFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    /// <summary>Rounds a commit may take when it loses only races the caller did not cause (audit head, alerts, transaction conflicts).</summary>
    private const int MaxCommitAttempts = 25;

    /// <summary>Most index queries one read keeps in flight (one per group).</summary>
    private const int GroupQueryParallelism = 16;

    private static readonly TimeSpan TablePollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan TableWaitTimeout = TimeSpan.FromMinutes(10);

    private readonly IAmazonDynamoDB _client;
    private readonly string _table;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;

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
        _client = client;
        _table = tableName;
        _retention = closedRecordRetention ?? DefaultClosedRecordRetention;
        _time = timeProvider ?? TimeProvider.System;
    }

    public string TableName => _table;

    public TimeSpan ClosedRecordRetention => _retention;

    // ---------------------------------------------------------------- table

    /// <summary>
    /// Creates the table with its key schema, indexes and on-demand billing if it does not exist, waits until it and its
    /// indexes are ACTIVE, and enables TTL on <c>expires_at</c>. An existing table is checked against the schema.
    /// </summary>
    public static async Task CreateTableAsync(IAmazonDynamoDB client, string tableName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);

        if (await DescribeTableOrNullAsync(client, tableName, cancellationToken).ConfigureAwait(false) is null)
        {
            try
            {
                await client.CreateTableAsync(CreateTableRequestFor(tableName), cancellationToken).ConfigureAwait(false);
            }
            catch (ResourceInUseException)
            {
                // Created meanwhile by someone else: wait for it like for our own.
            }
        }

        var table = await WaitUntilActiveAsync(client, tableName, cancellationToken).ConfigureAwait(false);
        CheckSchema(table);
        await EnsureTimeToLiveAsync(client, tableName, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The CreateTable request of the store's schema (what the deployment must mirror).</summary>
    public static CreateTableRequest CreateTableRequestFor(string tableName) => new()
    {
        TableName = tableName,
        BillingMode = BillingMode.PAY_PER_REQUEST,
        AttributeDefinitions =
        [
            new AttributeDefinition(Pk, ScalarAttributeType.S),
            new AttributeDefinition(Sk, ScalarAttributeType.S),
            new AttributeDefinition(DueKind, ScalarAttributeType.S),
            new AttributeDefinition(DueAt, ScalarAttributeType.S),
            new AttributeDefinition(Gsi1Pk, ScalarAttributeType.S),
            new AttributeDefinition(Gsi1Sk, ScalarAttributeType.S),
            new AttributeDefinition(Gsi2Pk, ScalarAttributeType.S),
            new AttributeDefinition(Gsi2Sk, ScalarAttributeType.S),
        ],
        KeySchema = [new KeySchemaElement(Pk, KeyType.HASH), new KeySchemaElement(Sk, KeyType.RANGE)],
        GlobalSecondaryIndexes =
        [
            Index(DueIndex, DueKind, DueAt, new Projection { ProjectionType = ProjectionType.KEYS_ONLY }),
            Index(LookupIndex, Gsi1Pk, Gsi1Sk, new Projection { ProjectionType = ProjectionType.INCLUDE, NonKeyAttributes = [.. SlimGrantAttributes] }),
            Index(ListingIndex, Gsi2Pk, Gsi2Sk, new Projection { ProjectionType = ProjectionType.KEYS_ONLY }),
        ],
    };

    private static GlobalSecondaryIndex Index(string name, string hash, string range, Projection projection) => new()
    {
        IndexName = name,
        KeySchema = [new KeySchemaElement(hash, KeyType.HASH), new KeySchemaElement(range, KeyType.RANGE)],
        Projection = projection,
    };

    private static async Task<TableDescription?> DescribeTableOrNullAsync(IAmazonDynamoDB client, string tableName, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.DescribeTableAsync(new DescribeTableRequest { TableName = tableName }, cancellationToken).ConfigureAwait(false);
            return response.Table;
        }
        catch (ResourceNotFoundException)
        {
            return null;
        }
    }

    private static async Task<TableDescription> WaitUntilActiveAsync(IAmazonDynamoDB client, string tableName, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            var table = await DescribeTableOrNullAsync(client, tableName, cancellationToken).ConfigureAwait(false);
            if (table is not null && table.TableStatus == TableStatus.ACTIVE
                && (table.GlobalSecondaryIndexes ?? []).All(i => i.IndexStatus == IndexStatus.ACTIVE))
                return table;
            if (TimeProvider.System.GetElapsedTime(started) > TableWaitTimeout)
                throw new TimeoutException($"The DynamoDB table '{tableName}' did not become ACTIVE within {TableWaitTimeout.TotalMinutes:0} minutes (status: {table?.TableStatus?.Value ?? "absent"}).");
            await Task.Delay(TablePollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void CheckSchema(TableDescription table)
    {
        static string Describe(IEnumerable<KeySchemaElement>? keys) =>
            string.Join(", ", (keys ?? []).Select(k => $"{k.AttributeName} {k.KeyType?.Value}"));

        static bool Matches(List<KeySchemaElement>? keys, string hash, string range) =>
            keys is { Count: 2 }
            && keys.Any(k => k.AttributeName == hash && k.KeyType == KeyType.HASH)
            && keys.Any(k => k.AttributeName == range && k.KeyType == KeyType.RANGE);

        if (!Matches(table.KeySchema, Pk, Sk))
            throw new InvalidOperationException(
                $"The DynamoDB table '{table.TableName}' exists with key schema ({Describe(table.KeySchema)}), not ({Pk} HASH, {Sk} RANGE) as the state store needs.");
        foreach (var (name, hash, range) in new[] { (DueIndex, DueKind, DueAt), (LookupIndex, Gsi1Pk, Gsi1Sk), (ListingIndex, Gsi2Pk, Gsi2Sk) })
        {
            var index = (table.GlobalSecondaryIndexes ?? []).FirstOrDefault(i => i.IndexName == name);
            if (index is null)
                throw new InvalidOperationException($"The DynamoDB table '{table.TableName}' lacks the global secondary index '{name}' ({hash} HASH, {range} RANGE) the state store needs.");
            if (!Matches(index.KeySchema, hash, range))
                throw new InvalidOperationException(
                    $"The index '{name}' of the DynamoDB table '{table.TableName}' has key schema ({Describe(index.KeySchema)}), not ({hash} HASH, {range} RANGE).");
        }

        var lookup = table.GlobalSecondaryIndexes!.First(i => i.IndexName == LookupIndex).Projection;
        var projected = lookup?.ProjectionType == ProjectionType.ALL
            || (lookup?.ProjectionType == ProjectionType.INCLUDE && SlimGrantAttributes.All(a => (lookup.NonKeyAttributes ?? []).Contains(a)));
        if (!projected)
            throw new InvalidOperationException(
                $"The index '{LookupIndex}' of the DynamoDB table '{table.TableName}' must project {string.Join(", ", SlimGrantAttributes)} (INCLUDE) or ALL; it projects {lookup?.ProjectionType?.Value ?? "nothing"}.");
    }

    private static async Task EnsureTimeToLiveAsync(IAmazonDynamoDB client, string tableName, CancellationToken cancellationToken)
    {
        var described = await client.DescribeTimeToLiveAsync(new DescribeTimeToLiveRequest { TableName = tableName }, cancellationToken).ConfigureAwait(false);
        var ttl = described.TimeToLiveDescription;
        var status = ttl?.TimeToLiveStatus;
        if (status == TimeToLiveStatus.ENABLED || status == TimeToLiveStatus.ENABLING)
        {
            if (ttl!.AttributeName != ExpiresAt)
                throw new InvalidOperationException(
                    $"The DynamoDB table '{tableName}' has TTL on '{ttl.AttributeName}'; the state store needs it on '{ExpiresAt}'.");
            return;
        }

        await client.UpdateTimeToLiveAsync(new UpdateTimeToLiveRequest
        {
            TableName = tableName,
            TimeToLiveSpecification = new TimeToLiveSpecification { AttributeName = ExpiresAt, Enabled = true },
        }, cancellationToken).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- grants

    public async Task<Grant?> GetGrantAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var item = await GetItemAsync(GrantPk(id), "GRANT", cancellationToken).ConfigureAwait(false);
        return item is null ? null : ReadGrant(item);
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
            foreach (var item in await QueryIndexAsync(LookupIndex, Gsi1Pk, "GROUP#" + group, ct).ConfigureAwait(false))
                found.Add(ReadActiveGrant(item));
        }).ConfigureAwait(false);
        return found.OrderBy(g => g.Start).ThenBy(g => g.Id, StringComparer.Ordinal).ToList();
    }

    public Task<IReadOnlyList<Grant>> GetDueGrantsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        QueryDueAsync(DueGrant, now, limit, ReadGrant,
            g => g.IsDueAt(now), g => g.DueAt!.Value, g => g.Id, cancellationToken);

    public async Task<IReadOnlyList<Grant>> ListGrantsAsync(bool activeOnly, string? user, CancellationToken cancellationToken = default)
    {
        var keys = await QueryIndexKeysAsync(ListingIndex, Gsi2Pk, "GRANTS#active", cancellationToken).ConfigureAwait(false);
        if (!activeOnly)
            keys.AddRange(await QueryIndexKeysAsync(ListingIndex, Gsi2Pk, "GRANTS#ended", cancellationToken).ConfigureAwait(false));
        var items = await BatchGetAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(ReadGrant)
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
        var item = await GetItemAsync(LedgerPk(key), "LEDGER", cancellationToken).ConfigureAwait(false);
        return item is null ? null : ReadLedger(item);
    }

    public async Task<IReadOnlyList<LedgerEntry>> GetLedgerEntriesForUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var keys = await QueryIndexKeysAsync(LookupIndex, Gsi1Pk, "USER#" + userId, cancellationToken).ConfigureAwait(false);
        var items = await BatchGetAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(ReadLedger)
            .Where(e => e.Entitlement.UserId == userId)
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .ToList();
    }

    // ---------------------------------------------------------------- intents

    public async Task<Intent?> GetIntentAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var item = await GetItemAsync(IntentPk(id), "INTENT", cancellationToken).ConfigureAwait(false);
        return item is null ? null : ReadIntent(item);
    }

    public Task<IReadOnlyList<Intent>> GetDueIntentsAsync(DateTimeOffset now, int limit, IntentKind? except = null, CancellationToken cancellationToken = default) =>
        QueryDueAsync(DueIntent, now, limit, ReadIntent,
            i => i.IsDueAt(now) && i.Kind != except, i => i.DueAt!.Value, i => i.Id, cancellationToken);

    public async Task<IReadOnlyList<Intent>> GetPendingIntentsAsync(IntentKind kind, string subject, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var keys = await QueryIndexKeysAsync(LookupIndex, Gsi1Pk, PendingKey(kind, subject), cancellationToken).ConfigureAwait(false);
        var items = await BatchGetAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(ReadIntent)
            .Where(i => i.IsPending && i.Kind == kind && i.Subject == subject)
            .OrderBy(i => i.CreatedAt).ThenBy(i => i.Id, StringComparer.Ordinal)
            .ToList();
    }

    // ---------------------------------------------------------------- fences

    public async Task<SessionFence?> GetFenceAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var item = await GetItemAsync(FencePk(id), "FENCE", cancellationToken).ConfigureAwait(false);
        return item is null ? null : ReadFence(item);
    }

    public async Task<IReadOnlyList<SessionFence>> GetOpenFencesForPermissionSetAsync(string permissionSetArn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(permissionSetArn);
        var keys = await QueryIndexKeysAsync(LookupIndex, Gsi1Pk, "PERMSET#" + permissionSetArn, cancellationToken).ConfigureAwait(false);
        var items = await BatchGetAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(ReadFence)
            .Where(f => f.IsOpen && f.PermissionSetArn == permissionSetArn)
            .OrderBy(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal)
            .ToList();
    }

    public Task<IReadOnlyList<SessionFence>> GetDueFencesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        QueryDueAsync(DueFence, now, limit, ReadFence,
            f => f.IsDueAt(now), f => f.DueAt!.Value, f => f.Id, cancellationToken);

    public async Task<IReadOnlyList<SessionFence>> ListFencesAsync(bool openOnly, CancellationToken cancellationToken = default)
    {
        var keys = await QueryIndexKeysAsync(ListingIndex, Gsi2Pk, "FENCES#open", cancellationToken).ConfigureAwait(false);
        if (!openOnly)
            keys.AddRange(await QueryIndexKeysAsync(ListingIndex, Gsi2Pk, "FENCES#lifted", cancellationToken).ConfigureAwait(false));
        var items = await BatchGetAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(ReadFence)
            .Where(f => !openOnly || f.IsOpen)
            .OrderBy(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal)
            .ToList();
    }

    // ---------------------------------------------------------------- alerts

    public async Task<Alert?> GetAlertAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var item = await GetItemAsync(AlertPk(id), "ALERT", cancellationToken).ConfigureAwait(false);
        return item is null ? null : ReadAlert(item);
    }

    public async Task<IReadOnlyList<Alert>> ListAlertsAsync(DateTimeOffset? since, CancellationToken cancellationToken = default)
    {
        var keys = since is { } from
            ? await QueryIndexKeysAsync(ListingIndex, Gsi2Pk, "ALERTS", cancellationToken, Gsi2Sk, ">=", Sortable(from)).ConfigureAwait(false)
            : await QueryIndexKeysAsync(ListingIndex, Gsi2Pk, "ALERTS", cancellationToken).ConfigureAwait(false);
        var items = await BatchGetAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(ReadAlert)
            .Where(a => since is null || a.At >= since.Value)
            .OrderBy(a => a.At).ThenBy(a => a.Id, StringComparer.Ordinal)
            .ToList();
    }

    // ---------------------------------------------------------------- checkpoints

    public async Task<Checkpoint?> GetCheckpointAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var item = await GetItemAsync(CheckpointPk(name), "CHECKPOINT", cancellationToken).ConfigureAwait(false);
        return item is null ? null : ReadCheckpoint(name, item);
    }

    // ---------------------------------------------------------------- audit

    public async Task<AuditEntry?> GetAuditHeadAsync(CancellationToken cancellationToken = default) =>
        (await ReadAuditHeadAsync(cancellationToken).ConfigureAwait(false)).Entry;

    public async IAsyncEnumerable<AuditEntry> ReadAuditAsync(long fromSeq = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await _client.QueryAsync(new QueryRequest
            {
                TableName = _table,
                ConsistentRead = true,
                KeyConditionExpression = "#pk = :pk AND #sk >= :from",
                ExpressionAttributeNames = new() { ["#pk"] = Pk, ["#sk"] = Sk },
                ExpressionAttributeValues = new() { [":pk"] = S(AuditPk), [":from"] = S(SeqKey(Math.Max(1, fromSeq))) },
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items ?? [])
                yield return ReadAuditEntry(item);
            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
    }

    // ---------------------------------------------------------------- commit

    public async Task CommitAsync(StateChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.IsEmpty) return;

        var itemCount = change.Count + (change.Audit.Count > 0 ? 1 : 0);
        if (itemCount > MaxTransactionItems)
            throw new ArgumentException(
                $"The change holds {itemCount} DynamoDB items ({change.Grants.Count} grants, {change.Ledger.Count} ledger entries, " +
                $"{change.Intents.Count} intents, {change.Fences.Count} fences, {change.Alerts.Count} alerts, {change.Checkpoints.Count} checkpoints, {change.Audit.Count} audit records" +
                $"{(change.Audit.Count > 0 ? " + the audit head" : "")}); one DynamoDB transaction takes at most {MaxTransactionItems}. Split it into smaller changes.",
                nameof(change));

        var now = _time.GetUtcNow();
        var records = RecordOperations(change, now);

        // Alerts are insert-if-absent: leave out the ones already stored; one raced in meanwhile is dropped on retry.
        var alerts = change.Alerts.DistinctBy(a => a.Id, StringComparer.Ordinal).ToList();
        if (alerts.Count > 0)
        {
            var existing = await BatchGetAsync(alerts.Select(a => (AlertPk(a.Id), "ALERT")), cancellationToken).ConfigureAwait(false);
            var existingIds = existing.Select(i => i[Pk].S).ToHashSet(StringComparer.Ordinal);
            alerts.RemoveAll(a => existingIds.Contains(AlertPk(a.Id)));
        }

        for (var attempt = 1; ; attempt++)
        {
            var operations = new List<Operation>(records);
            operations.AddRange(alerts.Select(a => AlertOperation(a)));
            if (change.Audit.Count > 0)
                operations.AddRange(await AuditOperationsAsync(change.Audit, cancellationToken).ConfigureAwait(false));
            if (operations.Count == 0) return; // only alerts, all already recorded

            try
            {
                await _client.TransactWriteItemsAsync(new TransactWriteItemsRequest
                {
                    TransactItems = operations.Select(o => o.Item).ToList(),
                    // Makes the SDK's own retries of this request idempotent: a retried success stays a success.
                    ClientRequestToken = Guid.NewGuid().ToString("N"),
                }, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (TransactionCanceledException ex)
            {
                var verdict = Classify(operations, ex.CancellationReasons);
                if (verdict.StaleRecord is { } stale)
                    throw new ConcurrencyConflictException(stale.RecordType, stale.Key);
                if (!verdict.Retry)
                    throw;
                alerts.RemoveAll(a => verdict.ExistingAlertIds.Contains(a.Id));
                if (!verdict.Contention)
                {
                    attempt--; // only alerts that exist now: that is progress, not contention
                    continue;
                }

                if (attempt >= MaxCommitAttempts)
                {
                    var contended = verdict.Contended ?? operations.FirstOrDefault(o => o.Kind == OperationKind.AuditHead) ?? operations[0];
                    throw new ConcurrencyConflictException(contended.RecordType, contended.Key);
                }

                await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private enum OperationKind
    {
        Record,
        Alert,
        AuditEntry,
        AuditHead,
    }

    private sealed record Operation(OperationKind Kind, string RecordType, string Key, TransactWriteItem Item);

    private sealed record Verdict(Operation? StaleRecord, bool Retry, bool Contention, Operation? Contended, HashSet<string> ExistingAlertIds);

    /// <summary>
    /// Reads a cancelled transaction: a failed record condition is the caller's conflict; a failed alert condition
    /// means the alert exists (leave it out); a failed audit condition means another commit moved the head (re-chain);
    /// transaction conflicts and throttling are retried as they are. Anything else is not ours to handle.
    /// </summary>
    private static Verdict Classify(List<Operation> operations, List<CancellationReason>? reasons)
    {
        Operation? stale = null, contended = null;
        var existingAlerts = new HashSet<string>(StringComparer.Ordinal);
        bool retry = false, contention = false, unknown = reasons is null || reasons.Count == 0;
        for (var i = 0; i < operations.Count && reasons is not null && i < reasons.Count; i++)
        {
            var op = operations[i];
            switch (reasons[i].Code)
            {
                case null or "" or "None":
                    break;
                case "ConditionalCheckFailed":
                    if (op.Kind == OperationKind.Record)
                        stale ??= op;
                    else if (op.Kind == OperationKind.Alert)
                        existingAlerts.Add(op.Key);
                    else
                        contention = true;
                    retry = true;
                    break;
                case "TransactionConflict" or "ThrottlingError" or "ProvisionedThroughputExceeded" or "RequestLimitExceeded":
                    contended ??= op;
                    contention = retry = true;
                    break;
                default:
                    unknown = true;
                    break;
            }
        }

        return new Verdict(stale, retry && !unknown, contention, contended, existingAlerts);
    }

    private async Task BackOffAsync(int attempt, CancellationToken cancellationToken)
    {
        // Equal jitter: uniform in [ceiling/2, ceiling], the ceiling 10 ms doubling to 1 s. The floor keeps every wait a
        // real one (Task.Delay truncates to whole milliseconds) and spreads writers that collided.
        var ceiling = Math.Min(1000.0, 10.0 * Math.Pow(2, Math.Min(attempt, 16) - 1));
        var delay = ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2;
        await Task.Delay(TimeSpan.FromMilliseconds(delay), _time, cancellationToken).ConfigureAwait(false);
    }

    private List<Operation> RecordOperations(StateChange change, DateTimeOffset now)
    {
        var operations = new List<Operation>(change.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);

        void Add(string recordType, string key, string pk, string sk, long version, Dictionary<string, AttributeValue> item)
        {
            if (!seen.Add(pk))
                throw new ArgumentException($"The change holds the {recordType} '{key}' more than once; a change may write each record once.", nameof(change));
            if (version < 0)
                throw new ArgumentException($"The {recordType} '{key}' has version {version}; versions start at 0.", nameof(change));
            item[Pk] = S(pk);
            item[Sk] = S(sk);
            item[VersionAttribute] = N(version + 1);
            var put = new Put { TableName = _table, Item = item };
            if (version == 0)
            {
                put.ConditionExpression = "attribute_not_exists(#pk)";
                put.ExpressionAttributeNames = new() { ["#pk"] = Pk };
            }
            else
            {
                put.ConditionExpression = "#v = :expected";
                put.ExpressionAttributeNames = new() { ["#v"] = VersionAttribute };
                put.ExpressionAttributeValues = new() { [":expected"] = N(version) };
            }

            operations.Add(new Operation(OperationKind.Record, recordType, key, new TransactWriteItem { Put = put }));
        }

        foreach (var grant in change.Grants)
            Add(GrantType, grant.Id, GrantPk(grant.Id), "GRANT", grant.Version, GrantAttributes(grant, now));
        foreach (var entry in change.Ledger)
            Add(LedgerType, entry.Key, LedgerPk(entry.Key), "LEDGER", entry.Version, LedgerAttributes(entry));
        foreach (var intent in change.Intents)
            Add(IntentType, intent.Id, IntentPk(intent.Id), "INTENT", intent.Version, IntentAttributes(intent, now));
        foreach (var fence in change.Fences)
            Add(FenceType, fence.Id, FencePk(fence.Id), "FENCE", fence.Version, FenceAttributes(fence, now));
        foreach (var checkpoint in change.Checkpoints)
            Add(CheckpointType, checkpoint.Name, CheckpointPk(checkpoint.Name), "CHECKPOINT", checkpoint.Version, CheckpointAttributes(checkpoint));
        return operations;
    }

    private Dictionary<string, AttributeValue> GrantAttributes(Grant grant, DateTimeOffset now)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [RecordType] = S(GrantType),
            [Json] = S(StateJson.Serialize(grant with { Version = grant.Version + 1 })),
            [Gsi2Sk] = S(Sortable(grant.Start) + "#" + grant.Id),
        };
        if (grant.IsActive)
        {
            item[Gsi1Pk] = S("GROUP#" + grant.GroupId);
            item[Gsi1Sk] = S("GRANT#" + grant.Id);
            item[Gsi2Pk] = S("GRANTS#active");
            item[GrantMapping] = S(grant.Mapping);
            item[GrantPrincipalId] = S(grant.Principal.Id);
            item[GrantGroupId] = S(grant.GroupId);
            item[GrantAccess] = S(grant.Access.ToString());
            item[GrantStart] = S(RoundTrip(grant.Start));
            if (grant.End is { } end) item[GrantEnd] = S(RoundTrip(end));
            if (grant.DueAt is { } due)
            {
                item[DueKind] = S(DueGrant);
                item[DueAt] = S(Sortable(due));
            }
        }
        else
        {
            item[Gsi2Pk] = S("GRANTS#ended");
            item[ExpiresAt] = ExpiresAtValue(grant.EndedAt ?? now);
        }

        return item;
    }

    private static Dictionary<string, AttributeValue> LedgerAttributes(LedgerEntry entry) => new()
    {
        [RecordType] = S("ledger"),
        [Json] = S(StateJson.Serialize(entry with { Version = entry.Version + 1 })),
        [Gsi1Pk] = S("USER#" + entry.Entitlement.UserId),
        [Gsi1Sk] = S("LEDGER#" + entry.Key),
    };

    private Dictionary<string, AttributeValue> IntentAttributes(Intent intent, DateTimeOffset now)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [RecordType] = S(IntentType),
            [Json] = S(StateJson.Serialize(intent with { Version = intent.Version + 1 })),
        };
        if (intent.DueAt is { } due)
        {
            item[DueKind] = S(DueIntent);
            item[DueAt] = S(Sortable(due));
            item[Gsi1Pk] = S(PendingKey(intent.Kind, intent.Subject));
            item[Gsi1Sk] = S("INTENT#" + intent.Id);
        }
        else
        {
            item[ExpiresAt] = ExpiresAtValue(intent.CompletedAt ?? now);
        }

        return item;
    }

    private Dictionary<string, AttributeValue> FenceAttributes(SessionFence fence, DateTimeOffset now)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [RecordType] = S(FenceType),
            [Json] = S(StateJson.Serialize(fence with { Version = fence.Version + 1 })),
            [Gsi2Sk] = S(Sortable(fence.CreatedAt) + "#" + fence.Id),
        };
        if (fence.IsOpen)
        {
            item[Gsi2Pk] = S("FENCES#open");
            item[Gsi1Pk] = S("PERMSET#" + fence.PermissionSetArn);
            item[Gsi1Sk] = S("FENCE#" + fence.Id);
            if (fence.DueAt is { } due)
            {
                item[DueKind] = S(DueFence);
                item[DueAt] = S(Sortable(due));
            }
        }
        else
        {
            item[Gsi2Pk] = S("FENCES#lifted");
            item[ExpiresAt] = ExpiresAtValue(fence.LiftedAt ?? now);
        }

        return item;
    }

    // No expires_at: checkpoints must outlive any retention.
    private static Dictionary<string, AttributeValue> CheckpointAttributes(Checkpoint checkpoint) => new()
    {
        [RecordType] = S(CheckpointType),
        [CheckpointValue] = S(checkpoint.Value),
        [CheckpointUpdatedAt] = S(RoundTrip(checkpoint.UpdatedAt)),
    };

    private Operation AlertOperation(Alert alert) => new(OperationKind.Alert, AlertType, alert.Id, new TransactWriteItem
    {
        Put = new Put
        {
            TableName = _table,
            Item = new Dictionary<string, AttributeValue>
            {
                [Pk] = S(AlertPk(alert.Id)),
                [Sk] = S("ALERT"),
                [RecordType] = S(AlertType),
                [Json] = S(StateJson.Serialize(alert)),
                [Gsi2Pk] = S("ALERTS"),
                [Gsi2Sk] = S(Sortable(alert.At) + "#" + alert.Id),
                [ExpiresAt] = ExpiresAtValue(alert.At),
            },
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new() { ["#pk"] = Pk },
        },
    });

    private async Task<List<Operation>> AuditOperationsAsync(List<AuditRecord> records, CancellationToken cancellationToken)
    {
        var (head, headVersion) = await ReadAuditHeadAsync(cancellationToken).ConfigureAwait(false);
        var operations = new List<Operation>(records.Count + 1);
        var last = head;
        foreach (var record in records)
        {
            last = AuditChain.Append(last, record);
            var item = AuditAttributes(last);
            item[Pk] = S(AuditPk);
            item[Sk] = S(SeqKey(last.Seq));
            item[RecordType] = S(AuditType);
            operations.Add(new Operation(OperationKind.AuditEntry, "audit entry", last.Seq.ToString(CultureInfo.InvariantCulture), new TransactWriteItem
            {
                Put = new Put
                {
                    TableName = _table,
                    Item = item,
                    ConditionExpression = "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = new() { ["#pk"] = Pk },
                },
            }));
        }

        var headItem = AuditAttributes(last!);
        headItem[Pk] = S(AuditHeadKey);
        headItem[Sk] = S(AuditHeadKey);
        headItem[RecordType] = S(AuditHeadType);
        headItem[VersionAttribute] = N(headVersion + 1);
        var headPut = new Put { TableName = _table, Item = headItem };
        if (head is null)
        {
            headPut.ConditionExpression = "attribute_not_exists(#pk)";
            headPut.ExpressionAttributeNames = new() { ["#pk"] = Pk };
        }
        else
        {
            headPut.ConditionExpression = "#v = :expected";
            headPut.ExpressionAttributeNames = new() { ["#v"] = VersionAttribute };
            headPut.ExpressionAttributeValues = new() { [":expected"] = N(headVersion) };
        }

        operations.Add(new Operation(OperationKind.AuditHead, "audit log", "head", new TransactWriteItem { Put = headPut }));
        return operations;
    }

    private async Task<(AuditEntry? Entry, long Version)> ReadAuditHeadAsync(CancellationToken cancellationToken)
    {
        var item = await GetItemAsync(AuditHeadKey, AuditHeadKey, cancellationToken).ConfigureAwait(false);
        return item is null ? (null, 0) : (ReadAuditEntry(item), ParseLong(item, VersionAttribute));
    }

    private static Dictionary<string, AttributeValue> AuditAttributes(AuditEntry entry) => new()
    {
        [AuditSeq] = N(entry.Seq),
        [AuditAt] = S(RoundTrip(entry.At)),
        [AuditKind] = S(entry.Kind),
        [AuditSubject] = S(entry.Subject),
        [AuditData] = S(entry.Data),
        [AuditPrevHash] = S(entry.PrevHash),
        [AuditHash] = S(entry.Hash),
    };

    private static AuditEntry ReadAuditEntry(Dictionary<string, AttributeValue> item) => new(
        ParseLong(item, AuditSeq),
        ParseRoundTrip(Text(item, AuditAt)),
        Text(item, AuditKind),
        Text(item, AuditSubject),
        Text(item, AuditData),
        Text(item, AuditPrevHash),
        Text(item, AuditHash));

    // ---------------------------------------------------------------- leases

    public async Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        try
        {
            await _client.PutItemAsync(new PutItemRequest
            {
                TableName = _table,
                Item = new Dictionary<string, AttributeValue>
                {
                    [Pk] = S(LeasePk(name)),
                    [Sk] = S("LEASE"),
                    [RecordType] = S(LeaseType),
                    [LeaseOwner] = S(owner),
                    [LeaseExpiresAt] = N((now + duration).UtcTicks),
                },
                ConditionExpression = "attribute_not_exists(#pk) OR #owner = :me OR #until <= :now",
                ExpressionAttributeNames = new() { ["#pk"] = Pk, ["#owner"] = LeaseOwner, ["#until"] = LeaseExpiresAt },
                ExpressionAttributeValues = new() { [":me"] = S(owner), [":now"] = N(now.UtcTicks) },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    public async Task ReleaseLeaseAsync(string name, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        try
        {
            await _client.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = _table,
                Key = KeyOf(LeasePk(name), "LEASE"),
                ConditionExpression = "#owner = :me",
                ExpressionAttributeNames = new() { ["#owner"] = LeaseOwner },
                ExpressionAttributeValues = new() { [":me"] = S(owner) },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // Not the holder (or no lease): nothing to give up.
        }
    }

    // ---------------------------------------------------------------- reading helpers

    private async Task<Dictionary<string, AttributeValue>?> GetItemAsync(string pk, string sk, CancellationToken cancellationToken)
    {
        var response = await _client.GetItemAsync(new GetItemRequest
        {
            TableName = _table,
            Key = KeyOf(pk, sk),
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item ? item : null;
    }

    /// <summary>The table keys of every item in one partition of an index, page by page.</summary>
    private async Task<List<(string Pk, string Sk)>> QueryIndexKeysAsync(
        string index, string hashAttribute, string hashValue, CancellationToken cancellationToken,
        string? rangeAttribute = null, string? rangeOperator = null, string? rangeValue = null) =>
        (await QueryIndexAsync(index, hashAttribute, hashValue, cancellationToken, rangeAttribute, rangeOperator, rangeValue).ConfigureAwait(false))
            .Select(i => (i[Pk].S, i[Sk].S))
            .ToList();

    /// <summary>Every item (as projected) in one partition of an index, page by page.</summary>
    private async Task<List<Dictionary<string, AttributeValue>>> QueryIndexAsync(
        string index, string hashAttribute, string hashValue, CancellationToken cancellationToken,
        string? rangeAttribute = null, string? rangeOperator = null, string? rangeValue = null)
    {
        var names = new Dictionary<string, string> { ["#h"] = hashAttribute };
        var values = new Dictionary<string, AttributeValue> { [":h"] = S(hashValue) };
        var condition = "#h = :h";
        if (rangeAttribute is not null)
        {
            names["#r"] = rangeAttribute;
            values[":r"] = S(rangeValue!);
            condition += $" AND #r {rangeOperator} :r";
        }

        var items = new List<Dictionary<string, AttributeValue>>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await _client.QueryAsync(new QueryRequest
            {
                TableName = _table,
                IndexName = index,
                KeyConditionExpression = condition,
                ExpressionAttributeNames = names,
                ExpressionAttributeValues = values,
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            items.AddRange(response.Items ?? []);
            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return items;
    }

    /// <summary>
    /// Due records of one kind, earliest first: pages of the sparse <c>due</c> index (<c>due_at &lt;= now</c>), each
    /// re-read consistently and kept only if still due, until <paramref name="limit"/> are found or the index is exhausted.
    /// </summary>
    private async Task<IReadOnlyList<T>> QueryDueAsync<T>(
        string kind, DateTimeOffset now, int limit, Func<Dictionary<string, AttributeValue>, T> read, Func<T, bool> isDue,
        Func<T, DateTimeOffset> dueAt, Func<T, string> id, CancellationToken cancellationToken)
    {
        if (limit <= 0) return [];
        var found = new List<T>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await _client.QueryAsync(new QueryRequest
            {
                TableName = _table,
                IndexName = DueIndex,
                KeyConditionExpression = "#k = :k AND #d <= :now",
                ExpressionAttributeNames = new() { ["#k"] = DueKind, ["#d"] = DueAt },
                ExpressionAttributeValues = new() { [":k"] = S(kind), [":now"] = S(Sortable(now)) },
                ScanIndexForward = true,
                Limit = limit - found.Count,
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            var keys = (response.Items ?? []).Select(i => (i[Pk].S, i[Sk].S)).Where(k => seen.Add(k.Item1)).ToList();
            foreach (var item in await BatchGetAsync(keys, cancellationToken).ConfigureAwait(false))
            {
                var record = read(item);
                if (isDue(record)) found.Add(record);
            }

            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null && found.Count < limit);

        return found.OrderBy(dueAt).ThenBy(id, StringComparer.Ordinal).Take(limit).ToList();
    }

    /// <summary>Strongly consistent reads of many items (100 per request, unprocessed keys retried); absent items are skipped.</summary>
    private async Task<List<Dictionary<string, AttributeValue>>> BatchGetAsync(IEnumerable<(string Pk, string Sk)> keys, CancellationToken cancellationToken)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        foreach (var chunk in keys.Distinct().Chunk(100))
        {
            var pending = chunk.Select(k => KeyOf(k.Pk, k.Sk)).ToList();
            for (var attempt = 1; pending.Count > 0; attempt++)
            {
                var response = await _client.BatchGetItemAsync(new BatchGetItemRequest
                {
                    RequestItems = new Dictionary<string, KeysAndAttributes>
                    {
                        [_table] = new KeysAndAttributes { Keys = pending, ConsistentRead = true },
                    },
                }, cancellationToken).ConfigureAwait(false);
                if (response.Responses is not null && response.Responses.TryGetValue(_table, out var got))
                    items.AddRange(got);
                pending = response.UnprocessedKeys is not null && response.UnprocessedKeys.TryGetValue(_table, out var left)
                    ? left.Keys ?? []
                    : [];
                if (pending.Count > 0)
                    await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }

        return items;
    }

    private static ActiveGrant ReadActiveGrant(Dictionary<string, AttributeValue> item) => new(
        Text(item, Pk)["GRANT#".Length..],
        new GrantSlot(Text(item, GrantMapping), Text(item, GrantPrincipalId), Text(item, GrantGroupId), Enum.Parse<PimAccess>(Text(item, GrantAccess))),
        ParseRoundTrip(Text(item, GrantStart)),
        item.TryGetValue(GrantEnd, out var end) && end.S is { } e ? ParseRoundTrip(e) : null);

    private static Grant ReadGrant(Dictionary<string, AttributeValue> item) =>
        StateJson.DeserializeGrant(Text(item, Json)) with { Version = ParseLong(item, VersionAttribute) };

    private static LedgerEntry ReadLedger(Dictionary<string, AttributeValue> item) =>
        StateJson.DeserializeLedgerEntry(Text(item, Json)) with { Version = ParseLong(item, VersionAttribute) };

    private static Intent ReadIntent(Dictionary<string, AttributeValue> item) =>
        StateJson.DeserializeIntent(Text(item, Json)) with { Version = ParseLong(item, VersionAttribute) };

    private static SessionFence ReadFence(Dictionary<string, AttributeValue> item) =>
        StateJson.DeserializeFence(Text(item, Json)) with { Version = ParseLong(item, VersionAttribute) };

    private static Alert ReadAlert(Dictionary<string, AttributeValue> item) => StateJson.DeserializeAlert(Text(item, Json));

    private static Checkpoint ReadCheckpoint(string name, Dictionary<string, AttributeValue> item) => new()
    {
        Name = name,
        Value = Text(item, CheckpointValue),
        UpdatedAt = ParseRoundTrip(Text(item, CheckpointUpdatedAt)),
        Version = ParseLong(item, VersionAttribute),
    };

    private static string Text(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.S is { } s
            ? s
            : throw new InvalidDataException($"The DynamoDB item {Describe(item)} lacks the string attribute '{name}'.");

    private static long ParseLong(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.N is { } n
            ? long.Parse(n, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : throw new InvalidDataException($"The DynamoDB item {Describe(item)} lacks the number attribute '{name}'.");

    private static string Describe(Dictionary<string, AttributeValue> item) =>
        $"{(item.TryGetValue(Pk, out var pk) ? pk.S : "?")}/{(item.TryGetValue(Sk, out var sk) ? sk.S : "?")}";

    // ---------------------------------------------------------------- keys and values

    private static string GrantPk(string id) => "GRANT#" + id;
    private static string LedgerPk(string key) => "LEDGER#" + key;
    private static string IntentPk(string id) => "INTENT#" + id;
    private static string FencePk(string id) => "FENCE#" + id;
    private static string AlertPk(string id) => "ALERT#" + id;
    private static string CheckpointPk(string name) => "CHECKPOINT#" + name;
    private static string LeasePk(string name) => "LEASE#" + name;
    private static string PendingKey(IntentKind kind, string subject) => $"PENDING#{kind}#{subject}";
    private static string SeqKey(long seq) => seq.ToString("D20", CultureInfo.InvariantCulture);

    /// <summary>Fixed-width UTC to the tick: lexical order is time order.</summary>
    internal static string Sortable(DateTimeOffset time) => time.UtcDateTime.ToString(SortableFormat, CultureInfo.InvariantCulture);

    private static string RoundTrip(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseRoundTrip(string text) => DateTimeOffset.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None);

    private AttributeValue ExpiresAtValue(DateTimeOffset closedAt) => N((closedAt + _retention).ToUnixTimeSeconds());

    private static Dictionary<string, AttributeValue> KeyOf(string pk, string sk) => new() { [Pk] = S(pk), [Sk] = S(sk) };

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };
}
