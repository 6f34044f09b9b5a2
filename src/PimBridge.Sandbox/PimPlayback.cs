using System.Diagnostics;
using System.Globalization;
using PimBridge.Core.Domain;
using PimBridge.Sandbox.Graph;
using PimBridge.Sandbox.Scenarios;

namespace PimBridge.Sandbox;

/// <summary>
/// Plays PIM's part of a scenario on the Graph stub: activations, early deactivations and expiries, each announced to
/// the engine by a change-notification hint; then waits for the engine to grant or remove the access and confirm its
/// fences, and reads the result back from Identity Center on moto and from the store into each <see cref="ActivationRun"/>.
/// </summary>
internal sealed class PimPlayback(Scenario scenario, SandboxOptions options, SandboxWorld world, SandboxTimeline timeline)
{
    private readonly Scenario _scenario = scenario;
    private readonly SandboxOptions _options = options;
    private readonly SandboxWorld _world = world;
    private readonly SandboxTimeline _timeline = timeline;
    private readonly Dictionary<ScenarioEvent, ActivationRun> _runs = [];

    /// <summary>The activations as they went, in the order PIM played them (a live view: it grows as the run plays).</summary>
    public IReadOnlyCollection<ActivationRun> Runs => _runs.Values;

    public async Task ActivateAsync(ScenarioEvent step, CancellationToken cancellationToken)
    {
        _timeline.SkipTo(step.At);
        var user = _scenario.User(step.User);
        var group = _scenario.Group(step.Group!);
        var start = _world.Clock.GetUtcNow();
        var run = new ActivationRun { Event = step, InstanceId = Guid.NewGuid().ToString(), Start = start, End = start + step.For!.Value };
        _runs[step] = run;
        _world.Tenant.AddInstance(GraphJson.Instance(run.InstanceId, _world.EntraUsers[user.Name], _world.EntraGroups[group.Name], start: GraphTime(run.Start), end: GraphTime(run.End)));
        _timeline.Emit(TimelineKind.Pim, $"PIM: {user.Name} activates {group.Name} for {TimelineText.Minutes(step.For.Value)} (until {ScenarioReader.Show(_timeline.ScenarioTime(run.End))}); Graph's change notification reaches PimBridge.");
        await _world.Enforcer.HintAsync(_world.EntraGroups[group.Name], cancellationToken).ConfigureAwait(false);

        var grant = await WaitForAsync(async ct => (await GrantOfAsync(run, ct).ConfigureAwait(false)) is { AccessConfirmedAt: not null } g ? g : null, cancellationToken).ConfigureAwait(false);
        if (grant is null)
        {
            _timeline.Emit(TimelineKind.Problem, $"{user.Name} got no AWS access within {_options.StepTimeout.TotalSeconds:0} s of the activation.");
            return;
        }

        run.Grant = grant;
        var reached = await _world.ReadBack.TargetsReachedAsync(user.Name, group, cancellationToken).ConfigureAwait(false);
        var missing = IdentityCenterReadBack.Targets(group).Except(reached).Select(t => $"{t.PermissionSet} in {t.Account}").ToList();

        var latency = _timeline.RealMs(run.Start, grant.AccessConfirmedAt!.Value);
        if (missing.Count > 0)
        {
            _timeline.Emit(TimelineKind.Problem, $"The engine confirmed {user.Name}'s access, but Identity Center does not show {string.Join(", ", missing)}.");
            return;
        }

        run.Granted = $"granted in {latency}";
        _timeline.Emit(TimelineKind.Engine, $"activation → AWS access in {latency}: {Describe(group)} (read back from Identity Center).");
        await WaitIdleAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task DeactivateAsync(ScenarioEvent step, CancellationToken cancellationToken)
    {
        _timeline.SkipTo(step.At);
        var run = _runs.Values.Last(r => r.Event.User == step.User && r.Event.Group == step.Group && !r.Ended);
        var at = _world.Clock.GetUtcNow();
        _world.Tenant.RemoveInstance(run.InstanceId);
        _timeline.Emit(TimelineKind.Pim, $"PIM: {step.User} deactivates {step.Group} early; Graph's change notification reaches PimBridge.");
        await _world.Enforcer.HintAsync(_world.EntraGroups[step.Group!], cancellationToken).ConfigureAwait(false);
        await EndAsync(run, at, "deactivation", cancellationToken).ConfigureAwait(false);
    }

    public async Task ExpireAsync(ScenarioEvent step, CancellationToken cancellationToken)
    {
        var run = _runs[step.Activation!];
        if (run.Ended) return;
        _timeline.SkipTo(_timeline.ScenarioTime(run.End));
        _world.Tenant.RemoveInstance(run.InstanceId); // PIM stops listing an expired instance
        _timeline.Emit(TimelineKind.Pim, $"PIM: {step.User}'s activation of {step.Group} expires.");
        await EndAsync(run, run.End, "expiry", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for the engine to end the grant, remove its access and confirm its fences, then reads it all back.</summary>
    private async Task EndAsync(ActivationRun run, DateTimeOffset endedAt, string what, CancellationToken cancellationToken)
    {
        run.Ended = true;
        run.EndedBy = endedAt;
        var user = _scenario.User(run.Event.User);
        var group = _scenario.Group(run.Event.Group!);
        if (run.Grant is null)
        {
            _timeline.Emit(TimelineKind.Problem, $"{user.Name} never had access through {group.Name}, so there is nothing to remove.");
            return;
        }

        var settled = await WaitForAsync(ct => SettledEndAsync(run.Grant.Id, ct), cancellationToken).ConfigureAwait(false);
        if (settled is null)
        {
            _timeline.Emit(TimelineKind.Problem, $"The engine did not finish removing {user.Name}'s access through {group.Name} within {_options.StepTimeout.TotalSeconds:0} s of the {what}.");
            return;
        }

        var (grant, removedAt, fences) = settled;
        run.Grant = grant;
        run.EndReason = grant.EndReason;
        var stillThere = (await _world.ReadBack.TargetsReachedAsync(user.Name, group, cancellationToken).ConfigureAwait(false))
            .Select(t => $"{t.PermissionSet} in {t.Account}").ToList();

        if (stillThere.Count > 0)
            _timeline.Emit(TimelineKind.Problem, $"After the {what}, Identity Center still shows {user.Name} with {string.Join(", ", stillThere)}.");
        else
            run.Removed = $"removed ({grant.EndReason}) in {_timeline.RealMs(endedAt, removedAt ?? endedAt)}";

        var fenced = new List<string>();
        foreach (var fence in fences)
        {
            var name = fence.PermissionSetName ?? fence.PermissionSetArn;
            if (!await _world.ReadBack.FenceInPolicyAsync(fence, cancellationToken).ConfigureAwait(false))
            {
                _timeline.Emit(TimelineKind.Problem, $"The engine confirmed a fence on {name} for {user.Name}, but the permission set's inline policy in Identity Center has no statement for them.");
                continue;
            }

            run.Fences.Add((fence, $"fenced in {_timeline.RealMs(endedAt, fence.ActiveSince!.Value)}"));
            fenced.Add($"{name} in {string.Join(", ", fence.Accounts)}");
        }

        var cutoff = fences.Count > 0 ? $"; sessions issued before {TimelineText.Clock(fences.Max(f => f.Cutoff))} are denied" : "";
        var total = fences.Count > 0 ? fences.Max(f => f.ActiveSince!.Value) : removedAt ?? endedAt;
        _timeline.Emit(TimelineKind.Engine, stillThere.Count > 0
            ? $"{what} → fence in {_timeline.RealMs(endedAt, total)}, but the removal did not show in Identity Center."
            : fenced.Count > 0
                ? $"{what} → removal and fence in {_timeline.RealMs(endedAt, total)} (removed after {_timeline.RealMs(endedAt, removedAt ?? endedAt)}; fenced {string.Join("; ", fenced)}{cutoff})."
                : $"{what} → removal in {_timeline.RealMs(endedAt, removedAt ?? endedAt)} ({(group.FenceSessions ? "no session fence was needed" : "this mapping does not fence sessions")}).");
        await WaitIdleAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The grant once it ended, every entitlement it held is removed (or held by another grant), and its fences are confirmed.</summary>
    private async Task<SettledEnd?> SettledEndAsync(string grantId, CancellationToken cancellationToken)
    {
        var store = _world.Store;
        var grant = await store.GetGrantAsync(grantId, cancellationToken).ConfigureAwait(false);
        if (grant is not { State: GrantState.Ended, EndedAt: { } ended })
            return null;
        DateTimeOffset? removedAt = null;
        foreach (var key in grant.EntitlementKeys)
        {
            var entry = await store.GetLedgerEntryAsync(key, cancellationToken).ConfigureAwait(false);
            if (entry is null || entry.IsHeld) continue;
            if (entry.Status != EntitlementStatus.Removed) return null;
            if (entry.RemovedAt is { } r && (removedAt is null || r > removedAt)) removedAt = r;
        }

        var fences = (await store.ListFencesAsync(openOnly: false, cancellationToken).ConfigureAwait(false))
            .Where(f => f.UserId == grant.User.UserId && f.CreatedAt >= ended).ToList();
        if (fences.Any(f => f.ActiveSince is null))
            return null;
        return new SettledEnd(grant, removedAt, fences);
    }

    private sealed record SettledEnd(Grant Grant, DateTimeOffset? RemovedAt, IReadOnlyList<SessionFence> Fences);

    private async Task<Grant?> GrantOfAsync(ActivationRun run, CancellationToken cancellationToken)
    {
        var userName = _scenario.User(run.Event.User).UserName;
        var grants = await _world.Store.ListGrantsAsync(activeOnly: false, userName, cancellationToken).ConfigureAwait(false);
        return grants.LastOrDefault(g => g.Mapping == run.Event.Group && g.ActivationId == run.InstanceId);
    }

    /// <summary>Waits until the engine has run a whole tick that found nothing to do, so skipping time cannot overtake its work.</summary>
    private Task WaitIdleAsync(CancellationToken cancellationToken) => _world.Engine.WaitIdleAsync(_options.StepTimeout, cancellationToken);

    private async Task<T?> WaitForAsync<T>(Func<CancellationToken, Task<T?>> probe, CancellationToken cancellationToken)
        where T : class
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (await probe(cancellationToken).ConfigureAwait(false) is { } value)
                return value;
            if (waited.Elapsed > _options.StepTimeout)
                return null;
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string GraphTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Describe(ScenarioGroup group) =>
        (group.IdentityCenterGroup is { } ic ? $"member of {ic}: " : "") + string.Join(", ", group.Reach.Select(r => $"{r.PermissionSet} in {string.Join(", ", r.Accounts)}"));
}
