using PimBridge.Composition;
using PimBridge.Core.Ports;

namespace PimBridge.Store.Sqlite;

/// <summary>Opens the SQLite store for <c>PimBridge:Store=sqlite</c>: the file <c>PimBridge:SqlitePath</c>, default <c>pimbridge.db</c>.</summary>
public sealed class SqliteStoreFactory : IStateStoreFactory
{
    public string Name => "sqlite";

    public async Task<IStateStore> OpenAsync(StoreContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var store = await SqliteStateStore.OpenAsync(context.Configuration[CompositionSettings.SqlitePathKey] ?? "pimbridge.db", cancellationToken).ConfigureAwait(false);
        return context.Resources.Own(store);
    }
}
