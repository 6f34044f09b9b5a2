using System.Diagnostics;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Telemetry;
using PimBridge.Testing;
using static PimBridge.Core.Tests.EngineHarness;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests;

/// <summary>The engine's spans on the ActivitySource <c>PimBridge.Core</c>: one per reconcile, one per intent run.</summary>
public sealed class TracingTests
{
    private static readonly Entitlement AliceProd = Entitlement.AccountAssignment("u-alice", Admin, Prod);

    [Fact]
    public async Task A_reconcile_is_one_internal_span_tagged_with_its_groups_and_plan()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1));
        using var spans = new SpanRecorder(PimBridgeTelemetry.Core);

        await h.Enforcer.ReconcileAsync(h.Snapshot(), dryRun: true);
        await h.ReconcileAsync();

        var reconciles = spans.Named("reconcile");
        Assert.Equal(2, reconciles.Count);
        Assert.All(reconciles, s => Assert.Equal(ActivityKind.Internal, s.Kind));
        Assert.All(reconciles, s => Assert.Equal(h.Snapshot().GroupIds.Count, s.GetTagItem("pimbridge.reconcile.groups")));
        Assert.All(reconciles, s => Assert.Equal(1, s.GetTagItem("pimbridge.plan.new_grants")));
        Assert.All(reconciles, s => Assert.Equal(0, s.GetTagItem("pimbridge.plan.stops")));
        Assert.Equal([true, false], reconciles.Select(s => s.GetTagItem("pimbridge.reconcile.dry_run")));
        Assert.Equal([false, true], reconciles.Select(s => s.GetTagItem("pimbridge.reconcile.applied")));
    }

    [Fact]
    public async Task Each_intent_run_is_a_span_with_its_kind_and_outcome_and_a_failure_is_an_error_naming_the_exception()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1)); // one account: one intent
        await h.ReconcileAsync();
        h.Aws.FailNext("Grant", () => new SimulatedAwsFault("AccessDeniedException"));
        using var spans = new SpanRecorder(PimBridgeTelemetry.Core);

        await h.TickAsync();
        h.Advance(h.Settings.Enforcer.RetryDelay(1));
        await h.SettleAsync();

        Assert.True(h.Aws.IsActive(AliceProd));
        var runs = spans.Named("intent").Where(s => (string?)s.GetTagItem("pimbridge.intent.kind") == nameof(IntentKind.ApplyEntitlement)).ToList();
        Assert.Equal(2, runs.Count);
        Assert.Single(runs.Select(s => s.GetTagItem("pimbridge.intent.id")).Distinct());
        var (failed, done) = (runs[0], runs[1]);
        Assert.Equal(ActivityKind.Internal, failed.Kind);
        Assert.Equal("failed", failed.GetTagItem("pimbridge.intent.outcome"));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal(typeof(SimulatedAwsFault).FullName, failed.GetTagItem("error.type"));
        Assert.Equal(typeof(SimulatedAwsFault).FullName, failed.StatusDescription);
        Assert.Equal("done", done.GetTagItem("pimbridge.intent.outcome"));
        Assert.Equal(ActivityStatusCode.Unset, done.Status);
    }
}
