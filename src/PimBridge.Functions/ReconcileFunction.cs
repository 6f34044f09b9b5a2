using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using PimBridge.Host.Worker;

namespace PimBridge.Functions;

/// <summary>
/// Every minute: reconciles every mapped group from PIM in one read, then ticks until idle
/// (<see cref="EnforcementWorker.ReconcileAllAsync"/>). Skipped while PIM throttles; a throttled or failed run fails
/// the invocation.
/// </summary>
public sealed class ReconcileFunction(EnforcementWorker worker, ILogger<ReconcileFunction> log)
{
    public const string Name = "Reconcile";

    public const string Schedule = "0 */1 * * * *";

    [Function(Name)]
    public async Task RunAsync([TimerTrigger(Schedule, RunOnStartup = false, UseMonitor = true)] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (timer.IsPastDue) log.LogInformation("The reconcile timer is past due");
        var done = await worker.ReconcileAllAsync(cancellationToken).ConfigureAwait(false);
        if (done.SkippedUntil is { } until)
        {
            log.LogInformation("Skipped: PIM is throttling PimBridge until {Until:O}", until);
            return;
        }

        var plan = done.Plan!;
        log.LogInformation(
            "Reconciled {Groups} mapped groups from PIM: {NewGrants} new grants, {EndChanges} end changes, {Stops} stops, {Unmapped} unmapped users; {Ticks} ticks",
            done.Groups, plan.NewGrants.Count, plan.EndChanges.Count, plan.Stops.Count, plan.Unmapped.Count, done.Ticks);
    }
}
