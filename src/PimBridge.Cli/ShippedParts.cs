using PimBridge.Composition;
using PimBridge.Entra;
using PimBridge.Store.DynamoDb;
using PimBridge.Store.Sqlite;

namespace PimBridge.Cli;

/// <summary>What the CLI ships for the composition: both stores, and the Entra part for <c>serve</c>.</summary>
internal static class ShippedParts
{
    public static IReadOnlyList<IStateStoreFactory> Stores { get; } = [new SqliteStoreFactory(), new DynamoDbStoreFactory()];

    /// <summary>What <c>pimbridge serve</c> composes with: everything PimBridge has.</summary>
    public static ComposedEngineInputs Serve { get; } = new() { Stores = Stores, Entra = new EntraPart() };
}
