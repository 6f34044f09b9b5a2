using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static PimBridge.Store.DynamoDb.DynamoDbItems;
using static PimBridge.Store.DynamoDb.DynamoDbSchema;

namespace PimBridge.Store.DynamoDb;

/// <summary>Named leases with expiry, each one item taken or given up by one conditional write.</summary>
internal sealed class DynamoDbLeases(IAmazonDynamoDB client, string table)
{
    private readonly IAmazonDynamoDB _client = client;
    private readonly string _table = table;

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
}
