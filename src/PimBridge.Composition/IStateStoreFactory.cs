using Amazon.Runtime;
using Microsoft.Extensions.Configuration;
using PimBridge.Core.Ports;

namespace PimBridge.Composition;

/// <summary>
/// Opens one kind of state store from the host's settings. Each store project contributes one; a host passes the ones
/// it ships (<see cref="ComposedEngineInputs.Stores"/>), and <see cref="CompositionSettings.StoreKey"/> picks by
/// <see cref="Name"/>.
/// </summary>
public interface IStateStoreFactory
{
    /// <summary>The value of <see cref="CompositionSettings.StoreKey"/> that selects this store (lower case).</summary>
    string Name { get; }

    /// <summary>Opens the store; whatever must be disposed with the engine (the store, its client) is given to <see cref="StoreContext.Resources"/>.</summary>
    /// <exception cref="Core.Configuration.ConfigurationException">A setting the store needs is missing or wrong.</exception>
    Task<IStateStore> OpenAsync(StoreContext context, CancellationToken cancellationToken);
}

/// <summary>What a store needs from the composition.</summary>
public sealed record StoreContext
{
    /// <summary>The host settings (<see cref="CompositionSettings"/>'s keys).</summary>
    public required IConfiguration Configuration { get; init; }

    /// <summary>Identity Center's Region: the default for a store in AWS.</summary>
    public required string Region { get; init; }

    /// <summary>The one endpoint for every AWS call (<see cref="CompositionSettings.AwsEndpointKey"/>); null: AWS's.</summary>
    public Uri? AwsEndpoint { get; init; }

    /// <summary>Null: the AWS SDK's default credential chain.</summary>
    public AWSCredentials? AwsCredentials { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>Disposed with the engine.</summary>
    public required OwnedResources Resources { get; init; }
}
