using System.Diagnostics;
using PimBridge.Core.Engine;

namespace PimBridge.Sandbox;

/// <summary>
/// The engine ticking in the background as <c>pimbridge serve</c> would: drains, rests briefly once a tick found
/// nothing to do, and keeps what went wrong for the run to report between steps. Disposing stops it.
/// </summary>
internal sealed class EngineLoop : IAsyncDisposable
{
    private readonly Enforcer _enforcer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _idleTicks;
    private int _failedAttempts;
    private string? _engineError;

    private EngineLoop(Enforcer enforcer)
    {
        _enforcer = enforcer;
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Starts ticking <paramref name="enforcer"/> until disposed.</summary>
    public static EngineLoop Start(Enforcer enforcer) => new(enforcer);

    /// <summary>The failed attempts and the failed tick since the last call, and forgets them.</summary>
    public (int FailedAttempts, string? Error) TakeTrouble() =>
        (Interlocked.Exchange(ref _failedAttempts, 0), Interlocked.Exchange(ref _engineError, null));

    /// <summary>Waits until the engine has run a whole tick that found nothing to do, so skipping time cannot overtake its work.</summary>
    public async Task WaitIdleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var seen = Interlocked.Read(ref _idleTicks);
        var waited = Stopwatch.StartNew();
        while (Interlocked.Read(ref _idleTicks) < seen + 2 && waited.Elapsed < timeout)
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The service loop: drain, and rest briefly once a tick found nothing to do.</summary>
    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            DrainResult? drain = null;
            try
            {
                drain = await _enforcer.DrainAsync(int.MaxValue, stop, stop, tick =>
                {
                    if (tick.IntentsFailed > 0) Interlocked.Add(ref _failedAttempts, tick.IntentsFailed);
                }).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Volatile.Write(ref _engineError, $"{e.GetType().Name}: {e.Message}");
            }

            if (drain is null || drain.Idle)
            {
                Interlocked.Increment(ref _idleTicks);
                try
                {
                    await Task.Delay(10, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        _stop.Dispose();
    }
}
