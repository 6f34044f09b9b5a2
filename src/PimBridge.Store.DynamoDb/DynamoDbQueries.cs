using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using PimBridge.Core.Domain;
using static PimBridge.Store.DynamoDb.DynamoDbItems;
using static PimBridge.Store.DynamoDb.DynamoDbSchema;

namespace PimBridge.Store.DynamoDb;

/// <summary>
/// The store's reads of the table: single items and batches strongly consistent, index partitions page by page, and
/// due records re-read and re-checked against Core's rule.
/// </summary>
internal sealed class DynamoDbQueries(IAmazonDynamoDB client, string table, TimeProvider time)
{
    private readonly IAmazonDynamoDB _client = client;
    private readonly string _table = table;
    private readonly TimeProvider _time = time;

    internal async Task<Dictionary<string, AttributeValue>?> GetItemAsync(string pk, string sk, CancellationToken cancellationToken)
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
    internal async Task<List<(string Pk, string Sk)>> QueryIndexKeysAsync(
        string index, string hashAttribute, string hashValue, CancellationToken cancellationToken,
        string? rangeAttribute = null, string? rangeOperator = null, string? rangeValue = null) =>
        (await QueryIndexAsync(index, hashAttribute, hashValue, cancellationToken, rangeAttribute, rangeOperator, rangeValue).ConfigureAwait(false))
            .Select(i => (i[Pk].S, i[Sk].S))
            .ToList();

    /// <summary>Every item (as projected) in one partition of an index, page by page.</summary>
    internal async Task<List<Dictionary<string, AttributeValue>>> QueryIndexAsync(
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
    internal async Task<IReadOnlyList<T>> QueryDueAsync<T>(
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
    internal async Task<List<Dictionary<string, AttributeValue>>> BatchGetAsync(IEnumerable<(string Pk, string Sk)> keys, CancellationToken cancellationToken)
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
                    await DynamoDbBackoff.DelayAsync(attempt, _time, cancellationToken).ConfigureAwait(false);
            }
        }

        return items;
    }

    internal async Task<(AuditEntry? Entry, long Version)> ReadAuditHeadAsync(CancellationToken cancellationToken)
    {
        var item = await GetItemAsync(AuditHeadKey, AuditHeadKey, cancellationToken).ConfigureAwait(false);
        return item is null ? (null, 0) : (ReadAuditEntry(item), ParseLong(item, VersionAttribute));
    }

    internal async IAsyncEnumerable<AuditEntry> ReadAuditAsync(long fromSeq = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
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
}
