namespace PimBridge.Aws.Transport;

/// <summary>
/// Spaces requests at most <c>rate</c> per second, one every interval, idle time not banked. Waiting requests are
/// released one an interval, <see cref="RequestPriority.Urgent"/> ones first and each queue in order, so
/// the quota is never exceeded in any window and a status look that frees a slot never waits behind a burst's listings.
/// </summary>
internal sealed class RequestRateLimiter
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _ahead = new();
    private readonly Queue<TaskCompletionSource> _inOrder = new();
    private ITimer? _timer; // set while requests wait: fires at the next free time
    private DateTimeOffset _nextFree = DateTimeOffset.MinValue;

    public RequestRateLimiter(double requestsPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecond);
        _time = time;
        _interval = TimeSpan.FromSeconds(1 / requestsPerSecond);
    }

    public TimeSpan Interval => _interval;

    public Task WaitAsync(RequestPriority priority, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_timer is null && _nextFree <= now)
            {
                _nextFree = now + _interval;
                return Task.CompletedTask;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (priority == RequestPriority.Urgent ? _ahead : _inOrder).Enqueue(waiter);
            _timer ??= _time.CreateTimer(_ => Release(), null, _nextFree - now, Timeout.InfiniteTimeSpan);
        }

        return QueuedWaiter.WaitAsync(waiter, cancellationToken);
    }

    /// <summary>The next free time has come: lets one waiting request go and sets the timer for the next.</summary>
    private void Release()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            // A timer that fires a little late keeps the cadence; one a whole interval late does not bank the idle time.
            var slot = _nextFree > now - _interval ? _nextFree : now;
            var released = false;
            while (!released && (_ahead.TryDequeue(out var waiter) || _inOrder.TryDequeue(out waiter)))
                released = waiter.TrySetResult();
            if (released) _nextFree = slot + _interval;

            _timer!.Dispose();
            _timer = _ahead.Count + _inOrder.Count == 0
                ? null
                : _time.CreateTimer(_ => Release(), null, _nextFree > now ? _nextFree - now : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }
}
