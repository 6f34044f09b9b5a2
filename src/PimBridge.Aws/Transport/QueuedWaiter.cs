namespace PimBridge.Aws.Transport;

/// <summary>A caller queued for something handed out in turn (an operation slot, a rate-limit interval).</summary>
internal static class QueuedWaiter
{
    /// <summary>
    /// Waits for <paramref name="waiter"/> until <paramref name="cancellationToken"/> fires. Cancelling completes the
    /// waiter itself, not just this wait: it stays queued and is passed over when its turn comes (TrySetResult fails on
    /// it), so no turn is handed to a caller that has gone.
    /// </summary>
    public static Task WaitAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled) return waiter.Task;
        var registration = cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
        return WaitAsync(waiter.Task, registration);

        static async Task WaitAsync(Task turn, CancellationTokenRegistration registration)
        {
            await using (registration.ConfigureAwait(false))
                await turn.ConfigureAwait(false);
        }
    }
}
