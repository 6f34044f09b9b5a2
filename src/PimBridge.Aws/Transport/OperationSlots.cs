using PimBridge.Aws.SsoAdmin;

using System.Collections.Concurrent;

namespace PimBridge.Aws.Transport;

/// <summary>
/// Caps outstanding asynchronous account-assignment operations (15 per Identity Center instance, not raisable).
/// A slot is taken before the start call and held until a status call reports the operation out of IN_PROGRESS.
/// Creations never take the last <c>keptForDeletions</c> slots: a removal must not wait behind a burst of grants.
/// </summary>
internal sealed class OperationSlots(int capacity, int keptForDeletions)
{
    private readonly SemaphoreSlim _free = new(capacity, capacity);
    private readonly SemaphoreSlim _freeForCreations = new(capacity - keptForDeletions, capacity - keptForDeletions);
    private readonly ConcurrentDictionary<string, bool> _held = new(StringComparer.Ordinal); // request id → a creation

    public int Available => _free.CurrentCount;

    public async Task AcquireAsync(bool creation, CancellationToken cancellationToken)
    {
        if (creation)
            await _freeForCreations.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _free.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (creation) _freeForCreations.Release();
            throw;
        }
    }

    /// <summary>After the start call: keep the slot while the operation runs, give it back otherwise.</summary>
    public void AfterStart(bool creation, string? status, string? requestId)
    {
        if (status == OperationStatuses.InProgress && requestId is not null && _held.TryAdd(requestId, creation))
            return;
        ReleaseUnstarted(creation);
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
        if (_held.TryRemove(requestId, out var creation))
            ReleaseUnstarted(creation);
    }

    public void ReleaseUnstarted(bool creation)
    {
        _free.Release();
        if (creation) _freeForCreations.Release();
    }
}
