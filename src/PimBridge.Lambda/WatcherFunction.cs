using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PimBridge.Composition;
using PimBridge.Core.Domain;
using PimBridge.Store.DynamoDb;

namespace PimBridge.Lambda;

/// <summary>
/// The AWS-side watcher: on every invocation (an EventBridge Scheduler schedule, every minute) it ticks the enforcer
/// until it is idle (ending due grants, fencing sessions, executing pending intents), scans for gaps when a gap source
/// is configured, and answers a small JSON summary. Critical gap alerts and failed invocations are also counted as
/// Embedded Metric Format lines (<see cref="EmbeddedMetrics"/>) for the CloudWatch alarms.
/// </summary>
public sealed class WatcherFunction : ILambdaHandler, IAsyncDisposable
{
    /// <summary>Bounds one invocation's ticking: a backlog larger than this is finished by the next invocation.</summary>
    public const int MaxTicksPerInvocation = 50;

    private readonly ComposedEngine _engine;
    private readonly EmbeddedMetrics _metrics;
    private readonly ILogger _log;

    public WatcherFunction(ComposedEngine engine, EmbeddedMetrics metrics, ILogger log)
    {
        _engine = engine;
        _metrics = metrics;
        _log = log;
    }

    /// <summary>
    /// Composes the engine from <paramref name="configuration"/> (see <see cref="WatcherConfiguration"/>) with the
    /// DynamoDB store and without Graph (no Entra part is shipped): the watcher never reads PIM, so it needs no Entra
    /// section and no Graph permission, and leaves group hints to the Azure-side bridge. Throws, naming the setting, when the configuration
    /// is wrong: the runtime reports it as an init error.
    /// </summary>
    /// <param name="given">What the caller already has (for example AWS credentials); null: all from configuration.</param>
    public static async Task<WatcherFunction> CreateAsync(
        IConfiguration configuration, TimeProvider time, ILoggerFactory loggers, EmbeddedMetrics metrics, ComposedEngineInputs? given, CancellationToken cancellationToken)
    {
        var inputs = (given ?? new ComposedEngineInputs()) with { Stores = [new DynamoDbStoreFactory()] };
        var engine = await ComposedEngine.ComposeAsync(configuration, time, loggers, inputs, cancellationToken).ConfigureAwait(false);
        return new WatcherFunction(engine, metrics, loggers.CreateLogger<WatcherFunction>());
    }

    public async Task<byte[]> HandleAsync(LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        try
        {
            var summary = await WatchAsync(cancellationToken).ConfigureAwait(false);
            _metrics.Count(EmbeddedMetrics.WatcherErrors, 0);
            return JsonSerializer.SerializeToUtf8Bytes(summary);
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "Watcher invocation {RequestId} failed", invocation.RequestId);
            _metrics.Count(EmbeddedMetrics.WatcherErrors, 1);
            throw;
        }
    }

    private async Task<WatcherSummary> WatchAsync(CancellationToken cancellationToken)
    {
        var drain = await _engine.Enforcer.DrainAsync(MaxTicksPerInvocation, CancellationToken.None, cancellationToken).ConfigureAwait(false);
        var (ticks, ended, fences, done, failed, idle) =
            (drain.Ticks, drain.Total.GrantsEnded, drain.Total.FencesDue, drain.Total.IntentsDone, drain.Total.IntentsFailed, drain.Idle);

        // Ticks hand notifications off without waiting; Lambda freezes the environment once the invocation returns, so
        // they finish here (a frozen delivery would only be sent again when its claim expires).
        await _engine.Enforcer.DeliveriesSettledAsync().WaitAsync(cancellationToken).ConfigureAwait(false);

        int? alerts = null, critical = null;
        bool? skipped = null;
        if (_engine.Gaps is { } gaps)
        {
            var scan = await gaps.ScanAsync(cancellationToken).ConfigureAwait(false);
            alerts = scan.NewAlerts.Count;
            critical = scan.NewAlerts.Count(a => a.Severity == AlertSeverity.Critical);
            skipped = scan.Skipped;
            // Counted every scan, zero included, so the alarm sees data rather than a missing metric.
            _metrics.Count(EmbeddedMetrics.CriticalGapAlerts, critical.Value);
            foreach (var alert in scan.NewAlerts.Where(a => a.Severity == AlertSeverity.Critical))
                _log.LogCritical("Critical gap alert: {Alert}", alert);
        }

        // Repairs are intents: the next invocation's ticks carry them out.
        int? drifts = null;
        if (_engine.Sweep is { } sweep && await sweep.RunIfDueAsync(cancellationToken).ConfigureAwait(false) is { } report)
        {
            drifts = report.Drifts.Count(d => d.New);
            DriftReportLog.Write(_log, report);
        }

        return new WatcherSummary(ticks, ended, fences, done, failed, idle, alerts, critical, skipped, drifts);
    }

    public async ValueTask DisposeAsync()
    {
        if (_engine.Resources is { } resources) await resources.DisposeAsync().ConfigureAwait(false);
    }
}
