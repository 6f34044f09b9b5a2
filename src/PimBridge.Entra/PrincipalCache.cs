using System.Collections.Concurrent;

namespace PimBridge.Entra;

/// <summary>
/// Entries that expire a fixed time after they were loaded, on an injected clock. Failures are not cached; concurrent
/// misses for one key may load it twice (the last load wins), which is harmless for directory facts. A zero TTL
/// caches nothing.
/// </summary>
internal sealed class PrincipalCache<TValue>(TimeSpan ttl, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (TValue Value, DateTimeOffset ExpiresAt)> _entries = new(StringComparer.OrdinalIgnoreCase);

    public async Task<TValue> GetOrLoadAsync(string key, Func<string, CancellationToken, Task<TValue>> load, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(key, out var entry) && now < entry.ExpiresAt)
            return entry.Value;
        var value = await load(key, cancellationToken).ConfigureAwait(false);
        if (ttl <= TimeSpan.Zero)
        {
            _entries.TryRemove(key, out _);
            return value;
        }

        // Stamped after the load, so a slow load still lives its full TTL; expired entries are swept now and then.
        now = time.GetUtcNow();
        _entries[key] = (value, now + ttl);
        if (_entries.Count > 1024)
        {
            foreach (var stale in _entries.Where(e => e.Value.ExpiresAt <= now).Select(e => e.Key).ToList())
                _entries.TryRemove(stale, out _);
        }

        return value;
    }
}
