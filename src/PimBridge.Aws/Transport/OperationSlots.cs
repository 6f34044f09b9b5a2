using PimBridge.Aws.SsoAdmin;

using System.Collections.Concurrent;

namespace PimBridge.Aws.Transport;

/// <summary>
/// Caps outstanding asynchronous account-assignment operations (15 per Identity Center instance, not raisable).
/// A slot is taken before the start call and held until a status call reports the operation out of IN_PROGRESS.
/// Creations may take every slot, but a deletion waiting for one gets the next slot freed before any waiting creation:
/// a removal waits at most for the first of the running operations to finish, never behind a burst of grants, and no
/// slot stands idle while grants queue (keeping two for deletions cost a burst about an eighth of its pace).
/// </summary>
internal sealed class OperationSlots(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _waitingDeletions = new();
    private readonly Queue<TaskCompletionSource> _waitingCreations = new();
    private readonly ConcurrentDictionary<string, byte> _held = new(StringComparer.Ordinal); // request ids holding a slot
    private int _free = capacity;

    public int Available
    {
        get { lock (_lock) return _free; }
    }

    public Task AcquireAsync(bool creation, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_free > 0 && (!creation || _waitingDeletions.Count == 0))
            {
                _free--;
                return Task.CompletedTask;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (creation ? _waitingCreations : _waitingDeletions).Enqueue(waiter);
        }

        return QueuedWaiter.WaitAsync(waiter, cancellationToken);
    }

    /// <summary>After the start call: keep the slot while the operation runs, give it back otherwise.</summary>
    public void AfterStart(string? status, string? requestId)
    {
        if (status == OperationStatuses.InProgress && requestId is not null && _held.TryAdd(requestId, 0))
            return;
        Release();
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
            Release();
    }

    /// <summary>Gives a slot back: to the longest-waiting deletion, else creation, else to the free count.</summary>
    public void Release()
    {
        lock (_lock)
        {
            while (_waitingDeletions.TryDequeue(out var deletion))
                if (deletion.TrySetResult()) return;
            while (_waitingCreations.TryDequeue(out var waiting))
                if (waiting.TrySetResult()) return;
            _free++;
        }
    }
}
