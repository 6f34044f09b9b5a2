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
