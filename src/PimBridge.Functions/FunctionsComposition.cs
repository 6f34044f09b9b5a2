using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PimBridge.Composition;
using PimBridge.Entra;
using PimBridge.Host;
using PimBridge.Store.DynamoDb;
using PimBridge.Store.Sqlite;

namespace PimBridge.Functions;

/// <summary>
/// How the Functions app gets PimBridge: the host's services (<see cref="PimBridgeHost.AddServices"/>) over the engine
/// composed from configuration on first use, with the parts this app ships (both stores and the Entra part), exactly as
/// <c>pimbridge serve</c> composes it. The only file of this project that names the composition's types.
/// </summary>
public static class FunctionsComposition
{
    /// <summary>What the Function App ships for the composition.</summary>
    public static ComposedEngineInputs Shipped { get; } = new()
    {
        Stores = [new SqliteStoreFactory(), new DynamoDbStoreFactory()],
        Entra = new EntraPart(),
    };

    /// <param name="compose">Replaces the configured composition (tests); null composes from configuration.</param>
    public static IServiceCollection AddPimBridge(
        IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, CancellationToken, Task<ComposedEngine>>? compose = null)
    {
        PimBridgeHost.AddServices(services, configuration, compose ?? PimBridgeHost.ComposeFrom(Shipped));
        services.AddSingleton<ComposedSubscriptions>();
        return services;
    }
}
