using System.Text.Json.Nodes;
using PimBridge.Core.Fences;
using PimBridge.Core.Gaps;
using PimBridge.Sandbox.Scenarios;

namespace PimBridge.Sandbox;

/// <summary>
/// Turns a scenario's expected outcomes into <see cref="SandboxOutcome"/>s at the end of a run: each expectation next
/// to what the activations showed, what Identity Center on moto holds now, and which alert the store has for each
/// activity that expects one.
/// </summary>
internal sealed class OutcomeEvaluation(Scenario scenario, SandboxWorld world, SandboxTimeline timeline, IReadOnlyCollection<ActivationRun> runs, IReadOnlyDictionary<int, string> eventIds)
{
    private readonly Scenario _scenario = scenario;
    private readonly SandboxWorld _world = world;
    private readonly SandboxTimeline _timeline = timeline;
    private readonly IReadOnlyCollection<ActivationRun> _runs = runs;
    private readonly IReadOnlyDictionary<int, string> _eventIds = eventIds;

    /// <summary>The scenario's expectations first, then the alert each activity expects, in the scenario's order.</summary>
    public async Task<List<SandboxOutcome>> EvaluateAsync(CancellationToken cancellationToken)
    {
        var outcomes = new List<SandboxOutcome>();
        foreach (var expectation in _scenario.Expectations)
            outcomes.Add(await EvaluateAsync(expectation, cancellationToken).ConfigureAwait(false));
        foreach (var activity in _scenario.Timeline.Where(e => e.ExpectAlert is not null))
            outcomes.Add(await EvaluateAlertAsync(activity, cancellationToken).ConfigureAwait(false));
        return outcomes;
    }

    private async Task<SandboxOutcome> EvaluateAsync(ScenarioExpectation expectation, CancellationToken cancellationToken)
    {
        var name = ScenarioExpectation.KindName(expectation.Kind);
        switch (expectation.Kind)
        {
            case ExpectationKind.AccessGranted:
            {
                var runs = RunsOf(expectation.User!, expectation.Group!);
                var seen = runs.FirstOrDefault(r => r.Granted is not null);
                return new SandboxOutcome(name, $"{expectation.User} via {expectation.Group}", "granted",
                    seen?.Granted ?? (runs.Count == 0 ? "never activated" : "no access"), seen is not null);
            }

            case ExpectationKind.AccessRemoved:
            {
                var runs = RunsOf(expectation.User!, expectation.Group!);
                var seen = runs.FirstOrDefault(r => r.Removed is not null && (expectation.Reason is null || r.EndReason == expectation.Reason));
                var other = runs.FirstOrDefault(r => r.Removed is not null);
                var observed = seen?.Removed ?? other?.Removed ?? (runs.Any(r => r.Ended) ? "still in Identity Center" : "access never ended");
                return new SandboxOutcome(name, $"{expectation.User} via {expectation.Group}", expectation.Reason is null ? "removed" : $"removed ({expectation.Reason})", observed, seen is not null);
            }

            case ExpectationKind.SessionsFenced:
            {
                var fence = _runs.Where(r => r.Event.User == expectation.User)
                    .SelectMany(r => r.Fences).FirstOrDefault(f => f.Fence.PermissionSetArn == _world.Seeded.PermissionSetArns[expectation.PermissionSet!]);
                var observed = fence.Fence is null ? "no fence" : $"{fence.Observed} ({string.Join(", ", fence.Fence.Accounts)})";
                return new SandboxOutcome(name, $"{expectation.User} on {expectation.PermissionSet}", "fenced", observed, fence.Fence is not null);
            }

            default:
            {
                var ps = _scenario.PermissionSet(expectation.PermissionSet!);
                var current = await _world.ReadBack.InlinePolicyAsync(_world.Seeded.PermissionSetArns[ps.Name], cancellationToken).ConfigureAwait(false);
                var wanted = FencePolicy.CustomerStatements(ps.CustomerPolicy);
                var kept = current is not null && FencePolicy.CustomerStatements(current) is var have
                    && wanted.All(w => have.Any(h => JsonNode.DeepEquals(h, w)));
                var fences = current is null ? 0 : (JsonNode.Parse(current)?["Statement"] as JsonArray)?.OfType<JsonObject>()
                    .Count(s => s["Sid"]?.GetValue<string>().StartsWith(FencePolicy.SidPrefix, StringComparison.Ordinal) == true) ?? 0;
                var observed = kept
                    ? $"{TimelineText.Count(wanted.Count, "customer statement")} unchanged beside {TimelineText.Count(fences, "PimBridge fence statement")}"
                    : current is null ? "the inline policy is gone" : "customer statements changed or missing";
                _timeline.Emit(TimelineKind.Check, $"{ps.Name}'s inline policy in Identity Center: {observed}.");
                return new SandboxOutcome(name, ps.Name, "customer statements unchanged", observed, kept);
            }
        }
    }

    private async Task<SandboxOutcome> EvaluateAlertAsync(ScenarioEvent activity, CancellationToken cancellationToken)
    {
        var subject = $"{activity.User}'s {TimelineText.Call(activity)} at {ScenarioReader.Show(activity.At)}";
        string observed;
        if (!_eventIds.TryGetValue(activity.Index, out var eventId))
        {
            observed = "not recorded";
        }
        else
        {
            var alert = await _world.Store.GetAlertAsync(GapAlert.AlertId(eventId), cancellationToken).ConfigureAwait(false);
            observed = alert is null ? "none" : $"{alert.Kind[GapAlert.KindPrefix.Length..]} ({TimelineText.Severity(alert.Severity)})";
        }

        var expected = activity.ExpectAlert!;
        var met = expected == "none" ? observed == "none" : observed.StartsWith(expected + " ", StringComparison.Ordinal);
        return new SandboxOutcome("alert", subject, expected, observed, met);
    }

    private List<ActivationRun> RunsOf(string user, string group) =>
        _runs.Where(r => r.Event.User == user && r.Event.Group == group).ToList();
}
