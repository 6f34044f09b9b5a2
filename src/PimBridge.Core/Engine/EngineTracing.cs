using System.Diagnostics;
using PimBridge.Core.Domain;
using PimBridge.Core.Telemetry;

namespace PimBridge.Core.Engine;

/// <summary>
/// The engine's spans: one per reconcile and one per intent run. A span is started only when something listens to
/// <see cref="PimBridgeTelemetry.Core"/> (otherwise <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> is
/// null and every tag below is skipped), so tracing costs nothing unless exported.
/// </summary>
internal static class EngineTracing
{
    public static readonly ActivitySource Source = new(PimBridgeTelemetry.Core);

    public static Activity? StartReconcile(int groups, bool dryRun)
    {
        var span = Source.StartActivity("reconcile", ActivityKind.Internal);
        span?.SetTag("pimbridge.reconcile.groups", groups);
        span?.SetTag("pimbridge.reconcile.dry_run", dryRun);
        return span;
    }

    /// <summary>Awaits a reconcile started under <paramref name="span"/> and tags the span with its plan.</summary>
    public static async Task<ReconcileResult> ReconciledAsync(Activity? span, Task<ReconcileResult> reconcile)
    {
        try
        {
            var result = await reconcile.ConfigureAwait(false);
            if (span is not null)
            {
                span.SetTag("pimbridge.reconcile.applied", result.Applied);
                span.SetTag("pimbridge.plan.new_grants", result.Plan.NewGrants.Count);
                span.SetTag("pimbridge.plan.end_changes", result.Plan.EndChanges.Count);
                span.SetTag("pimbridge.plan.stops", result.Plan.Stops.Count);
                span.SetTag("pimbridge.plan.unmapped", result.Plan.Unmapped.Count);
            }

            return result;
        }
        catch (Exception ex)
        {
            Failed(span, ex);
            throw;
        }
    }

    public static Activity? StartIntent(Intent intent)
    {
        var span = Source.StartActivity("intent", ActivityKind.Internal);
        if (span is not null)
        {
            span.SetTag("pimbridge.intent.kind", intent.Kind.ToString());
            span.SetTag("pimbridge.intent.id", intent.Id);
            span.SetTag("pimbridge.intent.attempt", intent.Attempts + 1);
        }

        return span;
    }

    public static void Outcome(Activity? span, IntentOutcome outcome) =>
        span?.SetTag("pimbridge.intent.outcome", outcome switch
        {
            IntentOutcome.Done => "done",
            IntentOutcome.Failed => "failed",
            IntentOutcome.Superseded => "superseded",
            IntentOutcome.Waiting => "waiting",
            _ => "skipped",
        });

    /// <summary>Marks a span failed, named by the exception's type (OpenTelemetry's <c>error.type</c>); the message may carry identifiers and stays in the logs.</summary>
    public static void Failed(Activity? span, Exception error)
    {
        if (span is null) return;
        var type = error.GetType().FullName;
        span.SetTag("error.type", type);
        span.SetStatus(ActivityStatusCode.Error, type);
    }
}
