namespace PimBridge.Aws.Transport;

/// <summary>
/// AWS may refuse a permission set's policy write or provisioning (ConflictException) while an assignment operation on
/// that permission set runs, and a mass expiry's deletions keep one running until the last of them: the fences would
/// wait minutes for the removals. A refused write asks for a turn: new assignment operations on that permission set
/// wait until its provisioning has started, or at most the hold, so the running ones end and the write's next attempt
/// goes through within seconds. Turns hold a permission set's operations a tenth of the time at most: the next is
/// granted only once nine times the last one's length has passed (a mass expiry's fences are then written every ten
/// seconds or so, each update taking every fence pending, and its removals keep nine tenths of their pace). A turn that
/// ran out unused is not granted again for a while, so a write that keeps being refused for another reason never holds
/// removals back for long.
/// </summary>
internal sealed class PolicyWriteTurns(TimeProvider time)
{
    /// <summary>Longest wait of an assignment operation behind a write (AWS's operations take 1–3 s).</summary>
    public static readonly TimeSpan Hold = TimeSpan.FromSeconds(10);

    /// <summary>After a turn ran out without the write's provisioning starting, how long before another is granted.</summary>
    public static readonly TimeSpan PauseAfterUnusedTurn = TimeSpan.FromMinutes(1);

    /// <summary>How many times a turn's length must pass after it before the permission set gets another.</summary>
    public const int SpacingPerTurnLength = 9;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (DateTimeOffset Asked, DateTimeOffset Until, TaskCompletionSource Ended)> _turns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _nextTurn = new(StringComparer.Ordinal);

    /// <summary>
    /// A write to the permission set was refused as busy: hold new assignment operations on it, if a turn can be had.
    /// Returns whether a turn is under way (the write may be retried while it lasts).
    /// </summary>
    public bool Ask(string permissionSetArn)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (_turns.TryGetValue(permissionSetArn, out var turn) && now < turn.Until + PauseAfterUnusedTurn)
                return now < turn.Until; // under way (never extended), or ran out unused a moment ago
            if (_nextTurn.TryGetValue(permissionSetArn, out var next) && now < next)
                return false;
            _turns[permissionSetArn] = (now, now + Hold, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            return true;
        }
    }

    /// <summary>The permission set's provisioning has started: its assignment operations go on.</summary>
    public void End(string permissionSetArn)
    {
        lock (_lock)
        {
            if (!_turns.Remove(permissionSetArn, out var turn))
                return;
            turn.Ended.TrySetResult();
            var now = time.GetUtcNow();
            _nextTurn[permissionSetArn] = now + (now - turn.Asked) * SpacingPerTurnLength;
        }
    }

    /// <summary>Whether a write to the permission set has its turn now (new assignment operations on it wait).</summary>
    public bool Holds(string permissionSetArn)
    {
        lock (_lock)
            return _turns.TryGetValue(permissionSetArn, out var turn) && time.GetUtcNow() < turn.Until; // an ended turn is removed
    }

    /// <summary>Before an assignment operation on the permission set: waits while a write to it has its turn.</summary>
    public async Task WaitAsync(string permissionSetArn, CancellationToken cancellationToken)
    {
        (DateTimeOffset Asked, DateTimeOffset Until, TaskCompletionSource Ended) turn;
        lock (_lock)
        {
            if (!_turns.TryGetValue(permissionSetArn, out turn))
                return;
        }

        var left = turn.Until - time.GetUtcNow();
        if (left <= TimeSpan.Zero || turn.Ended.Task.IsCompleted)
            return;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAny(turn.Ended.Task, Task.Delay(left, time, stop.Token)).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
