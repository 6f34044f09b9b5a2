using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using static PimBridge.Store.DynamoDb.DynamoDbItems;
using static PimBridge.Store.DynamoDb.DynamoDbSchema;

namespace PimBridge.Store.DynamoDb;

/// <summary>
/// Writes a <see cref="StateChange"/> as one TransactWriteItems: versioned Puts of its records, insert-if-absent alerts
/// and the audit entries chained onto the head; a cancelled transaction is read to tell the caller's conflict from a
/// race worth retrying.
/// </summary>
internal sealed class DynamoDbCommit(IAmazonDynamoDB client, string table, DynamoDbRecordItems items, DynamoDbQueries queries, TimeProvider time)
{
    private readonly IAmazonDynamoDB _client = client;
    private readonly string _table = table;
    private readonly TimeProvider _time = time;

    /// <summary>Rounds a commit may take when it loses only races the caller did not cause (audit head, alerts, transaction conflicts).</summary>
    private const int MaxCommitAttempts = 25;

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
            var existing = await queries.BatchGetAsync(alerts.Select(a => (AlertPk(a.Id), "ALERT")), cancellationToken).ConfigureAwait(false);
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

                await DynamoDbBackoff.DelayAsync(attempt, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    internal enum OperationKind
    {
        Record,
        Alert,
        AuditEntry,
        AuditHead,
    }

    internal sealed record Operation(OperationKind Kind, string RecordType, string Key, TransactWriteItem Item);

    internal sealed record Verdict(Operation? StaleRecord, bool Retry, bool Contention, Operation? Contended, HashSet<string> ExistingAlertIds);

    /// <summary>
    /// Reads a cancelled transaction: a failed record condition is the caller's conflict; a failed alert condition
    /// means the alert exists (leave it out); a failed audit condition means another commit moved the head (re-chain);
    /// transaction conflicts and throttling are retried as they are. Anything else is not ours to handle.
    /// </summary>
    internal static Verdict Classify(List<Operation> operations, List<CancellationReason>? reasons)
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

    internal List<Operation> RecordOperations(StateChange change, DateTimeOffset now)
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
            Add(GrantType, grant.Id, GrantPk(grant.Id), "GRANT", grant.Version, items.GrantAttributes(grant, now));
        foreach (var entry in change.Ledger)
            Add(LedgerType, entry.Key, LedgerPk(entry.Key), "LEDGER", entry.Version, DynamoDbRecordItems.LedgerAttributes(entry));
        foreach (var intent in change.Intents)
            Add(IntentType, intent.Id, IntentPk(intent.Id), "INTENT", intent.Version, items.IntentAttributes(intent, now));
        foreach (var fence in change.Fences)
            Add(FenceType, fence.Id, FencePk(fence.Id), "FENCE", fence.Version, items.FenceAttributes(fence, now));
        foreach (var checkpoint in change.Checkpoints)
            Add(CheckpointType, checkpoint.Name, CheckpointPk(checkpoint.Name), "CHECKPOINT", checkpoint.Version, DynamoDbRecordItems.CheckpointAttributes(checkpoint));
        foreach (var checkpoint in change.Unchanged)
        {
            if (!seen.Add(CheckpointPk(checkpoint.Name)))
                throw new ArgumentException($"The change holds the {CheckpointType} '{checkpoint.Name}' more than once; a change may write or check each record once.", nameof(change));
            var check = new ConditionCheck
            {
                TableName = _table,
                Key = new() { [Pk] = S(CheckpointPk(checkpoint.Name)), [Sk] = S("CHECKPOINT") },
                ConditionExpression = checkpoint.Version == 0 ? "attribute_not_exists(#pk)" : "#v = :expected",
                ExpressionAttributeNames = checkpoint.Version == 0 ? new() { ["#pk"] = Pk } : new() { ["#v"] = VersionAttribute },
            };
            if (checkpoint.Version != 0) check.ExpressionAttributeValues = new() { [":expected"] = N(checkpoint.Version) };
            operations.Add(new Operation(OperationKind.Record, CheckpointType, checkpoint.Name, new TransactWriteItem { ConditionCheck = check }));
        }

        return operations;
    }

    internal Operation AlertOperation(Alert alert) => new(OperationKind.Alert, AlertType, alert.Id, new TransactWriteItem
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
                [ExpiresAt] = items.ExpiresAtValue(alert.At),
            },
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new() { ["#pk"] = Pk },
        },
    });

    internal async Task<List<Operation>> AuditOperationsAsync(List<AuditRecord> records, CancellationToken cancellationToken)
    {
        var (head, headVersion) = await queries.ReadAuditHeadAsync(cancellationToken).ConfigureAwait(false);
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
}
