namespace PimBridge.Aws.Transport;

/// <summary>
/// Spaces requests at most <c>rate</c> per second (a generic cell rate algorithm with a burst of one). Each caller
/// reserves the next free slot and waits for it, so concurrent callers queue fairly and the quota is never exceeded
/// in any window.
/// </summary>
internal sealed class RequestRateLimiter
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Lock _gate = new();
    private DateTimeOffset _nextFree = DateTimeOffset.MinValue;

    public RequestRateLimiter(double requestsPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecond);
        _time = time;
        _interval = TimeSpan.FromSeconds(1 / requestsPerSecond);
    }

    public TimeSpan Interval => _interval;

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        var wait = Reserve();
        return wait <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, _time, cancellationToken);
    }

    /// <summary>Takes the next slot and returns how long to wait for it.</summary>
    internal TimeSpan Reserve()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var slot = _nextFree > now ? _nextFree : now;
            _nextFree = slot + _interval;
            return slot - now;
        }
    }
}
