namespace PimBridge.Composition;

/// <summary>What the composition created, disposed with the engine (or at once when composing fails), last first.</summary>
public sealed class OwnedResources : IAsyncDisposable
{
    private readonly List<object> _owned = [];

    /// <summary>Takes <paramref name="resource"/> to dispose (when it is disposable) and returns it.</summary>
    public T Own<T>(T resource) where T : class
    {
        ArgumentNullException.ThrowIfNull(resource);
        _owned.Add(resource);
        return resource;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var resource in Enumerable.Reverse(_owned))
        {
            if (resource is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            else (resource as IDisposable)?.Dispose();
        }

        _owned.Clear();
    }
}
