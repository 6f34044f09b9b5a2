using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;
using PimBridge.Testing;
using static PimBridge.Core.Tests.EngineHarness;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests;

/// <summary>Crashes and AWS faults at every step converge on the right state; nothing is left behind.</summary>
public sealed class FailureScenarioTests
{
    private static readonly Entitlement AliceProd = Entitlement.AccountAssignment("u-alice", Admin, Prod);

    [Fact]
    public async Task A_crash_after_the_intent_is_recorded_and_before_the_AWS_call_is_resumed_after_restart()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1)); // one account, so the crash hits this grant
        await h.ReconcileAsync();
        h.Aws.CrashNext("Grant", afterEffect: false);

        await Assert.ThrowsAsync<SimulatedCrash>(h.TickAsync);
        Assert.False(h.Aws.IsActive(AliceProd));

        h.Restart();
        h.Advance(h.Settings.Enforcer.ClaimTimeout); // the dead process's claim runs out
        await h.SettleAsync();
        Assert.True(h.Aws.IsActive(AliceProd));
        Assert.Equal(EntitlementStatus.Applied, (await h.Store.GetLedgerEntryAsync(AliceProd.Key))!.Status);
    }

    [Fact]
    public async Task A_crash_after_the_AWS_call_and_before_confirmation_converges_without_a_second_effect()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1)); // one account, so the crash hits this removal
        await h.ReconcileAsync();
        await h.SettleAsync();
        h.Advance(TimeSpan.FromHours(1));
        h.Aws.CrashNext("Revoke", afterEffect: true);

        await Assert.ThrowsAsync<SimulatedCrash>(h.TickAsync);
        Assert.False(h.Aws.IsActive(AliceProd)); // AWS did it ...
        Assert.Equal(EntitlementStatus.Removing, (await h.Store.GetLedgerEntryAsync(AliceProd.Key))!.Status); // ... we never heard back

        h.Restart();
        h.Advance(h.Settings.Enforcer.ClaimTimeout);
        await h.SettleAsync();
        Assert.Equal(EntitlementStatus.Removed, (await h.Store.GetLedgerEntryAsync(AliceProd.Key))!.Status);
        Assert.Single(await h.Store.ListFencesAsync(openOnly: true), f => f.State == FenceState.Active);
        Assert.Null(await h.VerifyAuditAsync());
    }

    [Fact]
    public async Task A_crash_while_writing_fences_is_finished_by_the_next_process_after_the_lease_expires()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();
        h.Advance(TimeSpan.FromHours(1));
        h.Aws.CrashNext("WritePolicy", afterEffect: true);

        await Assert.ThrowsAsync<SimulatedCrash>(h.SettleAsync);

        h.Restart();
        await h.SettleAsync();
        Assert.Equal(FenceState.Pending, Assert.Single(await h.Store.ListFencesAsync(true)).State); // the dead process's claim and lease still hold
        h.Advance(h.Settings.Enforcer.ClaimTimeout);
        await h.SettleAsync();
        Assert.Equal(FenceState.Active, Assert.Single(await h.Store.ListFencesAsync(true)).State);
    }

    [Fact]
    public async Task Throttling_and_conflicts_during_removal_are_retried_with_backoff_until_access_is_gone()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1)); // one account: one removal intent
        await h.ReconcileAsync();
        await h.SettleAsync();
        h.Advance(TimeSpan.FromHours(1));
        h.Aws.FailNext("Revoke", () => new SimulatedAwsFault("ThrottlingException"));
        h.Aws.FailNext("Revoke", () => new SimulatedAwsFault("ConflictException"));

        var first = await h.TickAsync();
        Assert.Equal(1, first.IntentsFailed);
        var intent = Assert.Single(await h.Store.GetPendingIntentsAsync(IntentKind.RemoveEntitlement, AliceProd.Key));
        Assert.Equal(h.Now + h.Settings.Enforcer.RetryDelay(1), intent.NextAttemptAt);
        Assert.Contains("ThrottlingException", intent.LastError);

        h.Advance(h.Settings.Enforcer.RetryDelay(1));
        Assert.Equal(1, (await h.TickAsync()).IntentsFailed);
        h.Advance(h.Settings.Enforcer.RetryDelay(2));
        await h.SettleAsync();

        Assert.False(h.Aws.IsActive(AliceProd));
        Assert.Empty(await h.Store.GetPendingIntentsAsync(IntentKind.RemoveEntitlement, AliceProd.Key));
    }

    [Fact]
    public async Task An_intent_that_keeps_failing_raises_one_critical_alert_and_keeps_retrying()
    {
        await using var h = await StartAsync(o => o.Enforcer.AlertAfterAttempts = 3);
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1)); // one account: one intent
        await h.ReconcileAsync();
        for (var i = 0; i < 8; i++) h.Aws.FailNext("Grant", () => new SimulatedAwsFault("AccessDeniedException"));

        for (var i = 1; i <= 4; i++)
        {
            await h.TickAsync();
            h.Advance(h.Settings.Enforcer.RetryDelay(i));
        }

        var alert = Assert.Single(await h.Store.ListAlertsAsync(null), a => a.Kind == "intent-stuck");
        Assert.Equal(AlertSeverity.Critical, alert.Severity);
        Assert.Contains("AccessDeniedException", alert.Message);
        h.Aws.ClearFaults();
        h.Advance(h.Settings.Enforcer.RetryMaxDelay);
        await h.SettleAsync();
        Assert.True(h.Aws.IsActive(AliceProd));
    }

    [Fact]
    public async Task An_operation_AWS_is_still_carrying_out_is_looked_at_again_without_counting_a_failure()
    {
        await using var h = await StartAsync(o => o.Enforcer.AlertAfterAttempts = 2);
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1)); // one account: one intent
        await h.ReconcileAsync();
        for (var i = 0; i < 3; i++) h.Aws.FailNext("Grant", () => new OperationInProgressException("CreateAccountAssignment is still in progress", TimeSpan.FromSeconds(4)));

        for (var i = 0; i < 3; i++)
        {
            var tick = await h.TickAsync();
            Assert.Equal((0, 0, 1), (tick.IntentsDone, tick.IntentsFailed, tick.IntentsWaiting));
            var intent = Assert.Single(await h.Store.GetPendingIntentsAsync(IntentKind.ApplyEntitlement, AliceProd.Key));
            Assert.Equal(0, intent.Attempts);
            Assert.Equal(h.Now + TimeSpan.FromSeconds(4), intent.NextAttemptAt);
            Assert.True((await h.TickAsync()).DidNothing); // not due again before then
            h.Advance(TimeSpan.FromSeconds(4));
        }

        await h.SettleAsync();
        Assert.True(h.Aws.IsActive(AliceProd));
        Assert.DoesNotContain(await h.Store.ListAlertsAsync(null), a => a.Kind == "intent-stuck");
    }

    [Fact]
    public async Task A_full_inline_policy_still_removes_access_and_raises_a_critical_alert()
    {
        await using var h = await StartAsync();
        var filler = string.Join(",", Enumerable.Range(0, 102).Select(i => $$"""{"Sid":"Customer{{i}}","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::bucket-{{i}}"}"""));
        h.Aws.SetPolicy(Admin, $$"""{"Version":"2012-10-17","Statement":[{{filler}}]}""");
        var before = h.Aws.Policy(Admin);
        Assert.InRange(before!.Count(c => !char.IsWhiteSpace(c)), 9_500, FencePolicy.MaxNonWhitespace); // full, but valid
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();

        h.Advance(TimeSpan.FromHours(1));
        await h.SettleAsync();

        Assert.False(h.Aws.IsActive(AliceProd));
        Assert.Equal(before, h.Aws.Policy(Admin)); // customer policy untouched
        var alert = Assert.Single(await h.Store.ListAlertsAsync(null), a => a.Kind == "fence-capacity-exhausted");
        Assert.Equal(AlertSeverity.Critical, alert.Severity);
        Assert.Equal(FenceState.Pending, Assert.Single(await h.Store.ListFencesAsync(true)).State);
    }

    [Fact]
    public async Task An_unreadable_customer_policy_is_never_overwritten()
    {
        await using var h = await StartAsync();
        h.Aws.SetPolicy(Admin, "{not json");
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();

        h.Advance(TimeSpan.FromHours(1));
        await h.SettleAsync();

        Assert.False(h.Aws.IsActive(AliceProd));
        Assert.Equal("{not json", h.Aws.Policy(Admin));
        var intent = Assert.Single(await h.Store.GetPendingIntentsAsync(IntentKind.SyncFences, Admin));
        Assert.Contains("not a policy PimBridge can merge", intent.LastError);
    }
}
