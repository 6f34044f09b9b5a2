using PimBridge.Core.Ports;

namespace PimBridge.Cli;

/// <summary>An open state store, what it is (for messages), and what to dispose when the command ends.</summary>
internal sealed class OpenedStateStore(IStateStore store, string describe, object owned) : IAsyncDisposable
{
    public IStateStore Store { get; } = store;
    public string Describe { get; } = describe;

    public async ValueTask DisposeAsync()
    {
        if (owned is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        else (owned as IDisposable)?.Dispose();
    }
}
