using System.Diagnostics.Metrics;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using PimBridge.Core.Telemetry;

namespace PimBridge.Core.Engine;

/// <summary>The engine's meter and instruments, and what each counts.</summary>
internal static class EngineMetrics
{
    public static readonly Meter Meter = new(PimBridgeTelemetry.Core);
    private static readonly Histogram<double> NotificationDelay = Meter.CreateHistogram<double>("pimbridge.grant.notification_delay", "s", "PIM activation start to PimBridge first seeing it");
    private static readonly Histogram<double> ProcessingTime = Meter.CreateHistogram<double>("pimbridge.grant.processing_time", "s", "PimBridge first seeing an activation to AWS confirming access");
    private static readonly Counter<long> GrantsStarted = Meter.CreateCounter<long>("pimbridge.grants.started", "{grant}", "Grants started (PIM activations PimBridge mirrors into AWS), by mapping");
    private static readonly Counter<long> GrantsEnded = Meter.CreateCounter<long>("pimbridge.grants.ended", "{grant}", "Grants ended, by mapping and reason (expired, deactivated, revoked)");
    private static readonly Counter<long> FencesPlanned = Meter.CreateCounter<long>("pimbridge.fences.planned", "{fence}", "Session fences planned after AWS confirmed a removal");
    private static readonly Counter<long> FencesActivated = Meter.CreateCounter<long>("pimbridge.fences.activated", "{fence}", "Session fences written into their permission set's inline policy");
    private static readonly Counter<long> FencesLifted = Meter.CreateCounter<long>("pimbridge.fences.lifted", "{fence}", "Session fences lifted once the sessions they block have expired");
    private static readonly Counter<long> AlertsRaised = Meter.CreateCounter<long>("pimbridge.enforcer.alerts", "{alert}", "Alerts the enforcer raised, by kind and severity (gap alerts count in pimbridge.gap.alerts)");

    public static void GrantStarted(Grant grant) => GrantsStarted.Add(1, new KeyValuePair<string, object?>("mapping", grant.Mapping));

    /// <summary>"revoked: &lt;reason&gt;" is tagged "revoked": the operator's words would make a series per revoke.</summary>
    public static void GrantEnded(Grant grant, string reason) =>
        GrantsEnded.Add(1, new KeyValuePair<string, object?>("mapping", grant.Mapping), new KeyValuePair<string, object?>("reason", reason.Split(':', 2)[0]));

    /// <summary>The delays of the grants a committed change confirmed access for.</summary>
    public static void AccessConfirmed(StateChange change)
    {
        foreach (var grant in change.Grants.Where(g => g.AccessConfirmedAt is not null))
        {
            if (grant.NotificationDelay is { } delay) NotificationDelay.Record(Math.Max(0, delay.TotalSeconds));
            if (grant.ProcessingTime is { } processing) ProcessingTime.Record(Math.Max(0, processing.TotalSeconds));
        }
    }

    public static void CountAlerts(IEnumerable<Alert> alerts)
    {
        foreach (var alert in alerts)
            AlertsRaised.Add(1, new KeyValuePair<string, object?>("kind", alert.Kind), new KeyValuePair<string, object?>("severity", alert.Severity.ToString().ToLowerInvariant()));
    }

    /// <summary>The alerts of a drift repair, tagged with the severity as its enum name (as drift repairs always have been).</summary>
    public static void CountRepairAlerts(IEnumerable<Alert> alerts)
    {
        foreach (var alert in alerts)
            AlertsRaised.Add(1, new KeyValuePair<string, object?>("kind", alert.Kind), new KeyValuePair<string, object?>("severity", alert.Severity.ToString()));
    }

    /// <summary>Counts, once committed, the fences a removal planned and those a policy write put in place or lifted.</summary>
    public static void CountFences(IntentKind kind, StateChange change)
    {
        if (kind == IntentKind.RemoveEntitlement)
        {
            var planned = change.Audit.Count(a => a.Kind == "fence.planned");
            if (planned > 0) FencesPlanned.Add(planned);
        }
        else if (kind == IntentKind.SyncFences)
        {
            // A fences sync changes exactly the fences it wrote (pending → active) and lifted.
            var activated = change.Fences.Count(f => f.State == FenceState.Active);
            var lifted = change.Fences.Count(f => f.State == FenceState.Lifted);
            if (activated > 0) FencesActivated.Add(activated);
            if (lifted > 0) FencesLifted.Add(lifted);
        }
    }
}
