using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PimBridge.Core;

namespace PimBridge.Host.Worker;

/// <summary>
/// Asks the drift sweep every minute whether its turn has come (<c>Verifier.Interval</c>, shared by every instance
/// on the store), on its own loop, so a sweep never holds up removals. A failed sweep is logged and the next turn
/// looks again: repairs are intents, so nothing is lost.
/// </summary>
public sealed class DriftSweepWorker(ComponentsProvider components, TimeProvider time, IOptions<PimBridgeHostOptions> options, ILogger<DriftSweepWorker> log) : BackgroundService
{
    private static readonly TimeSpan AskEvery = TimeSpan.FromMinutes(1);

    /// <summary>One turn now (tests): the report, or null when it is not this instance's turn or no sweep is composed.</summary>
    public async Task<DriftReport?> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var parts = await components.GetAsync(cancellationToken).ConfigureAwait(false);
        if (parts.Sweep is not { } sweep || await sweep.RunIfDueAsync(cancellationToken).ConfigureAwait(false) is not { } report)
            return null;
        LogReport(log, report);
        return report;
    }

    /// <summary>What a sweep found, as every host logs it: a summary, each new drift (a missing fence as critical), what it could not read.</summary>
    public static void LogReport(ILogger log, DriftReport report)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(report);
        log.LogInformation("Drift sweep: {Checked} of {Targets} targets and {Sets} fenced permission sets in {Calls} calls; {Drifts} drifts, {Repaired} repairs recorded, {Unchecked} unread",
            report.TargetsChecked, report.Targets, report.PermissionSetsChecked, report.Calls, report.Drifts.Count(d => d.New), report.Drifts.Count(d => d.Repaired == true), report.Unchecked.Count);
        foreach (var drift in report.Drifts.Where(d => d.New))
            log.Log(drift.Kind == DriftKind.MissingFence ? LogLevel.Critical : LogLevel.Warning, "Drift {Kind} on {Subject}: {Finding}", drift.Kind, drift.Subject, drift.Finding);
        foreach (var problem in report.Unchecked)
            log.LogWarning("Drift sweep could not read {Problem}", problem);
        foreach (var limit in report.Limits)
            log.LogInformation("Drift sweep checked in part: {Limit}", limit);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => !options.Value.Worker.Enabled ? Task.CompletedTask
        : PeriodicLoop.RunAsync(async ct =>
        {
            await RunOnceAsync(ct).ConfigureAwait(false);
            return AskEvery;
        }, AskEvery, time, log, "The drift sweep", stoppingToken);
}
