using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Testing;
using static PimBridge.Core.Tests.EngineHarness;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests;

/// <summary>Change notifications are hints: durable, deduplicated, and turned into a reconcile of one group from PIM.</summary>
public sealed class HintAndLatencyTests
{
    [Fact]
    public async Task A_hint_for_a_mapped_group_is_queued_once_and_the_tick_reconciles_that_group_from_PIM()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1));

        Assert.True(await h.Enforcer.HintAsync(AuditGroup.ToUpperInvariant()));
        Assert.True(await h.Enforcer.HintAsync(AuditGroup));
        Assert.Single(await h.Store.GetPendingIntentsAsync(IntentKind.ReconcileGroup, AuditGroup));
        await h.SettleAsync();

        Assert.Equal(1, h.PimReads);
        Assert.True(h.Aws.IsActive(Entitlement.AccountAssignment("u-alice", Admin, Prod)));
        Assert.Empty(await h.Store.GetPendingIntentsAsync(IntentKind.ReconcileGroup, AuditGroup));
    }

    [Fact]
    public async Task An_enforcer_without_a_PIM_source_leaves_hints_unclaimed_yet_removes_expired_access_behind_them()
    {
        await using var h = await StartAsync(o => o.Enforcer.BatchSize = 1);
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();
        Assert.True(h.Aws.IsActive(Entitlement.AccountAssignment("u-alice", Admin, Prod)));
        // Hints queued before the expiry sort first among due intents, ahead of the removals the expiry queues.
        foreach (var group in new[] { OpsGroup, AuditGroup, PlatformGroup }) await h.Enforcer.HintAsync(group);
        var hints = await h.Store.GetDueIntentsAsync(h.Now, 10);
        Assert.Equal(3, hints.Count);
        h.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        var readsBefore = h.PimReads;
        var watcher = h.EnforcerWithoutPim();

        for (var tick = 0; tick < 10 && !(await watcher.TickAsync()).DidNothing; tick++) { }

        Assert.False(h.Aws.IsActive(Entitlement.AccountAssignment("u-alice", Admin, Prod)));
        Assert.False(h.Aws.IsActive(Entitlement.AccountAssignment("u-alice", Admin, Staging)));
        Assert.Equal(readsBefore, h.PimReads);
        foreach (var hint in hints)
            Assert.Equal(hint, await h.Store.GetIntentAsync(hint.Id)); // not claimed, not failed: untouched

        await h.SettleAsync(); // the host that reads PIM runs them
        Assert.True(h.PimReads > readsBefore);
        foreach (var hint in hints)
            Assert.Equal(IntentState.Done, (await h.Store.GetIntentAsync(hint.Id))!.State);
    }

    [Fact]
    public async Task A_hint_for_a_group_no_mapping_watches_is_ignored_without_a_write()
    {
        await using var h = await StartAsync();
        var before = await h.Store.GetAuditHeadAsync();

        Assert.False(await h.Enforcer.HintAsync("99999999-9999-9999-9999-999999999999"));

        Assert.Empty(await h.Store.GetDueIntentsAsync(h.Now.AddDays(1), 10));
        Assert.Equal(before, await h.Store.GetAuditHeadAsync());
    }

    [Fact]
    public async Task A_grant_records_when_PIM_started_it_when_PimBridge_first_saw_it_and_when_AWS_confirmed_access()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(2));
        var activatedAt = h.Now;
        h.Advance(TimeSpan.FromSeconds(90)); // the notification took 90 s to arrive
        await h.Enforcer.HintAsync(OpsGroup);
        var seenAt = h.Now;
        h.Advance(TimeSpan.FromSeconds(2));

        await h.SettleAsync();

        var grant = Assert.Single(await h.Store.ListGrantsAsync(true, "u-alice"));
        Assert.Equal(activatedAt, grant.Start);
        Assert.Equal(seenAt, grant.FirstSeenAt);
        Assert.Equal(h.Now, grant.AccessConfirmedAt); // both assignments applied in this tick
        Assert.Equal(TimeSpan.FromSeconds(90), grant.NotificationDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), grant.ProcessingTime);
    }

    [Fact]
    public async Task A_permanent_assignment_has_no_activation_latency()
    {
        // Graph gives a permanent assignment the time it was assigned as its start, 1970-01-01 in published payloads.
        await using var h = await StartAsync(o => o.Mappings[1].IncludePermanent = true);
        h.Activate("alice-entra", AuditGroup, TimeSpan.Zero, permanent: true, start: DateTimeOffset.UnixEpoch);

        await h.ReconcileAsync();
        await h.SettleAsync();

        var grant = Assert.Single(await h.Store.ListGrantsAsync(true, "u-alice"));
        Assert.True(grant.Permanent);
        Assert.NotNull(grant.AccessConfirmedAt);
        Assert.Null(grant.NotificationDelay);
        Assert.Null(grant.ProcessingTime);
    }

    [Fact]
    public async Task Access_is_confirmed_only_when_every_entitlement_of_the_grant_is_applied()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(2)); // Prod and Staging
        await h.ReconcileAsync();
        h.Aws.FailNext("Grant", () => new SimulatedAwsFault("ThrottlingException"));

        await h.TickAsync();
        Assert.Null(Assert.Single(await h.Store.ListGrantsAsync(true, "u-alice")).AccessConfirmedAt);

        h.Advance(h.Settings.Enforcer.RetryDelay(1));
        await h.SettleAsync();
        Assert.Equal(h.Now, Assert.Single(await h.Store.ListGrantsAsync(true, "u-alice")).AccessConfirmedAt);
    }

    [Fact]
    public async Task The_justification_and_ticket_from_PIM_go_into_the_audit_log()
    {
        await using var h = await StartAsync();
        var activation = h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1));
        h.Justifications[activation] = "Investigating INC-7 in prod";

        await h.ReconcileAsync();

        JsonNode? started = null;
        await foreach (var entry in h.Store.ReadAuditAsync())
            if (entry.Kind == "grant.started") started = JsonNode.Parse(entry.Data);
        Assert.Equal("Investigating INC-7 in prod", started!["justification"]!.GetValue<string>());
        Assert.Equal("INC-7", started["ticketNumber"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_unmapped_user_alert_names_the_attribute_that_was_tried()
    {
        await using var h = await StartAsync();
        h.Activate("carol-entra", AuditGroup, TimeSpan.FromHours(1));

        await h.ReconcileAsync();

        var alert = Assert.Single(await h.Store.ListAlertsAsync(null));
        Assert.Contains(h.Aws.Describe, alert.Message);
        Assert.Equal(h.Aws.Describe, alert.Facts!["attribute"]);
    }
}
