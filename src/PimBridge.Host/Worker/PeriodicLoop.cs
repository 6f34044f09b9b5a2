using Microsoft.Extensions.Logging;

namespace PimBridge.Host.Worker;

/// <summary>
/// The loop the periodic workers share: a turn, then a wait, until the host stops. A failed turn is logged and the
/// next one comes after <c>afterFailure</c>: turns are idempotent, so nothing is lost.
/// </summary>
internal static class PeriodicLoop
{
    /// <param name="turn">One turn; returns the wait before the next, or null when this host has nothing to do (the loop ends).</param>
    public static async Task RunAsync(Func<CancellationToken, Task<TimeSpan?>> turn, TimeSpan afterFailure, TimeProvider time, ILogger log, string what, CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                if (await turn(stoppingToken).ConfigureAwait(false) is not { } next)
                    return;
                wait = next;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                wait = afterFailure;
                log.LogError(ex, "{What} failed; trying again in {Delay}", what, wait);
            }

            try
            {
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
