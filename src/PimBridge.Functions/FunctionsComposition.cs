using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PimBridge.Entra;
using PimBridge.Host;

namespace PimBridge.Functions;

/// <summary>
/// How the Functions app gets PimBridge: the host's services (<see cref="PimBridgeHost.AddServices"/>) over the engine
/// composed from configuration on first use, as <c>pimbridge serve</c> composes it. The only file of this project that
/// names the composition's types; the functions take what they need from the container.
/// </summary>
public static class FunctionsComposition
{
    /// <param name="compose">Replaces the configured composition (tests); null composes from configuration.</param>
    public static IServiceCollection AddPimBridge(
        IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, CancellationToken, Task<PimBridgeComponents>>? compose = null)
    {
        PimBridgeHost.AddServices(services, configuration, compose ?? ConfiguredComposition.ComposeAsync);
        services.AddSingleton<ComposedSubscriptions>();
        return services;
    }
}

/// <summary>The Graph subscriptions of the composed engine (composing it on first use).</summary>
public sealed class ComposedSubscriptions(ComponentsProvider components)
{
    /// <exception cref="ComponentsUnavailableException">PimBridge is not configured, or composed without Graph.</exception>
    public async Task<IGraphSubscriptions> GetAsync(CancellationToken cancellationToken) =>
        (await components.GetAsync(cancellationToken).ConfigureAwait(false)).RequireSubscriptions();
}
