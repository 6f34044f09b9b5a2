using PimBridge.Composition;
using PimBridge.Core.Ports;
using PimBridge.Host;

namespace PimBridge.Functions;

/// <summary>The Graph subscriptions of the composed engine (composing it on first use).</summary>
public sealed class ComposedSubscriptions(LazyComposedEngine engine)
{
    /// <exception cref="ComponentsUnavailableException">PimBridge is not configured, or composed without Graph.</exception>
    public async Task<IGraphSubscriptions> GetAsync(CancellationToken cancellationToken) =>
        (await engine.GetAsync(cancellationToken).ConfigureAwait(false)).RequireSubscriptions();
}
