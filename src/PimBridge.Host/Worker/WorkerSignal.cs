namespace PimBridge.Host.Worker;

/// <summary>
/// Wakes the worker: set by anyone (a recorded hint), consumed by the worker's step. Signals set while the worker is
/// busy coalesce into one, and a signal is never lost: it stays set until a step consumes it.
/// </summary>
public sealed class WorkerSignal
{
    private readonly Lock _gate = new();
    private bool _pending;
    private TaskCompletionSource? _waiter;

    public void Set()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            _pending = true;
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetResult();
    }

    /// <summary>Consumes the signal, if set.</summary>
    public bool TryConsume()
    {
        lock (_gate)
        {
            var pending = _pending;
            _pending = false;
            return pending;
        }
    }

    /// <summary>Waits, without consuming, until the signal is set or <paramref name="timeout"/> passes on <paramref name="time"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        Task signalled;
        lock (_gate)
        {
            if (_pending || timeout <= TimeSpan.Zero) return;
            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            signalled = _waiter.Task;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var elapsed = Task.Delay(timeout, time, stop.Token);
        await Task.WhenAny(signalled, elapsed).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false); // drops the timer
        cancellationToken.ThrowIfCancellationRequested();
    }
}
