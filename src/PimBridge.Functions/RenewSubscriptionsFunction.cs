using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace PimBridge.Functions;

/// <summary>
/// Daily at 03:30: keeps the Graph subscriptions (<c>IGraphSubscriptions.EnsureAsync</c>) and logs each one. A
/// subscription that could not be kept fails the invocation, so the failure shows in the Function App's monitoring.
/// </summary>
public sealed class RenewSubscriptionsFunction(ComposedSubscriptions subscriptions, ILogger<RenewSubscriptionsFunction> log)
{
    public const string Name = "RenewSubscriptions";

    public const string Schedule = "0 30 3 * * *";

    [Function(Name)]
    public async Task RunAsync([TimerTrigger(Schedule, RunOnStartup = false, UseMonitor = true)] TimerInfo timer, CancellationToken cancellationToken)
    {
        var kept = await subscriptions.GetAsync(cancellationToken).ConfigureAwait(false);
        var report = await kept.EnsureAsync(cancellationToken).ConfigureAwait(false);
        foreach (var a in report.Actions)
        {
            log.LogInformation("{Resource} (group {GroupId}): {Action}, subscription {SubscriptionId}, expires {ExpiresAt:O}{Error}",
                a.Resource, a.GroupId, a.Action, a.SubscriptionId, a.ExpiresAt, a.Error is null ? "" : $": {a.Error}");
        }

        var failed = report.Actions.Count(a => a.Action == "failed");
        if (failed > 0)
            throw new InvalidOperationException($"{failed} of {report.Actions.Count} Graph subscriptions could not be kept: "
                + string.Join("; ", report.Actions.Where(a => a.Action == "failed").Select(a => $"group {a.GroupId}: {a.Error}")));
    }
}
