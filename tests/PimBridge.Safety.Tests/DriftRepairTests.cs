using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using PimBridge.Testing.Adversarial;
using static PimBridge.Testing.Adversarial.AdversarialWorld;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Safety.Tests;

/// <summary>
/// The drift sweep against the adversarial Identity Center: another hand changes what PimBridge made (drops a fence,
/// deletes access, leaves access behind, makes its own), and the state is repaired within one sweep interval, judged by
/// the same oracle as the random schedules. Each story first shows the drift doing harm, so none of them passes for
/// want of a drift.
/// </summary>
public sealed class DriftRepairTests : IAsyncLifetime
{
    private AdversarialWorld _world = null!;
    private SafetyOracle _oracle = null!;
    private readonly List<Violation> _violations = [];
    private readonly List<DriftReport> _reports = [];

    public async Task InitializeAsync()
    {
        _world = await StartAsync(seed: 11);
        _world.Model.Adversity = Adversity.None;
        _oracle = new SafetyOracle(_world);
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private EngineProcess A => _world.Engines[0];

    private TimeSpan Interval => _world.Settings.Verifier.Interval;

    private async Task StartGrantsAsync()
    {
        await A.RunAsync(e => e.ReconcileAsync(_world.Snapshot()));
        for (var i = 0; i < 10; i++) await A.RunAsync(e => e.TickAsync());
    }

    /// <summary>Alice holds Admin in Prod for three hours; ten minutes on, her sessions are live.</summary>
    private async Task GrantAliceAdminInProdAsync()
    {
        _world.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(3));
        await StartGrantsAsync();
        await RunAsync(TimeSpan.FromMinutes(10));
    }

    /// <summary>The host's sweep: asked every minute, it runs once an interval has passed since the last.</summary>
    private Task SweepIfDueAsync() => A.RunAsync(async _ =>
    {
        if (await A.Sweep.RunIfDueAsync() is { } report) _reports.Add(report);
    });

    /// <summary>Time passes with the loop and the sweep running and the oracle watching every minute.</summary>
    private Task RunAsync(TimeSpan span) => _world.LoopAsync(span, async () =>
    {
        await SweepIfDueAsync();
        _violations.AddRange(await _oracle.CheckStepAsync());
    });

    /// <summary>One sweep interval of the service after a foreign change, and the minute its repair takes; the reports of only this interval.</summary>
    private async Task OneSweepIntervalAsync()
    {
        _reports.Clear();
        await _world.LoopAsync(Interval, SweepIfDueAsync);
        Assert.Single(_reports);
        await _world.LoopAsync(TimeSpan.FromMinutes(1));
    }

    private async Task AssertSafeAndConvergedAsync()
    {
        await RunAsync(TimeSpan.FromHours(7));
        _violations.AddRange(await _oracle.CheckConvergedAsync());
        Assert.True(_violations.Count == 0, string.Join(Environment.NewLine, _violations.Take(5)));
        Assert.Empty(_world.Model.ForeignAccessRemoved);
    }

    private async Task<IReadOnlyList<Alert>> AlertsAsync(string kind) =>
        (await _world.Store.ListAlertsAsync(null)).Where(a => a.Kind == kind).ToList();

    [Fact]
    public async Task A_fence_another_hand_dropped_from_the_policy_is_written_again_within_one_sweep()
    {
        _world.Activate("bob-entra", AuditGroup, TimeSpan.FromMinutes(20)); // Admin in Prod, 4-hour sessions
        await StartGrantsAsync();
        await RunAsync(TimeSpan.FromMinutes(85)); // bob's grant ends, his sessions are fenced, the margin passes
        Assert.Empty(_violations);

        // Terraform applies the permission set as it knows it, and provisions it: the fence is gone from the roles.
        _world.Model.ForeignPutPolicy(Admin, CustomerPolicy);
        _world.Model.ForeignProvision(Admin);
        Assert.Contains(await _oracle.CheckStepAsync(), v => v.Invariant == "I2");

        await OneSweepIntervalAsync();

        Assert.Contains(_reports.Single().Drifts, d => d.Kind == DriftKind.MissingFence && d.Repaired == true);
        Assert.Equal(AlertSeverity.Critical, Assert.Single(await AlertsAsync("fence-missing")).Severity);
        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task A_fence_in_a_policy_another_hand_wrote_back_without_provisioning_is_provisioned_again()
    {
        _world.Activate("bob-entra", AuditGroup, TimeSpan.FromMinutes(20));
        await StartGrantsAsync();
        await RunAsync(TimeSpan.FromMinutes(85));
        var withFence = _world.Model.PermissionSets[Admin].Policy;

        // Someone drops the fence and provisions, then puts the document back but never provisions it: the policy
        // carries the fence, the roles do not.
        _world.Model.ForeignPutPolicy(Admin, CustomerPolicy);
        _world.Model.ForeignProvision(Admin);
        _world.Model.ForeignPutPolicy(Admin, withFence);
        Assert.Contains(await _oracle.CheckStepAsync(), v => v.Invariant == "I2");

        await OneSweepIntervalAsync();

        var drift = Assert.Single(_reports.Single().Drifts);
        Assert.Equal(DriftKind.MissingFence, drift.Kind);
        Assert.Contains("not provisioned in " + Prod, drift.Finding);
        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task An_assignment_another_hand_deleted_from_a_live_grant_is_restored_within_one_sweep()
    {
        await GrantAliceAdminInProdAsync();

        _world.Model.ForeignDeleteAssignment(new AssignmentKey(Admin, Prod, "USER", "u-alice"));
        Assert.False(_world.Model.CanAssume("u-alice", Admin, Prod));

        await OneSweepIntervalAsync();

        Assert.True(_world.Model.CanAssume("u-alice", Admin, Prod));
        Assert.Contains(_reports.Single().Drifts, d => d.Kind == DriftKind.MissingAccess && d.Repaired == true);
        Assert.Single(await AlertsAsync("access-missing"));
        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task A_membership_another_hand_removed_from_a_live_grant_is_restored_within_one_sweep()
    {
        _world.Activate("bob-entra", PlatformGroup, TimeSpan.FromHours(3)); // ReadOnly in Prod, Admin in Staging
        await StartGrantsAsync();
        await RunAsync(TimeSpan.FromMinutes(10));

        _world.Model.ForeignRemoveMembership(IdcPlatformGroup, "u-bob");
        Assert.False(_world.Model.CanAssume("u-bob", ReadOnly, Prod));

        await OneSweepIntervalAsync();

        Assert.True(_world.Model.CanAssume("u-bob", ReadOnly, Prod));
        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task Access_PimBridge_made_that_no_grant_needs_is_removed_and_fenced_within_one_sweep()
    {
        var activation = _world.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(3));
        await StartGrantsAsync();
        await RunAsync(TimeSpan.FromMinutes(10)); // alice mints sessions
        _world.Deactivate(activation);
        await A.RunAsync(e => e.ReconcileAsync(_world.Snapshot()));

        // The removal is lost (an operator cancelled it, or the store was restored without it): the access stays.
        var key = Entitlement.AccountAssignment("u-alice", Admin, Prod).Key;
        var change = new StateChange();
        foreach (var intent in await _world.Store.GetPendingIntentsAsync(IntentKind.RemoveEntitlement, key))
            change.Intents.Add(intent with { State = IntentState.Superseded, CompletedAt = _world.Now });
        await _world.Store.CommitAsync(change);
        await _world.LoopAsync(TimeSpan.FromMinutes(70));
        Assert.True(_world.Model.CanAssume("u-alice", Admin, Prod));
        Assert.Contains(await _oracle.CheckStepAsync(), v => v.Invariant == "I2");

        await OneSweepIntervalAsync();

        Assert.Contains(_reports.Single().Drifts, d => d.Kind == DriftKind.Orphan && d.Repaired == true);
        Assert.False(_world.Model.CanAssume("u-alice", Admin, Prod));
        Assert.Single(await AlertsAsync("orphaned-access"));
        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task Standing_access_another_hand_made_is_reported_once_and_never_touched()
    {
        _world.AddStandingAccess(); // bob's own Admin assignment in Prod
        _world.Model.ForeignAddMembership(IdcPlatformGroup, "u-alice"); // SCIM puts alice in Platform
        _world.MintSessions();

        await OneSweepIntervalAsync();
        var first = _reports.Single();
        await OneSweepIntervalAsync();

        var standing = new[] { first, _reports.Single() }.Select(r => r.Drifts.Where(d => d.Kind == DriftKind.StandingAccess).Select(d => (d.Subject, d.New)).Order().ToList()).ToList();
        Assert.Equal([(Entitlement.AccountAssignment("u-bob", Admin, Prod).Key, true), (Entitlement.GroupMembership("u-alice", IdcPlatformGroup).Key, true)], standing[0]);
        Assert.Equal(standing[0].Select(s => (s.Subject, false)), standing[1]);
        Assert.Equal(2, (await AlertsAsync("standing-access")).Count);
        Assert.All(await AlertsAsync("standing-access"), a => Assert.Equal(AlertSeverity.Info, a.Severity));
        Assert.Contains(new AssignmentKey(Admin, Prod, "USER", "u-bob"), _world.Model.Assignments.Keys);
        Assert.Contains(_world.Model.Memberships, m => m.UserId == "u-alice" && m.GroupId == IdcPlatformGroup);
        await AssertSafeAndConvergedAsync();
    }

    [Fact]
    public async Task Verify_without_repair_reports_and_changes_nothing()
    {
        await GrantAliceAdminInProdAsync();
        _world.Model.ForeignDeleteAssignment(new AssignmentKey(Admin, Prod, "USER", "u-alice"));
        var alertsBefore = (await _world.Store.ListAlertsAsync(null)).Count;

        var report = await A.Sweep.RunAsync(repair: false);
        for (var i = 0; i < 5; i++) await A.RunAsync(e => e.TickAsync());

        var drift = Assert.Single(report.Drifts);
        Assert.Equal((DriftKind.MissingAccess, (bool?)null), (drift.Kind, drift.Repaired));
        Assert.False(_world.Model.CanAssume("u-alice", Admin, Prod));
        Assert.Equal(alertsBefore, (await _world.Store.ListAlertsAsync(null)).Count);
    }

    [Fact]
    public async Task A_target_whose_listing_fails_is_reported_unchecked_and_judges_nothing()
    {
        await GrantAliceAdminInProdAsync();
        _world.Model.FailNext("ListAccountAssignments", 1000, new ModelError(400, "AccessDeniedException", "User is not authorized to perform sso:ListAccountAssignments."));

        var report = await A.Sweep.RunAsync(repair: true);

        Assert.Empty(report.Drifts);
        Assert.Equal(2, report.Unchecked.Count); // the mapped assignments, Admin in Prod and in Staging; the group was read
        Assert.All(report.Unchecked, u => Assert.Contains("not authorized", u));
        Assert.True(_world.Model.CanAssume("u-alice", Admin, Prod));
    }
}
