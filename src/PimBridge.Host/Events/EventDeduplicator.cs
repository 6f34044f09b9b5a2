namespace PimBridge.Host.Events;

/// <summary>
/// Event ids handled recently, so Event Grid's redeliveries (at-least-once) are skipped without a store write. Bounded:
/// entries expire after the TTL, and past the capacity the oldest are forgotten first. Only an optimisation: a
/// forgotten id costs one more, idempotent, hint.
/// </summary>
public sealed class EventDeduplicator(TimeProvider time, TimeSpan ttl, int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _expiry = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, DateTimeOffset Expiry)> _order = new();

    public int Count { get { lock (_gate) return _expiry.Count; } }

    public bool Contains(string id)
    {
        lock (_gate)
        {
            return _expiry.TryGetValue(id, out var until) && until > time.GetUtcNow();
        }
    }

    /// <summary>Remembers an id as handled.</summary>
    public void Remember(string id)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            Evict(now);
            var until = now + ttl;
            _expiry[id] = until;
            _order.Enqueue((id, until));
        }
    }

    private void Evict(DateTimeOffset now)
    {
        // The queue is in insertion order, so expired entries and the oldest ones are at its head. An id remembered
        // twice is queued twice; its older queue entry no longer matches the dictionary and only leaves the queue.
        while (_order.TryPeek(out var head) && (head.Expiry <= now || _expiry.Count >= capacity || _order.Count > 2 * capacity))
        {
            _order.Dequeue();
            if (_expiry.TryGetValue(head.Id, out var current) && current == head.Expiry)
                _expiry.Remove(head.Id);
        }
    }
}
