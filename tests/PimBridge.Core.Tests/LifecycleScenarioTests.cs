using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Fences;
using static PimBridge.Core.Tests.EngineHarness;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests;

/// <summary>The grant lifecycle end to end on a virtual clock: activation, expiry, fence, lift, and the ways PIM changes its mind.</summary>
public sealed class LifecycleScenarioTests
{
    private static Entitlement AliceAdmin(string account) => Entitlement.AccountAssignment("u-alice", Admin, account);

    [Fact]
    public async Task An_activation_becomes_account_assignments_on_the_next_tick()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(2));

        var result = await h.ReconcileAsync();
        await h.SettleAsync();

        var grant = Assert.Single(result.Plan.NewGrants);
        Assert.Equal(h.Now + TimeSpan.FromHours(2), grant.End);
        Assert.True(h.Aws.IsActive(AliceAdmin(Prod)));
        Assert.True(h.Aws.IsActive(AliceAdmin(Staging)));
        Assert.Equal(EntitlementStatus.Applied, (await h.Store.GetLedgerEntryAsync(AliceAdmin(Prod).Key))!.Status);
        Assert.Null(await h.VerifyAuditAsync());
    }

    [Fact]
    public async Task Expiry_removes_access_then_fences_live_sessions_until_they_cannot_be_alive()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(2));
        await h.ReconcileAsync();
        await h.SettleAsync();
        var sessionIssued = h.Now + TimeSpan.FromMinutes(30);

        h.Advance(TimeSpan.FromHours(2));
        var removedAt = h.Now;
        await h.SettleAsync();

        Assert.False(h.Aws.IsActive(AliceAdmin(Prod)));
        Assert.False(h.Aws.IsActive(AliceAdmin(Staging)));
        var fence = Assert.Single(await h.Store.ListFencesAsync(openOnly: true));
        Assert.Equal(FenceState.Active, fence.State);
        Assert.Equal([Prod, Staging], fence.Accounts);
        Assert.Equal(removedAt + TimeSpan.FromMinutes(60), fence.Cutoff); // removal confirmed at a whole minute here
        Assert.Equal(fence.Cutoff + TimeSpan.FromHours(4) + TimeSpan.FromMinutes(15), fence.Until);
        Assert.True(h.Aws.Denies(Admin, "u-alice", Prod, sessionIssued));
        Assert.False(h.Aws.Denies(Admin, "u-bob", Prod, sessionIssued));
        var statement = Assert.Single(h.Aws.FenceStatements(Admin));
        Assert.Equal("Deny", statement["Effect"]!.GetValue<string>());
        Assert.Equal("*", statement["Action"]!.GetValue<string>());

        h.Advance(fence.Until - h.Now - TimeSpan.FromMinutes(1));
        await h.SettleAsync();
        Assert.True(h.Aws.Denies(Admin, "u-alice", Prod, sessionIssued));

        h.Advance(TimeSpan.FromMinutes(1));
        await h.SettleAsync();
        Assert.Empty(await h.Store.ListFencesAsync(openOnly: true));
        Assert.Null(h.Aws.Policy(Admin)); // nothing else was in it, so the inline policy is gone
        Assert.Null(await h.VerifyAuditAsync());
    }

    [Fact]
    public async Task An_extension_in_PIM_moves_the_end_and_nothing_is_removed_at_the_old_end()
    {
        await using var h = await StartAsync();
        var activation = h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();

        h.Extend(activation, TimeSpan.FromHours(2));
        var result = await h.ReconcileAsync();
        h.Advance(TimeSpan.FromHours(2));
        await h.SettleAsync();

        var change = Assert.Single(result.Plan.EndChanges);
        Assert.True(change.IsExtension);
        Assert.True(h.Aws.IsActive(AliceAdmin(Prod)));
        h.Advance(TimeSpan.FromHours(1));
        await h.SettleAsync();
        Assert.False(h.Aws.IsActive(AliceAdmin(Prod)));
    }

    [Fact]
    public async Task The_mapping_maxDuration_caps_what_PIM_allows()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(12));

        var grant = Assert.Single((await h.ReconcileAsync()).Plan.NewGrants);

        Assert.Equal(h.Now + TimeSpan.FromHours(8), grant.End);
    }

    [Fact]
    public async Task Early_deactivation_ends_the_grant_now()
    {
        await using var h = await StartAsync();
        var activation = h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(4));
        await h.ReconcileAsync();
        await h.SettleAsync();

        h.Advance(TimeSpan.FromMinutes(20));
        h.Deactivate(activation);
        var result = await h.ReconcileAsync();
        await h.SettleAsync();

        var stop = Assert.Single(result.Plan.Stops);
        Assert.Equal(EndReasons.Deactivated, stop.Reason);
        Assert.False(h.Aws.IsActive(AliceAdmin(Prod)));
        var grant = Assert.Single(await h.Store.ListGrantsAsync(activeOnly: false, "u-alice"));
        Assert.Equal(h.Now, grant.EndedAt);
        Assert.Single(await h.Store.ListFencesAsync(openOnly: true));
    }

    [Fact]
    public async Task Reconciling_the_same_snapshot_twice_changes_nothing()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(2));
        h.Activate("bob-entra", PlatformGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        var auditBefore = (await h.Store.GetAuditHeadAsync())!.Seq;

        var again = await h.ReconcileAsync();

        Assert.True(again.Plan.IsEmpty);
        Assert.Equal(auditBefore, (await h.Store.GetAuditHeadAsync())!.Seq);
    }

    [Fact]
    public async Task Overlapping_grants_keep_shared_access_until_the_last_one_ends()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));   // Admin in Prod and Staging
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(3)); // Admin in Prod too
        await h.ReconcileAsync();
        await h.SettleAsync();

        h.Advance(TimeSpan.FromHours(1));
        await h.SettleAsync();

        Assert.True(h.Aws.IsActive(AliceAdmin(Prod)));     // still held by the audit grant
        Assert.False(h.Aws.IsActive(AliceAdmin(Staging))); // held only by the ended grant
        var fence = Assert.Single(await h.Store.ListFencesAsync(openOnly: true));
        Assert.Equal([Staging], fence.Accounts); // never fence an account the user still holds
        Assert.False(h.Aws.Denies(Admin, "u-alice", Prod, h.Now - TimeSpan.FromMinutes(5)));

        h.Advance(TimeSpan.FromHours(2));
        await h.SettleAsync();
        Assert.False(h.Aws.IsActive(AliceAdmin(Prod)));
    }

    [Fact]
    public async Task A_re_grant_during_a_fence_pulls_its_cutoff_back_so_new_sessions_work()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();
        h.Advance(TimeSpan.FromHours(1));
        await h.SettleAsync();
        var oldSession = h.Now - TimeSpan.FromMinutes(10);

        h.Advance(TimeSpan.FromMinutes(10));
        var regrantStart = h.Now;
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();

        var fence = Assert.Single(await h.Store.ListFencesAsync(openOnly: true));
        Assert.Equal(regrantStart, fence.Cutoff);
        Assert.True(h.Aws.IsActive(AliceAdmin(Prod)));
        Assert.True(h.Aws.Denies(Admin, "u-alice", Prod, oldSession));
        Assert.False(h.Aws.Denies(Admin, "u-alice", Prod, regrantStart + TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task A_group_target_becomes_a_membership_and_its_removal_fences_every_assigned_permission_set()
    {
        await using var h = await StartAsync();
        h.Activate("bob-entra", PlatformGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();
        Assert.True(h.Aws.IsActive(Entitlement.GroupMembership("u-bob", IdcPlatformGroup)));

        h.Advance(TimeSpan.FromHours(1));
        await h.SettleAsync();

        Assert.False(h.Aws.IsActive(Entitlement.GroupMembership("u-bob", IdcPlatformGroup)));
        var fences = await h.Store.ListFencesAsync(openOnly: true);
        Assert.Equal(2, fences.Count);
        Assert.Equal([Prod], fences.Single(f => f.PermissionSetArn == ReadOnly).Accounts);
        Assert.Equal([Staging], fences.Single(f => f.PermissionSetArn == Admin).Accounts);
        Assert.Equal(fences.Single(f => f.PermissionSetArn == ReadOnly).Cutoff + TimeSpan.FromHours(1) + TimeSpan.FromMinutes(15),
            fences.Single(f => f.PermissionSetArn == ReadOnly).Until);
    }

    [Fact]
    public async Task Customer_statements_in_the_inline_policy_survive_fencing_and_lifting()
    {
        await using var h = await StartAsync();
        const string customer = """{"Version":"2012-10-17","Statement":[{"Sid":"DenyBilling","Effect":"Deny","Action":"aws-portal:*","Resource":"*"}]}""";
        h.Aws.SetPolicy(Admin, customer);
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync(); // access applied: its end is fenced
        h.Advance(TimeSpan.FromHours(1));
        await h.SettleAsync();

        Assert.Single(h.Aws.FenceStatements(Admin));
        Assert.Equal(FencePolicy.CustomerStatements(customer).Select(s => s!.ToJsonString()),
            FencePolicy.CustomerStatements(h.Aws.Policy(Admin)).Select(s => s!.ToJsonString()));

        h.Advance(TimeSpan.FromHours(7));
        await h.SettleAsync();
        Assert.True(FencePolicy.AreEquivalent(customer, h.Aws.Policy(Admin)));
    }

    [Fact]
    public async Task Fences_due_in_the_same_tick_share_one_policy_write()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        h.Activate("bob-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();
        var writesBefore = h.Aws.ProvisionCount;

        h.Advance(TimeSpan.FromHours(1));
        await h.SettleAsync();

        Assert.Equal(1, h.Aws.ProvisionCount - writesBefore);
        var statement = Assert.Single(h.Aws.FenceStatements(Admin)); // same cutoff and accounts: one statement for both users
        Assert.Equal(2, statement["Condition"]!["StringEquals"]!["identitystore:userId"]!.AsArray().Count);
    }

    [Fact]
    public async Task Permanent_assignments_count_only_when_the_mapping_says_so()
    {
        await using var without = await StartAsync();
        without.Activate("alice-entra", OpsGroup, TimeSpan.Zero, permanent: true);
        Assert.Empty((await without.ReconcileAsync()).Plan.NewGrants);

        await using var with = await StartAsync(o => o.Mappings[0].IncludePermanent = true);
        with.Activate("alice-entra", OpsGroup, TimeSpan.Zero, permanent: true);
        var grant = Assert.Single((await with.ReconcileAsync()).Plan.NewGrants);
        Assert.Equal(with.Now + TimeSpan.FromHours(8), grant.End); // maxDuration still caps it
    }

    [Fact]
    public async Task A_reconcile_dry_or_applied_reports_the_standing_assignments_it_left_out()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.Zero, permanent: true, start: h.Now.AddDays(-7));

        var dry = await h.Enforcer.ReconcileGroupsAsync([OpsGroup], dryRun: true);
        var applied = await h.Enforcer.ReconcileGroupsAsync([OpsGroup]);

        foreach (var plan in new[] { dry.Plan, applied.Plan })
        {
            Assert.True(plan.IsEmpty);
            var ignored = Assert.Single(plan.IgnoredPermanent);
            Assert.Equal("alice-entra", ignored.Principal.Id);
            Assert.Equal("ops-admin", ignored.Mapping);
            Assert.Equal(OpsGroup, ignored.GroupId);
        }

        Assert.Empty(await h.Store.ListGrantsAsync(activeOnly: false, user: null));
    }

    [Fact]
    public async Task Owner_access_does_not_match_a_member_mapping()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1), PimAccess.Owner);

        Assert.True((await h.ReconcileAsync()).Plan.IsEmpty);
    }

    [Fact]
    public async Task A_user_without_an_Identity_Center_counterpart_raises_one_alert_and_an_audit_entry()
    {
        await using var h = await StartAsync();
        h.Activate("carol-entra", OpsGroup, TimeSpan.FromHours(1));

        await h.ReconcileAsync();
        await h.ReconcileAsync();

        var alert = Assert.Single(await h.Store.ListAlertsAsync(null));
        Assert.Equal("unmapped-user", alert.Kind);
        Assert.Contains("carol-entra@contoso.com", alert.Message);
        Assert.Empty(h.Aws.ActiveKeys);
        var audit = new List<AuditEntry>();
        await foreach (var entry in h.Store.ReadAuditAsync()) audit.Add(entry);
        Assert.Contains(audit, e => e.Kind == "grant.unmapped-user" && e.Subject == "carol-entra");
    }

    [Fact]
    public async Task A_user_without_a_counterpart_is_audited_once_however_often_PIM_is_polled()
    {
        await using var h = await StartAsync();
        h.Activate("carol-entra", OpsGroup, TimeSpan.FromHours(1));

        for (var poll = 0; poll < 5; poll++)
        {
            await h.ReconcileAsync();
            h.Advance(TimeSpan.FromSeconds(30));
        }

        var unmapped = 0;
        await foreach (var entry in h.Store.ReadAuditAsync())
            if (entry.Kind == "grant.unmapped-user") unmapped++;
        Assert.Equal(1, unmapped);
    }

    [Fact]
    public async Task Emergency_revoke_ends_every_grant_of_the_user_and_fences()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(4));
        h.Activate("alice-entra", PlatformGroup, TimeSpan.FromHours(4));
        h.Activate("bob-entra", OpsGroup, TimeSpan.FromHours(4));
        await h.ReconcileAsync();
        await h.SettleAsync();

        var revoked = await h.Enforcer.RevokeUserAsync("alice@example.com", "laptop stolen");
        await h.SettleAsync();

        Assert.Equal(2, revoked.Count);
        Assert.DoesNotContain(h.Aws.ActiveKeys, k => k.Contains("u-alice"));
        Assert.Contains(h.Aws.ActiveKeys, k => k.Contains("u-bob"));
        Assert.Contains(await h.Store.ListGrantsAsync(false, "u-alice"), g => g.EndReason == "revoked: laptop stolen");
        Assert.NotEmpty(await h.Store.ListFencesAsync(openOnly: true));
    }

    [Fact]
    public async Task A_revoke_holds_while_PIM_still_lists_the_activation_and_a_new_activation_is_granted_again()
    {
        await using var h = await StartAsync();
        var activation = h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(4));
        await h.ReconcileAsync();
        await h.SettleAsync();
        await h.Enforcer.RevokeUserAsync("u-alice", "incident 42");
        await h.SettleAsync();

        h.Advance(TimeSpan.FromMinutes(5));
        var again = await h.ReconcileAsync();
        await h.SettleAsync();

        Assert.True(again.Plan.IsEmpty);
        Assert.Single(again.Plan.Suppressed);
        Assert.False(h.Aws.IsActive(AliceAdmin(Prod)));

        h.Deactivate(activation); // PIM allows one activation at a time: a new one is a new decision
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1));
        var fresh = await h.ReconcileAsync();
        await h.SettleAsync();
        Assert.Single(fresh.Plan.NewGrants);
        Assert.True(h.Aws.IsActive(AliceAdmin(Prod)));
    }

    [Fact]
    public async Task An_extension_PIM_reports_after_the_grant_expired_restores_access_under_a_new_grant()
    {
        await using var h = await StartAsync();
        var activation = h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();
        h.Advance(TimeSpan.FromHours(1));
        await h.SettleAsync();
        Assert.False(h.Aws.IsActive(AliceAdmin(Prod)));

        h.Extend(activation, TimeSpan.FromHours(1)); // the user extended just in time; the notification came late
        var result = await h.ReconcileAsync();
        await h.SettleAsync();

        var successor = Assert.Single(result.Plan.NewGrants);
        Assert.Equal(Reconciler.SuccessorId(Reconciler.GrantId(successor.Slot, successor.Start)), successor.Id);
        Assert.True(h.Aws.IsActive(AliceAdmin(Prod)));
        Assert.False(h.Aws.Denies(Admin, "u-alice", Prod, h.Now)); // its fence no longer blocks the restored access
        Assert.True((await h.ReconcileAsync()).Plan.IsEmpty);
    }

    [Fact]
    public async Task A_snapshot_that_briefly_missed_an_activation_does_not_cost_the_user_their_access_for_good()
    {
        await using var h = await StartAsync();
        var activation = h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(2));
        await h.ReconcileAsync();
        await h.SettleAsync();

        var stale = new PimSnapshot([AuditGroup], []); // PIM answered without the activation once
        await h.Enforcer.ReconcileAsync(stale);
        await h.SettleAsync();
        Assert.False(h.Aws.IsActive(AliceAdmin(Prod)));

        h.Advance(TimeSpan.FromMinutes(1));
        await h.ReconcileAsync();
        await h.SettleAsync();
        Assert.True(h.Aws.IsActive(AliceAdmin(Prod)));
        Assert.Equal(2, (await h.Store.ListGrantsAsync(false, "u-alice")).Count);
    }
}
