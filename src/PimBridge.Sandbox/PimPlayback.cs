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

    /// <summary>
    /// Plays activations that start at the same instant together, as an incident's on-call rotation would: PIM lists
    /// them all, each group's notification reaches the engine, and only then does the run wait for their access, so
    /// the timeline shows what the burst costs each of them.
    /// </summary>
    public async Task ActivateAsync(IReadOnlyList<ScenarioEvent> steps, CancellationToken cancellationToken)
    {
        _timeline.SkipTo(steps[0].At);
        var start = _timeline.Wall(steps[0].At); // the scenario's instant, however long a loaded machine takes to get here
        var runs = new List<ActivationRun>();
        foreach (var step in steps)
        {
            var user = _scenario.User(step.User);
            var group = _scenario.Group(step.Group!);
            var run = new ActivationRun { Event = step, InstanceId = Guid.NewGuid().ToString(), Start = start, End = start + step.For!.Value };
            _runs[step] = run;
            runs.Add(run);
            _world.Tenant.AddInstance(GraphJson.Instance(run.InstanceId, _world.EntraUsers[user.Name], _world.EntraGroups[group.Name], start: GraphTime(run.Start), end: GraphTime(run.End)));
            _timeline.Emit(TimelineKind.Pim, $"PIM: {user.Name} activates {group.Name} for {TimelineText.Minutes(step.For.Value)} (until {ScenarioReader.Show(_timeline.ScenarioTime(run.End))}); Graph's change notification reaches PimBridge.",
                at: _timeline.ScenarioTime(run.Start)); // when PIM says it started, however long the burst takes to list
        }

        foreach (var group in steps.Select(s => s.Group!).Distinct())
            await _world.Enforcer.HintAsync(_world.EntraGroups[group], cancellationToken).ConfigureAwait(false);

        // Waited for together, told in the scenario's order.
        foreach (var (kind, text) in await Task.WhenAll(runs.Select(r => AccessOfAsync(r, runs.Count > 1, cancellationToken))).ConfigureAwait(false))
            _timeline.Emit(kind, text);
        await WaitIdleAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for one activation's confirmed access and reads it back from Identity Center; the line to tell.</summary>
    private async Task<(TimelineKind Kind, string Text)> AccessOfAsync(ActivationRun run, bool named, CancellationToken cancellationToken)
    {
        var user = _scenario.User(run.Event.User);
        var group = _scenario.Group(run.Event.Group!);
        var grant = await WaitForAsync(async ct => (await GrantOfAsync(run, ct).ConfigureAwait(false)) is { AccessConfirmedAt: not null } g ? g : null, cancellationToken).ConfigureAwait(false);
        if (grant is null)
            return (TimelineKind.Problem, $"{user.Name} got no AWS access within {_options.StepTimeout.TotalSeconds:0} s of the activation.");

        run.Grant = grant;
        var reached = await _world.ReadBack.TargetsReachedAsync(user.Name, group, cancellationToken).ConfigureAwait(false);
        var missing = IdentityCenterReadBack.Targets(group).Except(reached).Select(t => $"{t.PermissionSet} in {t.Account}").ToList();
        if (missing.Count > 0)
            return (TimelineKind.Problem, $"The engine confirmed {user.Name}'s access, but Identity Center does not show {string.Join(", ", missing)}.");

        var latency = _timeline.RealMs(run.Start, grant.AccessConfirmedAt!.Value);
        run.Granted = $"granted in {latency}";
        var who = named ? $"{user.Name}'s " : "";
        return (TimelineKind.Engine, $"{who}activation → AWS access in {latency}: {Describe(group)} (read back from Identity Center).");
    }

    public async Task DeactivateAsync(ScenarioEvent step, CancellationToken cancellationToken)
    {
        _timeline.SkipTo(step.At);
        var run = _runs.Values.Last(r => r.Event.User == step.User && r.Event.Group == step.Group && !r.Ended);
        var at = _world.Clock.GetUtcNow();
        _world.Tenant.RemoveInstance(run.InstanceId);
        _timeline.Emit(TimelineKind.Pim, $"PIM: {step.User} deactivates {step.Group} early; Graph's change notification reaches PimBridge.");
        await _world.Enforcer.HintAsync(_world.EntraGroups[step.Group!], cancellationToken).ConfigureAwait(false);
        run.EndedBy = at;
        await EndAsync([run], "deactivation", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Plays expiries at the same instant together: PIM stops listing them all, then the run waits for each removal and fence.</summary>
    public async Task ExpireAsync(IReadOnlyList<ScenarioEvent> steps, CancellationToken cancellationToken)
    {
        var runs = steps.Select(s => _runs[s.Activation!]).Where(r => !r.Ended).ToList();
        if (runs.Count == 0) return;
        _timeline.SkipTo(_timeline.ScenarioTime(runs.Min(r => r.End)));
        foreach (var run in runs)
        {
            _world.Tenant.RemoveInstance(run.InstanceId); // PIM stops listing an expired instance
            _timeline.Emit(TimelineKind.Pim, $"PIM: {run.Event.User}'s activation of {run.Event.Group} expires.");
        }

        await EndAsync(runs, "expiry", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for the engine to end the grants, remove their access and confirm their fences, then reads it all back.</summary>
    private async Task EndAsync(IReadOnlyList<ActivationRun> runs, string what, CancellationToken cancellationToken)
    {
        foreach (var run in runs)
        {
            run.Ended = true;
            run.EndedBy ??= run.End;
        }

        // Waited for together, told in the scenario's order.
        foreach (var lines in await Task.WhenAll(runs.Select(r => EndOfAsync(r, what, runs.Count > 1, cancellationToken))).ConfigureAwait(false))
            foreach (var (kind, text) in lines)
                _timeline.Emit(kind, text);
        await WaitIdleAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One ended activation: waits for its removal and fences and reads them back; the lines to tell.</summary>
    private async Task<List<(TimelineKind Kind, string Text)>> EndOfAsync(ActivationRun run, string what, bool named, CancellationToken cancellationToken)
    {
        var lines = new List<(TimelineKind, string)>();
        var endedAt = run.EndedBy!.Value;
        var user = _scenario.User(run.Event.User);
        var group = _scenario.Group(run.Event.Group!);
        if (run.Grant is null)
        {
            lines.Add((TimelineKind.Problem, $"{user.Name} never had access through {group.Name}, so there is nothing to remove."));
            return lines;
        }

        var settled = await WaitForAsync(ct => SettledEndAsync(run.Grant.Id, ct), cancellationToken).ConfigureAwait(false);
        if (settled is null)
        {
            lines.Add((TimelineKind.Problem, $"The engine did not finish removing {user.Name}'s access through {group.Name} within {_options.StepTimeout.TotalSeconds:0} s of the {what}."));
            return lines;
        }

        var (grant, removedAt, fences) = settled;
        run.Grant = grant;
        run.EndReason = grant.EndReason;
        var stillThere = (await _world.ReadBack.TargetsReachedAsync(user.Name, group, cancellationToken).ConfigureAwait(false))
            .Select(t => $"{t.PermissionSet} in {t.Account}").ToList();

        if (stillThere.Count > 0)
            lines.Add((TimelineKind.Problem, $"After the {what}, Identity Center still shows {user.Name} with {string.Join(", ", stillThere)}."));
        else
            run.Removed = $"removed ({grant.EndReason}) in {_timeline.RealMs(endedAt, removedAt ?? endedAt)}";

        var fenced = new List<string>();
        foreach (var fence in fences)
        {
            var name = fence.PermissionSetName ?? fence.PermissionSetArn;
            if (!await _world.ReadBack.FenceInPolicyAsync(fence, cancellationToken).ConfigureAwait(false))
            {
                lines.Add((TimelineKind.Problem, $"The engine confirmed a fence on {name} for {user.Name}, but the permission set's inline policy in Identity Center has no statement for them."));
                continue;
            }

            run.Fences.Add((fence, $"fenced in {_timeline.RealMs(endedAt, fence.ActiveSince!.Value)}"));
            fenced.Add($"{name} in {string.Join(", ", fence.Accounts)}");
        }

        var cutoff = fences.Count > 0 ? $"; sessions issued before {TimelineText.Clock(fences.Max(f => f.Cutoff))} are denied" : "";
        var total = fences.Count > 0 ? fences.Max(f => f.ActiveSince!.Value) : removedAt ?? endedAt;
        var whose = named ? $"{user.Name}'s " : "";
        lines.Add((TimelineKind.Engine, stillThere.Count > 0
            ? $"{whose}{what} → fence in {_timeline.RealMs(endedAt, total)}, but the removal did not show in Identity Center."
            : fenced.Count > 0
                ? $"{whose}{what} → removal and fence in {_timeline.RealMs(endedAt, total)} (removed after {_timeline.RealMs(endedAt, removedAt ?? endedAt)}; fenced {string.Join("; ", fenced)}{cutoff})."
                : $"{whose}{what} → removal in {_timeline.RealMs(endedAt, removedAt ?? endedAt)} ({(group.FenceSessions ? "no session fence was needed" : "this mapping does not fence sessions")})."));
        return lines;
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
