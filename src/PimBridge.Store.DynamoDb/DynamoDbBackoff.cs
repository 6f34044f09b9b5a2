namespace PimBridge.Store.DynamoDb;

/// <summary>The wait before retrying a request that lost a race or was throttled.</summary>
internal static class DynamoDbBackoff
{
    internal static async Task DelayAsync(int attempt, TimeProvider time, CancellationToken cancellationToken)
    {
        // Equal jitter: uniform in [ceiling/2, ceiling], the ceiling 10 ms doubling to 1 s. The floor keeps every wait a
        // real one (Task.Delay truncates to whole milliseconds) and spreads writers that collided.
        var ceiling = Math.Min(1000.0, 10.0 * Math.Pow(2, Math.Min(attempt, 16) - 1));
        var delay = ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2;
        await Task.Delay(TimeSpan.FromMilliseconds(delay), time, cancellationToken).ConfigureAwait(false);
    }
}
