using PimBridge.Testing;

namespace PimBridge.Store.Tests;

/// <summary>The store tests that share one moto_server (<see cref="DynamoDbMotoFixture"/>).</summary>
[CollectionDefinition(Name)]
public sealed class DynamoDbMotoCollection : ICollectionFixture<DynamoDbMotoFixture>
{
    public const string Name = "dynamodb-moto";
}