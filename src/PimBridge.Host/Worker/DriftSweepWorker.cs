using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PimBridge.Core.Domain;

namespace PimBridge.Host.Worker;

/// <summary>
/// Asks the drift sweep every minute whether its turn has come (<c>Verifier.Interval</c>, shared by every instance
/// on the store), on its own loop, so a sweep never holds up removals. A failed sweep is logged and the next turn
/// looks again: repairs are intents, so nothing is lost.
/// </summary>
public sealed class DriftSweepWorker(LazyComposedEngine components, TimeProvider time, IOptions<PimBridgeHostOptions> options, ILogger<DriftSweepWorker> log) : BackgroundService
{
    private static readonly TimeSpan AskEvery = TimeSpan.FromMinutes(1);

    /// <summary>One turn now (tests): the report, or null when it is not this instance's turn or no sweep is composed.</summary>
    public async Task<DriftReport?> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var parts = await components.GetAsync(cancellationToken).ConfigureAwait(false);
        if (parts.Sweep is not { } sweep || await sweep.RunIfDueAsync(cancellationToken).ConfigureAwait(false) is not { } report)
            return null;
        DriftReportLog.Write(log, report);
        return report;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => !options.Value.Worker.Enabled ? Task.CompletedTask
        : PeriodicLoop.RunAsync(async ct =>
        {
            await RunOnceAsync(ct).ConfigureAwait(false);
            return AskEvery;
        }, AskEvery, time, log, "The drift sweep", stoppingToken);
}
