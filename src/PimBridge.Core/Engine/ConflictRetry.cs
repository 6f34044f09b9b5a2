using PimBridge.Core.Ports;

namespace PimBridge.Core.Engine;

/// <summary>Runs a read-decide-commit step again when a concurrent writer changed what it read.</summary>
internal static class ConflictRetry
{
    private const int CommitAttempts = 5;

    public static async Task RunAsync(Func<CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await step(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException) when (attempt < CommitAttempts)
            {
            }
        }
    }
}
