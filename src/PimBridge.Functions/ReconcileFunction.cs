using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using PimBridge.Host.Worker;

namespace PimBridge.Functions;

/// <summary>
/// Every 10 s: reads from PIM the mapped groups Graph's membership delta names, and every mapped group once per
/// <c>Worker:FullPollInterval</c> (once a minute without a delta), then ticks until idle
/// (<see cref="EnforcementWorker.PollFromTimerAsync"/>). Skipped while PIM throttles; a failed read fails the invocation.
/// The timer runs on one instance at a time (the Functions host's timer lock), so scaling out does not multiply reads.
/// </summary>
public sealed class ReconcileFunction(EnforcementWorker worker, ILogger<ReconcileFunction> log)
{
    public const string Name = "Reconcile";

    public const string Schedule = "*/10 * * * * *";

    /// <summary>Without Graph's membership delta, how often every mapped group is read: the timer's schedule before the delta.</summary>
    public static readonly TimeSpan FullReadWithoutDelta = TimeSpan.FromMinutes(1);

    [Function(Name)]
    public async Task RunAsync([TimerTrigger(Schedule, RunOnStartup = false, UseMonitor = true)] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (timer.IsPastDue) log.LogInformation("The reconcile timer is past due");
        var done = await worker.PollFromTimerAsync(FullReadWithoutDelta, cancellationToken).ConfigureAwait(false);
        if (done.SkippedUntil is { } until)
        {
            log.LogInformation("Skipped: PIM is throttling PimBridge until {Until:O}", until);
            return;
        }

        if (done.FullReadPlan is { } plan)
            log.LogInformation(
                "Reconciled {Groups} mapped groups from PIM: {NewGrants} new grants, {EndChanges} end changes, {Stops} stops, {Unmapped} unmapped users; {Ticks} ticks",
                done.FullReadGroups, plan.NewGrants.Count, plan.EndChanges.Count, plan.Stops.Count, plan.Unmapped.Count, done.Ticks);
        else
            log.LogDebug("Graph's membership delta named {Changed} mapped groups, read from PIM; {Ticks} ticks", done.ChangedGroups, done.Ticks);
    }
}
