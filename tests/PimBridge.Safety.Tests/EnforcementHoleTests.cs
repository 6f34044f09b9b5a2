using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Fences;
using PimBridge.Testing.Adversarial;
using static PimBridge.Testing.Adversarial.AdversarialWorld;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Safety.Tests;

/// <summary>
/// The holes a review of the engine against AWS's documented behaviour found, each as the shortest story that shows
/// it, judged by the same oracle as the random schedules. Each failed before its fix.
/// </summary>
public sealed class EnforcementHoleTests : IAsyncLifetime
{
    private AdversarialWorld _world = null!;
    private SafetyOracle _oracle = null!;
    private readonly List<Violation> _violations = [];

    public async Task InitializeAsync()
    {
        _world = await StartAsync(seed: 7);
        _world.Model.Adversity = Adversity.None;
        _oracle = new SafetyOracle(_world);
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private EngineProcess A => _world.Engines[0];

    private Task ReconcileAsync() => A.RunAsync(e => e.ReconcileAsync(_world.Snapshot()));

    private async Task TickAsync()
    {
        for (var i = 0; i < 10; i++) await A.RunAsync(e => e.TickAsync());
    }

    /// <summary>Time passes with the loop running and the oracle watching every minute.</summary>
    private Task RunAsync(TimeSpan span, bool poll = true) =>
        _world.LoopAsync(span, async () => _violations.AddRange(await _oracle.CheckStepAsync()), poll);

    private async Task AssertSafeAndConvergedAsync()
    {
        _world.Model.Adversity = Adversity.None;
        await RunAsync(TimeSpan.FromHours(7));
        _violations.AddRange(await _oracle.CheckConvergedAsync());
        Assert.True(_violations.Count == 0, string.Join(Environment.NewLine, _violations.Take(5)));
    }

    [Fact]
    public async Task Fences_on_a_permission_set_another_hand_deleted_are_dropped_not_retried_forever()
    {
        _world.Activate("alice-entra", AuditGroup, TimeSpan.FromMinutes(30)); // Admin in Prod
        _world.Activate("bob-entra", AuditGroup, TimeSpan.FromMinutes(20));
        await ReconcileAsync();
        await TickAsync();
        await RunAsync(TimeSpan.FromMinutes(25)); // bob's grant ends: his sessions are fenced on Admin

        // An administrator removes Admin from every account and deletes it: its roles and their sessions are gone.
        _world.Model.ForeignDeletePermissionSet(Admin);
        await RunAsync(TimeSpan.FromMinutes(10)); // alice's grant ends: nothing left to remove or fence

        Assert.Contains(_world.Store.ReadAuditAsync().ToBlockingEnumerable(), e => e.Kind == "fence.not-needed" && e.Data.Contains("u-alice"));
        await AssertSafeAndConvergedAsync(); // bob's fence falls due and is dropped, not retried forever
        Assert.Empty(await _world.Store.ListFencesAsync(openOnly: true));
        var alerts = await _world.Store.ListAlertsAsync(null);
        Assert.Contains(alerts, a => a.Kind == "permission-set-deleted" && a.Severity == AlertSeverity.Warning);
        Assert.DoesNotContain(alerts, a => a.Kind == "intent-stuck");
    }

    [Fact]
    public async Task A_deleted_permission_set_does_not_stop_the_others_session_durations_being_watched()
    {
        _world.Model.ForeignDeletePermissionSet(Admin); // watched first (its ARN sorts first)
        _world.Model.ForeignSetSessionDuration(ReadOnly, TimeSpan.FromHours(5));
        await _world.LoopAsync(TimeSpan.FromMinutes(2));

        var watch = SessionDurationWatch.Parse((await _world.Store.GetCheckpointAsync(SessionDurationWatch.CheckpointName(ReadOnly)))?.Value);
        Assert.Contains(watch!.Durations, d => d.Duration == TimeSpan.FromHours(5) && d.ReplacedAt is null);
    }

    [Fact]
    public async Task A_fence_is_not_Active_until_every_accounts_role_carries_it()
    {
        _world.Activate("alice-entra", OpsGroup, TimeSpan.FromMinutes(30));
        await ReconcileAsync();
        await TickAsync();
        _world.MintSessions();

        // At expiry the policy write succeeds but its provisioning fails in every account; the retry finds the
        // policy already as wanted.
        await _world.LoopAsync(TimeSpan.FromMinutes(29));
        _world.Model.Adversity = Adversity.None with { ProvisioningFailures = 1 };
        await RunAsync(TimeSpan.FromMinutes(3));
        _world.Model.Adversity = Adversity.None;

        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task A_fence_that_gains_an_account_is_not_Active_until_that_account_carries_it()
    {
        _world.Activate("alice-entra", OpsGroup, TimeSpan.FromMinutes(30)); // Admin in Prod and Staging
        await ReconcileAsync();
        await TickAsync();
        await _world.LoopAsync(TimeSpan.FromMinutes(29));

        // At expiry one deletion fails for a moment; the other's fence is written and Active. Seconds later the
        // retried deletion joins the same fence (same cutoff minute).
        _world.Model.FailNext("DeleteAccountAssignment", 5, new ModelError(500, "InternalServerException", "Internal failure."));
        await RunAsync(TimeSpan.FromMinutes(1));
        await A.RunAsync(e => e.TickAsync()); // the first fence is written: Active
        _world.Clock.Advance(TimeSpan.FromSeconds(6));
        await A.RunAsync(e => e.TickAsync()); // the retried removal only: its fence sync is due next
        _violations.AddRange(await _oracle.CheckStepAsync());

        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task A_removal_racing_a_creation_still_in_progress_leaves_no_assignment_behind()
    {
        // Creations take 12 minutes: longer than the client waits (5), so the apply gives up while AWS carries on.
        _world.Model.Adversity = Adversity.None with { MinOperationTime = TimeSpan.FromMinutes(12), MaxOperationTime = TimeSpan.FromMinutes(12) };
        var activation = _world.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(2));
        await ReconcileAsync();
        await TickAsync();
        _world.Deactivate(activation);
        await ReconcileAsync();
        await TickAsync();

        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task A_re_grant_while_a_deletion_is_still_in_progress_ends_with_access()
    {
        var first = _world.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(2));
        await ReconcileAsync();
        await TickAsync();
        _world.Model.Adversity = Adversity.None with { MinOperationTime = TimeSpan.FromMinutes(12), MaxOperationTime = TimeSpan.FromMinutes(12) };
        _world.Deactivate(first);
        await ReconcileAsync();
        await TickAsync(); // the deletion outlasts the client's wait
        _world.Model.Adversity = Adversity.None;
        _world.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(12));
        await ReconcileAsync();
        await TickAsync();

        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task Standing_access_another_hand_made_is_neither_removed_nor_fenced()
    {
        _world.AddStandingAccess(); // bob's own Admin assignment in Prod
        _world.MintSessions();
        _world.Activate("bob-entra", OpsGroup, TimeSpan.FromMinutes(30));
        await ReconcileAsync();
        await TickAsync();
        await RunAsync(TimeSpan.FromMinutes(45));

        await AssertSafeAndConvergedAsync();
        Assert.Contains(new AssignmentKey(Admin, Prod, "USER", "u-bob"), _world.Model.Assignments.Keys);
    }

    [Fact]
    public async Task A_group_membership_SCIM_made_is_neither_removed_nor_fenced()
    {
        // SCIM (or a person) put bob in the Identity Center group the platform mapping uses, before PimBridge ran.
        _world.Model.ForeignAddMembership(IdcPlatformGroup, "u-bob");
        foreach (var (permissionSet, account) in _world.Model.GroupReach(IdcPlatformGroup))
            _world.StandingAccess.Add(("u-bob", permissionSet, account));
        _world.MintSessions();
        _world.Activate("bob-entra", PlatformGroup, TimeSpan.FromMinutes(30));
        await ReconcileAsync();
        await TickAsync();
        await RunAsync(TimeSpan.FromMinutes(45));

        await AssertSafeAndConvergedAsync();
        Assert.Contains(_world.Model.Memberships, m => m.GroupId == IdcPlatformGroup && m.UserId == "u-bob");
        Assert.Contains(await _world.Store.ReadAuditAsync().ToListAsync(), e => e.Kind == "entitlement.standing" && e.Subject == $"gm|u-bob|{IdcPlatformGroup}");
    }

    [Fact]
    public async Task Standing_access_is_left_alone_when_the_grant_ends_before_PimBridge_applied_it()
    {
        _world.AddStandingAccess();
        _world.MintSessions();
        var activation = _world.Activate("bob-entra", AuditGroup, TimeSpan.FromHours(2));
        await ReconcileAsync(); // the grant starts; its apply has not run
        _world.Deactivate(activation);
        await ReconcileAsync();
        await TickAsync();

        await AssertSafeAndConvergedAsync();
        Assert.Contains(new AssignmentKey(Admin, Prod, "USER", "u-bob"), _world.Model.Assignments.Keys);
    }

    [Fact]
    public async Task Ended_access_is_fenced_even_while_another_grant_to_the_same_role_waits_for_its_apply()
    {
        // Bob holds Admin in Staging through his own assignment; his Platform group membership (which also reaches
        // Admin in Staging) is granted but cannot be applied yet.
        var ops = _world.Activate("bob-entra", OpsGroup, TimeSpan.FromHours(3));
        await ReconcileAsync();
        await TickAsync();
        _world.MintSessions();
        var platform = await GrantPlatformThatCannotBeAppliedAsync();

        await EndBothAsync(ops, platform);
    }

    /// <summary>Bob's Platform membership (reaching Admin in Staging too) is granted, but its apply fails until <see cref="EndBothAsync"/>.</summary>
    private async Task<string> GrantPlatformThatCannotBeAppliedAsync()
    {
        _world.Model.FailNext("ListGroupMembershipsForMember", 1000, new ModelError(400, "AccessDeniedException", "User is not authorized to perform identitystore:ListGroupMembershipsForMember."));
        var platform = _world.Activate("bob-entra", PlatformGroup, TimeSpan.FromHours(3));
        await ReconcileAsync();
        await TickAsync();
        return platform;
    }

    /// <summary>Ops ends, then Platform ends without ever being applied; the run must stay safe and converge.</summary>
    private async Task EndBothAsync(string ops, string platform)
    {
        _world.Deactivate(ops);
        await RunAsync(TimeSpan.FromMinutes(5));
        _world.Deactivate(platform); // the membership never existed
        await RunAsync(TimeSpan.FromMinutes(5));
        _world.Model.TakeScriptedFaults("ListGroupMembershipsForMember");

        await AssertSafeAndConvergedAsync();
    }

    /// <summary>
    /// Soak seeds 409733, 411604 and 417338 (I2), as a story: the fence of the ended access was cut off at the start of
    /// the grant still waiting for its apply, so that grant's sessions would never be blocked; that grant then ended
    /// without ever being applied, and the sessions the ended access issued after its start were never fenced.
    /// </summary>
    [Fact]
    public async Task Ended_access_stays_fenced_when_the_grant_it_was_cut_back_for_ends_before_it_was_applied()
    {
        var ops = _world.Activate("bob-entra", OpsGroup, TimeSpan.FromHours(3));
        await ReconcileAsync();
        await TickAsync();
        var platform = await GrantPlatformThatCannotBeAppliedAsync();
        await RunAsync(TimeSpan.FromMinutes(2));
        _world.MintSessions(); // on Ops' assignment, after Platform's grant started

        await EndBothAsync(ops, platform);
    }

    [Fact]
    public async Task A_creation_whose_response_was_lost_is_PimBridge_s_own_and_goes_at_expiry()
    {
        // AWS made the membership but the answer never arrived; the retry is told it already exists.
        _world.Model.LoseNextResponse("CreateGroupMembership");
        _world.Activate("bob-entra", PlatformGroup, TimeSpan.FromMinutes(30));
        await ReconcileAsync();
        await TickAsync();
        await RunAsync(TimeSpan.FromMinutes(40));

        await AssertSafeAndConvergedAsync();
        Assert.DoesNotContain(_world.Model.Memberships, m => m.UserId == "u-bob");
        Assert.DoesNotContain(await _world.Store.ListAlertsAsync(null), a => a.Kind == "standing-access");
    }

    [Fact]
    public async Task A_re_grant_pulls_the_cutoff_back_only_in_the_accounts_it_reaches()
    {
        // Alice holds Admin in Prod and Staging; 30 minutes before it expires she also activates Admin in Prod alone,
        // which PimBridge learns of only after the first grant's fences are in place.
        _world.Activate("alice-entra", OpsGroup, TimeSpan.FromMinutes(60));
        await ReconcileAsync();
        await TickAsync();
        await _world.LoopAsync(TimeSpan.FromMinutes(30));
        _world.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(3));
        await _world.LoopAsync(TimeSpan.FromMinutes(20), poll: false);
        await RunAsync(TimeSpan.FromMinutes(20), poll: false);
        await ReconcileAsync();

        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task Sessions_minted_before_a_session_duration_was_lowered_stay_fenced_until_they_expire()
    {
        _world.Activate("alice-entra", AuditGroup, TimeSpan.FromMinutes(30)); // Admin sessions last 4 hours
        await ReconcileAsync();
        await TickAsync();
        _world.MintSessions();
        _world.Model.ForeignSetSessionDuration(Admin, TimeSpan.FromHours(1));
        await RunAsync(TimeSpan.FromMinutes(35));

        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task Sessions_minted_under_a_duration_raised_and_lowered_again_while_access_was_applied_stay_fenced_until_they_expire()
    {
        var activation = _world.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(3)); // Admin sessions last 4 hours
        await ReconcileAsync();
        await TickAsync();
        _world.Model.ForeignSetSessionDuration(Admin, TimeSpan.FromHours(8));
        await RunAsync(TimeSpan.FromMinutes(2)); // sessions minted now last 8 hours
        _world.Model.ForeignSetSessionDuration(Admin, TimeSpan.FromHours(1));
        await RunAsync(TimeSpan.FromMinutes(2));
        _world.Deactivate(activation);

        await RunAsync(TimeSpan.FromHours(10));
        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task One_principal_whose_lookup_fails_does_not_hold_up_an_early_deactivation_in_the_same_group()
    {
        var bobs = _world.Activate("bob-entra", AuditGroup, TimeSpan.FromHours(2));
        await ReconcileAsync();
        await TickAsync();
        _world.MintSessions();

        _world.Deactivate(bobs);
        _world.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(2));
        _world.Model.FailNext("GetUserId", 100, new ModelError(400, "AccessDeniedException", "User is not authorized to perform identitystore:GetUserId."));
        await ReconcileAsync();

        var bob = Assert.Single(await _world.Store.ListGrantsAsync(activeOnly: false, user: "u-bob"));
        Assert.Equal(GrantState.Ended, bob.State);
        Assert.Contains(A.Errors, e => e.Message.Contains("GetUserId", StringComparison.Ordinal)); // and the failure is still reported
    }

    [Fact]
    public async Task A_conflict_while_recording_a_failure_is_left_to_the_intent_s_next_run()
    {
        _world.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(2));
        await ReconcileAsync();
        // While engine a's apply is failing, engine b claims and runs the same intent (its claim expired).
        _world.Model.FailNext("ListAccountAssignmentsForPrincipal", 5, new ModelError(500, "InternalServerException", "Internal failure."));
        var b = _world.Engines[1];
        var interleaved = false;
        _world.BeforeEachCall = () =>
        {
            if (interleaved) return Task.CompletedTask;
            interleaved = true;
            _world.Clock.Advance(_world.Settings.Enforcer.ClaimTimeout + TimeSpan.FromSeconds(1));
            return b.RunAsync(e => e.TickAsync());
        };

        var failure = await Record.ExceptionAsync(() => A.Enforcer.TickAsync());

        Assert.Null(failure);
    }
}
