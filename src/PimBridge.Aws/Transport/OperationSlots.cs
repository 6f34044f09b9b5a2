using PimBridge.Aws.SsoAdmin;

using System.Collections.Concurrent;

namespace PimBridge.Aws.Transport;

/// <summary>
/// Caps outstanding asynchronous account-assignment operations (15 per Identity Center instance, not raisable).
/// A slot is taken before the start call and held until a status call reports the operation out of IN_PROGRESS.
/// </summary>
internal sealed class OperationSlots(int capacity)
{
    private readonly SemaphoreSlim _free = new(capacity, capacity);
    private readonly ConcurrentDictionary<string, byte> _held = new(StringComparer.Ordinal);

    public int Available => _free.CurrentCount;

    public Task AcquireAsync(CancellationToken cancellationToken) => _free.WaitAsync(cancellationToken);

    /// <summary>After the start call: keep the slot while the operation runs, give it back otherwise.</summary>
    public void AfterStart(string? status, string? requestId)
    {
        if (status == OperationStatuses.InProgress && requestId is not null && _held.TryAdd(requestId, 0))
            return;
        _free.Release();
    }

    /// <summary>Returns the slot held for <paramref name="requestId"/> once its status is terminal.</summary>
    public void AfterStatus(string? status, string? requestId)
    {
        if (status != OperationStatuses.InProgress && requestId is not null)
            Abandon(requestId);
    }

    /// <summary>Returns the slot without a terminal status (the caller stopped waiting). Idempotent.</summary>
    public void Abandon(string requestId)
    {
        if (_held.TryRemove(requestId, out _))
            _free.Release();
    }

    public void ReleaseUnstarted() => _free.Release();
}
