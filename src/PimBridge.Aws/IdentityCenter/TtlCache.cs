using System.Collections.Concurrent;

namespace PimBridge.Aws.IdentityCenter;

/// <summary>
/// A thread-safe cache whose entries expire a fixed time after they were loaded, on an injected clock. Failures are
/// not cached. Concurrent misses for one key may load it more than once; the last load wins, which is harmless for
/// the read-only facts kept here.
/// </summary>
internal sealed class TtlCache<TKey, TValue>(TimeSpan ttl, TimeProvider time, IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, (TValue Value, DateTimeOffset ExpiresAt)> _entries = new(comparer);

    public async Task<TValue> GetOrLoadAsync(TKey key, Func<TKey, CancellationToken, Task<TValue>> load, CancellationToken cancellationToken)
    {
        if (_entries.TryGetValue(key, out var entry) && time.GetUtcNow() < entry.ExpiresAt)
            return entry.Value;
        var value = await load(key, cancellationToken).ConfigureAwait(false);
        // Stamped after the load, so a slow load still lives its full TTL.
        _entries[key] = (value, time.GetUtcNow() + ttl);
        return value;
    }
}
