using PimBridge.Core;
using PimBridge.Entra;

namespace PimBridge.Host;

/// <summary>
/// What the host runs on: the engine, the store it writes (probed by <c>/readyz</c>), the Graph subscriptions (none in
/// a host that does not read PIM), and the gap detector when a CloudTrail source is configured.
/// <paramref name="Resources"/>, when given, is disposed with the host (the composer's store and clients).
/// </summary>
public sealed record PimBridgeComponents(Enforcer Enforcer, IStateStore Store, IGraphSubscriptions? Subscriptions, IAsyncDisposable? Resources = null)
{
    /// <summary>The Graph subscriptions; a host composed without PIM (the watcher) has none to keep.</summary>
    public IGraphSubscriptions RequireSubscriptions() => Subscriptions
        ?? throw new ComponentsUnavailableException("This host was composed without Graph (no Entra section is read), so it keeps no Graph subscriptions; the Azure-side host does.");

    public Core.Gaps.GapDetector? Gaps { get; init; }

    /// <summary>How often the gap detector scans.</summary>
    public TimeSpan GapInterval { get; init; } = Core.Gaps.GapSettings.Default.Interval;

    /// <summary>The drift sweep (null in a host composed without it).</summary>
    public DriftSweep? Sweep { get; init; }
}

/// <summary>
/// How the host gets its components: composed on first use, so a process whose configuration is wrong still starts,
/// answers <c>/healthz</c>, and says what is wrong on <c>/readyz</c> (and with 503 to deliveries, which Event Grid retries).
/// </summary>
public sealed class PimBridgeComposition(Func<IServiceProvider, CancellationToken, Task<PimBridgeComponents>> compose)
{
    public Func<IServiceProvider, CancellationToken, Task<PimBridgeComponents>> Compose { get; } = compose;
}

/// <summary>The components could not be composed; <see cref="Exception.Message"/> says why.</summary>
public sealed class ComponentsUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Composes the components once, on first use; a failure is remembered briefly, then composing is tried again.</summary>
public sealed class ComponentsProvider(IServiceProvider services, PimBridgeComposition composition, TimeProvider time) : IAsyncDisposable
{
    private static readonly TimeSpan RetryFailureAfter = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile PimBridgeComponents? _components;
    private (Exception Error, DateTimeOffset At)? _failure;

    public async Task<PimBridgeComponents> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_components is { } ready) return ready;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_components is { } composed) return composed;
            if (_failure is { } failure && time.GetUtcNow() - failure.At < RetryFailureAfter)
                throw Unavailable(failure.Error);
            try
            {
                return _components = await composition.Compose(services, cancellationToken).ConfigureAwait(false);
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
        if (_components?.Resources is { } resources) await resources.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
