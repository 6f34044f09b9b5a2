using Amazon;
using Amazon.DynamoDBv2;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Ports;

namespace PimBridge.Store.DynamoDb;

/// <summary>
/// Opens the DynamoDB store for <c>PimBridge:Store=dynamodb</c>: the table <c>PimBridge:DynamoDbTable</c> (required),
/// in <c>PimBridge:DynamoDbRegion</c> or Identity Center's Region, at the composition's AWS endpoint and credentials.
/// </summary>
public sealed class DynamoDbStoreFactory : IStateStoreFactory
{
    public string Name => "dynamodb";

    public Task<IStateStore> OpenAsync(StoreContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var table = context.Configuration[CompositionSettings.DynamoDbTableKey]
            ?? throw new ConfigurationException([$"{CompositionSettings.DynamoDbTableKey}: the DynamoDB table is required with {CompositionSettings.StoreKey}=dynamodb."]);
        var region = context.Configuration[CompositionSettings.DynamoDbRegionKey] ?? context.Region;
        var config = context.AwsEndpoint is null
            ? new AmazonDynamoDBConfig { RegionEndpoint = RegionEndpoint.GetBySystemName(region) }
            : new AmazonDynamoDBConfig { ServiceURL = context.AwsEndpoint.ToString(), AuthenticationRegion = region };
        var client = context.Resources.Own(context.AwsCredentials is null ? new AmazonDynamoDBClient(config) : new AmazonDynamoDBClient(context.AwsCredentials, config));
        return Task.FromResult<IStateStore>(new DynamoDbStateStore(client, table, timeProvider: context.Time));
    }
}
