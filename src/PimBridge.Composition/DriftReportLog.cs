using Microsoft.Extensions.Logging;
using PimBridge.Core.Domain;

namespace PimBridge.Composition;

/// <summary>How every host (the web host's sweep worker, the Lambda watcher) logs a drift sweep's report.</summary>
public static class DriftReportLog
{
    /// <summary>What a sweep found, as every host logs it: a summary, each new drift (a missing fence as critical), what it could not read.</summary>
    public static void Write(ILogger log, DriftReport report)
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
}
