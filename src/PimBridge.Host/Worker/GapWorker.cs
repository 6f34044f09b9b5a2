using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PimBridge.Core.Gaps;

namespace PimBridge.Host.Worker;

/// <summary>
/// Runs the gap detector every <c>Gaps.Interval</c> when a source is configured (<c>Gaps.Source</c>). A failed scan
/// is logged and tried again at the next interval; scans are idempotent (cursors and alert ids), so nothing is lost.
/// </summary>
public sealed class GapWorker(LazyComposedEngine components, TimeProvider time, IOptions<PimBridgeHostOptions> options, ILogger<GapWorker> log) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>One scan now (tests, or a host without the loop); null when no gap source is configured.</summary>
    public async Task<GapScanResult?> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var parts = await components.GetAsync(cancellationToken).ConfigureAwait(false);
        if (parts.Gaps is not { } detector)
            return null;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await detector.ScanAsync(cancellationToken).ConfigureAwait(false);
            if (result.Skipped)
                log.LogDebug("Gap scan skipped: another instance holds the gap-detector lease");
            else
                log.LogInformation(
                    "Gap scan of {Source}: {Windows} windows, {Files} files, {Records} records, {Damaged} damaged files, {Malformed} malformed records, {Alerts} new alerts ({Critical} critical)",
                    detector.SourceDescription, result.Windows, result.Stats.Files, result.Stats.Records, result.Stats.DamagedFiles, result.Stats.MalformedRecords,
                    result.NewAlerts.Count, result.NewAlerts.Count(a => a.Severity == Core.Domain.AlertSeverity.Critical));
            foreach (var problem in result.Stats.Problems)
                log.LogWarning("Gap scan: damaged trail file {Problem}", problem);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => !options.Value.Worker.Enabled ? Task.CompletedTask
        : PeriodicLoop.RunAsync(async ct =>
        {
            var parts = await components.GetAsync(ct).ConfigureAwait(false);
            if (parts.Gaps is null)
                return null; // no source configured: nothing to watch
            await RunOnceAsync(ct).ConfigureAwait(false);
            return parts.GapInterval;
        }, TimeSpan.FromMinutes(1), time, log, "The gap scan", stoppingToken);

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }
}
