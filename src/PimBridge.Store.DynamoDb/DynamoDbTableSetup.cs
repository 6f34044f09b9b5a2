using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static PimBridge.Store.DynamoDb.DynamoDbSchema;

namespace PimBridge.Store.DynamoDb;

/// <summary>Creates the store's table, or checks an existing one against the schema, and enables its TTL.</summary>
internal static class DynamoDbTableSetup
{
    internal static readonly TimeSpan TablePollInterval = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan TableWaitTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Creates the table with its key schema, indexes and on-demand billing if it does not exist, waits until it and its
    /// indexes are ACTIVE, and enables TTL on <c>expires_at</c>. An existing table is checked against the schema.
    /// </summary>
    internal static async Task CreateTableAsync(IAmazonDynamoDB client, string tableName, CancellationToken cancellationToken = default)
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
    internal static CreateTableRequest CreateTableRequestFor(string tableName) => new()
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

    internal static GlobalSecondaryIndex Index(string name, string hash, string range, Projection projection) => new()
    {
        IndexName = name,
        KeySchema = [new KeySchemaElement(hash, KeyType.HASH), new KeySchemaElement(range, KeyType.RANGE)],
        Projection = projection,
    };

    internal static async Task<TableDescription?> DescribeTableOrNullAsync(IAmazonDynamoDB client, string tableName, CancellationToken cancellationToken)
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

    internal static async Task<TableDescription> WaitUntilActiveAsync(IAmazonDynamoDB client, string tableName, CancellationToken cancellationToken)
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

    internal static void CheckSchema(TableDescription table)
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

    internal static async Task EnsureTimeToLiveAsync(IAmazonDynamoDB client, string tableName, CancellationToken cancellationToken)
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
}
