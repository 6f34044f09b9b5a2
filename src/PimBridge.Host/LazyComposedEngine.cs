namespace PimBridge.Host;

/// <summary>
/// The host's <see cref="ComposedEngine"/>, composed on first use, so a process whose configuration is wrong still
/// starts, answers <c>/healthz</c>, and says what is wrong on <c>/readyz</c> (and with 503 to deliveries, which Event
/// Grid retries). A failure is remembered briefly, then composing is tried again.
/// </summary>
public sealed class LazyComposedEngine(IServiceProvider services, Func<IServiceProvider, CancellationToken, Task<ComposedEngine>> compose, TimeProvider time) : IAsyncDisposable
{
    private static readonly TimeSpan RetryFailureAfter = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile ComposedEngine? _engine;
    private (Exception Error, DateTimeOffset At)? _failure;

    public async Task<ComposedEngine> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_engine is { } ready) return ready;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_engine is { } composed) return composed;
            if (_failure is { } failure && time.GetUtcNow() - failure.At < RetryFailureAfter)
                throw Unavailable(failure.Error);
            try
            {
                return _engine = await compose(services, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _failure = (ex, time.GetUtcNow());
                throw Unavailable(ex);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static ComponentsUnavailableException Unavailable(Exception error) =>
        error as ComponentsUnavailableException ?? new ComponentsUnavailableException($"PimBridge is not configured: {error.Message}", error);

    public async ValueTask DisposeAsync()
    {
        if (_engine?.Resources is { } resources) await resources.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
